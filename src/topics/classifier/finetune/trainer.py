"""Fine-tune a sentence encoder with a linear head, for single-label or multi-label problems.

``single_label``: softmax over classes, cross-entropy with label smoothing, early stopping on
validation accuracy. ``multi_label``: one sigmoid per label, binary cross-entropy, early stopping
on validation loss. Both: AdamW, a linear warm-up then linear decay ("one-cycle") schedule,
mixed precision where it pays (see :mod:`.device`), a checkpoint after every epoch so that an
interrupted ``fit`` resumes at the next epoch, and the best epoch's weights restored at the end.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from math import inf
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from topics.classifier.finetune import checkpoint as ckpt
from topics.classifier.finetune.adversarial import perturbed_embeddings
from topics.classifier.finetune.batches import Encoded, batches, bucket_order, encode
from topics.classifier.finetune.device import autocast, resolve_device, resolve_precision
from topics.classifier.finetune.optim import adamw, one_cycle, progress_bar, seed_everything
from topics.data.types import InputError, text_list

if TYPE_CHECKING:
    import torch

    from topics.classifier.finetune.network import EncoderHead

log = logging.getLogger(__name__)

PROBLEMS = ("single_label", "multi_label")
#: Gradient-norm clip of every step.
MAX_GRAD_NORM = 1.0
#: Texts per forward pass at prediction time (sorted by length, so padding stays small).
PREDICT_BATCH = 256
#: Called after every epoch (its checkpoint written) with that epoch's record.
EpochCallback = Callable[[dict[str, float]], None]


class EncoderClassifier(BaseEstimator, ClassifierMixin):
    """A fine-tuned sentence encoder (default m3e-small) with a linear classification head.

    Args:
        model: Packaged alias, local folder or hub id (resolved by ``topics.embedding``,
            never downloaded).
        problem: ``single_label`` or ``multi_label``.
        lr: Peak learning rate of AdamW.
        weight_decay: AdamW weight decay (not on biases and LayerNorm weights).
        batch_size: Training examples per step.
        epochs: Most epochs.
        warmup: Share of the steps with a linearly rising learning rate.
        label_smoothing: Cross-entropy label smoothing (single-label only).
        max_length: Token limit per text.
        pooling: ``mean`` or ``cls``.
        device: ``auto`` (CUDA when available, else CPU), ``cpu`` or ``cuda[:i]``.
        precision: ``auto``, ``fp32``, ``bf16`` or ``fp16`` (CUDA only).
        patience: Epochs without validation improvement before stopping.
        seed: Seeds python, numpy and torch, and the order of the training data.
        checkpoint_dir: Folder for per-epoch checkpoints, in a subfolder named after a hash of
            the settings and data (``None``: none, no resuming).
        progress: Progress bar with ETA (shown only when stderr is a TTY).
        callbacks: Called after every epoch with its record (e.g. to stop a run).
        bucket_pool: ``None``: each epoch shuffles the texts. An int: shuffle, then sort pools
            of that many batches by length, so batches need little padding (see
            :func:`~topics.classifier.finetune.batches.bucket_order`).
        fgm_epsilon: ``0``: plain training. Above 0: adversarial training (FGM, see
            :mod:`~topics.classifier.finetune.adversarial`), a step of this L2 length on the
            token embeddings; each step costs about two.
    """

    def __init__(
        self,
        model: str = "m3e-small",
        problem: str = "single_label",
        lr: float = 1e-4,
        weight_decay: float = 0.01,
        batch_size: int = 64,
        epochs: int = 3,
        warmup: float = 0.1,
        label_smoothing: float = 0.1,
        max_length: int = 64,
        pooling: str = "mean",
        device: str = "auto",
        precision: str = "auto",
        patience: int = 1,
        seed: int | None = None,
        checkpoint_dir: str | Path | None = None,
        progress: bool = True,
        callbacks: Sequence[EpochCallback] | None = None,
        bucket_pool: int | None = None,
        fgm_epsilon: float = 0.0,
    ) -> None:
        self.model = model
        self.problem = problem
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.warmup = warmup
        self.label_smoothing = label_smoothing
        self.max_length = max_length
        self.pooling = pooling
        self.device = device
        self.precision = precision
        self.patience = patience
        self.seed = seed
        self.checkpoint_dir = checkpoint_dir
        self.progress = progress
        self.callbacks = callbacks
        self.bucket_pool = bucket_pool
        self.fgm_epsilon = fgm_epsilon

    # --- inputs ---------------------------------------------------------------------------

    def _check(self) -> None:
        if self.problem not in PROBLEMS:
            raise InputError(f"finetune.problem is {self.problem!r}; use one of {list(PROBLEMS)}")
        for name in ("batch_size", "epochs", "max_length", "patience"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"finetune.{name} must be a positive integer, got {value!r}")
        pool = self.bucket_pool
        if pool is not None and (isinstance(pool, bool) or not isinstance(pool, int) or pool < 1):
            raise InputError(f"finetune.bucket_pool must be null or an integer >= 1, got {pool!r}")
        for name, high in (("warmup", 1.0), ("label_smoothing", 1.0), ("fgm_epsilon", inf)):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < high
            ):
                raise InputError(f"finetune.{name} must be a number in [0, {high}), got {value!r}")

    def _targets(self, y: Any, n: int, fitting: bool) -> np.ndarray:
        """Return class indices (single-label) or a float 0/1 matrix (multi-label)."""
        arr = np.asarray(y)
        if len(arr) != n:
            raise InputError(f"finetune: {len(arr)} labels for {n} texts")
        if self.problem == "multi_label":
            if arr.ndim != 2 or not np.isin(arr, (0, 1)).all():
                raise InputError(
                    f"multi_label targets must be a 0/1 matrix (n, K), got {arr.shape}"
                )
            if fitting:
                self.classes_ = np.arange(arr.shape[1])
            elif arr.shape[1] != len(self.classes_):
                raise InputError(
                    f"validation targets have {arr.shape[1]} labels, not {len(self.classes_)}"
                )
            return arr.astype(np.float32)
        if arr.ndim != 1:
            raise InputError(f"single_label targets must be one label per text, got {arr.shape}")
        if fitting:
            self.classes_ = np.unique(arr)
            if len(self.classes_) < 2:
                raise InputError("finetune: single_label training data needs at least 2 classes")
        index = {c: i for i, c in enumerate(self.classes_.tolist())}
        unknown = sorted({str(v) for v in arr.tolist() if v not in index})
        if unknown:
            raise InputError(f"validation labels {unknown[:5]} are not among the training classes")
        return np.asarray([index[v] for v in arr.tolist()], dtype=np.int64)

    # --- fit ------------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        y: Any,
        val_texts: Sequence[str] | None = None,
        val_y: Any = None,
    ) -> Self:
        """Fine-tune on ``texts``; stop early on the validation split when one is given.

        Args:
            texts: Training texts.
            y: ``(n,)`` labels (single-label) or an ``(n, K)`` 0/1 matrix (multi-label).
            val_texts: Validation texts (early stopping, best-epoch choice).
            val_y: Their labels, like ``y``.

        Returns:
            ``self``, with ``classes_``, ``history_``, ``best_epoch_``, ``device_``,
            ``precision_``, ``resumed_from_`` and ``fit_seconds_``.
        """
        import torch

        start = time.perf_counter()
        self._check()
        texts = text_list(texts, "finetune texts")
        target = self._targets(y, len(texts), fitting=True)
        val = None
        if val_texts is not None:
            vt = text_list(val_texts, "finetune val_texts")
            val = (vt, self._targets(val_y, len(vt), fitting=False))
        self.device_ = resolve_device(self.device)
        self.precision_ = resolve_precision(self.precision, self.device_)
        self.seed_ = (
            int(self.seed) if self.seed is not None else random.SystemRandom().randrange(2**31)
        )
        seed_everything(self.seed_)
        net, tokenizer = self._build(len(self.classes_))
        self.tokenizer_ = tokenizer
        train = encode(tokenizer, texts, self.max_length)
        val_enc = None if val is None else encode(tokenizer, val[0], self.max_length)
        steps_per_epoch = -(-len(texts) // self.batch_size)
        total = steps_per_epoch * self.epochs
        optimizer = adamw(net, self.lr, self.weight_decay)
        scheduler = one_cycle(optimizer, total, int(round(self.warmup * total)))
        scaler = torch.amp.GradScaler("cuda", enabled=self.precision_ == "fp16")
        state = ckpt.TrainState()
        fingerprint = ckpt.fingerprint(self._identity(), texts, target, val)
        # one subfolder per fit (settings + data), so fits sharing checkpoint_dir do not collide
        folder = (
            None if self.checkpoint_dir is None else Path(self.checkpoint_dir) / fingerprint[:16]
        )
        if folder is not None:
            loaded = ckpt.load(folder, fingerprint, net, optimizer, scheduler)
            if loaded is not None:
                state = loaded
                self.seed_ = state.seed
                log.info("finetune: resuming after epoch %d from %s", state.epoch, folder)
        state.seed = self.seed_
        self.resumed_from_ = state.epoch
        bar = progress_bar(total, state.epoch * steps_per_epoch, self.progress)
        try:
            while state.epoch < self.epochs and state.bad_epochs < self.patience:
                record = self._epoch(net, train, target, optimizer, scheduler, scaler, state, bar)
                if val is not None and val_enc is not None:
                    record.update(self._validate(net, val_enc, val[1]))
                    if record["val_score"] > state.best_score:
                        state.best_score, state.best_epoch, state.bad_epochs = (
                            record["val_score"],
                            state.epoch + 1,
                            0,
                        )
                        state.best_weights = ckpt.cpu_state(net)
                    else:
                        state.bad_epochs += 1
                state.epoch += 1
                state.history.append(record)
                if folder is not None:
                    ckpt.save(folder, fingerprint, net, optimizer, scheduler, state)
                for callback in self.callbacks or ():
                    callback(dict(record))
        finally:
            bar.close()
        if state.best_weights is not None:
            net.load_state_dict(state.best_weights)
        self.network_ = net
        self.history_ = state.history
        self.best_epoch_ = state.best_epoch if state.best_weights is not None else state.epoch
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _build(self, n_outputs: int) -> tuple[EncoderHead, Any]:
        from topics.classifier.finetune.network import EncoderHead, load_encoder
        from topics.embedding.resolve import resolve_model

        encoder, tokenizer = load_encoder(resolve_model(str(self.model)))
        net = EncoderHead(encoder, n_outputs, self.pooling).to(self.device_)
        return net, tokenizer

    def _identity(self) -> dict[str, Any]:
        skip = {"device", "progress", "checkpoint_dir", "callbacks"}
        if not self.fgm_epsilon:
            skip.add("fgm_epsilon")  # off: the fingerprint of checkpoints made before the key
        return {k: v for k, v in self.get_params().items() if k not in skip}

    def _loss(self, logits: torch.Tensor, target: torch.Tensor, smoothing: float) -> torch.Tensor:
        from torch.nn import functional as F

        logits = logits.float()
        if self.problem == "multi_label":
            return F.binary_cross_entropy_with_logits(logits, target)
        return F.cross_entropy(logits, target, label_smoothing=smoothing)

    def _epoch(
        self,
        net: EncoderHead,
        data: Encoded,
        target: np.ndarray,
        optimizer: Any,
        scheduler: Any,
        scaler: Any,
        state: ckpt.TrainState,
        bar: Any,
    ) -> dict[str, float]:
        import torch

        net.train()
        rng = np.random.default_rng([state.seed, state.epoch])
        if self.bucket_pool is None:
            order = rng.permutation(len(data))
        else:
            order = bucket_order(data.lengths, self.batch_size, int(self.bucket_pool), rng)
        losses, seen, t0 = [], 0, time.perf_counter()
        smoothing = float(self.label_smoothing)

        def batch_loss(ids: torch.Tensor, mask: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            with autocast(self.device_, self.precision_):
                logits = net(ids, mask)
            return self._loss(logits, y, smoothing)

        for idx, ids, mask in batches(data, order, self.batch_size, self.device_):
            y = torch.as_tensor(target[idx], device=self.device_)
            loss = batch_loss(ids, mask, y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if self.fgm_epsilon:  # FGM: the loss at the moved embeddings adds its gradient
                with perturbed_embeddings(net, float(self.fgm_epsilon)) as moved:
                    if moved:
                        scaler.scale(batch_loss(ids, mask, y)).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(net.parameters(), MAX_GRAD_NORM)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            losses.append(float(loss.detach()))
            seen += len(idx)
            bar.update(1)
            bar.set_postfix(epoch=state.epoch + 1, loss=f"{np.mean(losses[-50:]):.3f}")
        seconds = time.perf_counter() - t0
        return {
            "epoch": float(state.epoch + 1),
            "train_loss": float(np.mean(losses)),
            "first_batches_loss": float(np.mean(losses[: max(1, len(losses) // 10)])),
            "last_batches_loss": float(np.mean(losses[-max(1, len(losses) // 10) :])),
            "seconds": seconds,
            "examples_per_s": seen / max(seconds, 1e-9),
        }

    def _validate(self, net: EncoderHead, data: Encoded, target: np.ndarray) -> dict[str, float]:
        import torch

        logits = self._logits(net, data)
        loss = float(self._loss(torch.as_tensor(logits), torch.as_tensor(target), 0.0))
        if self.problem == "multi_label":
            return {"val_loss": loss, "val_score": -loss}
        accuracy = float((logits.argmax(axis=1) == target).mean())
        return {"val_loss": loss, "val_accuracy": accuracy, "val_score": accuracy}

    # --- predict --------------------------------------------------------------------------

    def _logits(self, net: EncoderHead, data: Encoded) -> np.ndarray:
        import torch

        net.eval()
        out = np.zeros((len(data), net.head.out_features), dtype=np.float32)
        order = np.argsort(data.lengths, kind="stable")
        with torch.inference_mode():
            for idx, ids, mask in batches(data, order, PREDICT_BATCH, self.device_):
                with autocast(self.device_, self.precision_):
                    logits = net(ids, mask)
                out[idx] = logits.float().cpu().numpy()
        return out

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Return the ``(n, K)`` logits."""
        if not hasattr(self, "network_"):
            raise RuntimeError("EncoderClassifier is not fitted; call fit() first")
        data = encode(self.tokenizer_, text_list(texts, "finetune texts"), self.max_length)
        return self._logits(self.network_, data)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Return ``(n, K)`` probabilities: softmax rows (single-label) or sigmoids."""
        logits = self.decision_function(texts).astype(np.float64)
        if self.problem == "multi_label":
            return 1.0 / (1.0 + np.exp(-logits))
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Return the best class per text, or the 0/1 matrix ``proba >= 0.5`` (multi-label)."""
        proba = self.predict_proba(texts)
        if self.problem == "multi_label":
            return (proba >= 0.5).astype(np.int8)
        return self.classes_[proba.argmax(axis=1)]

    # --- persistence ----------------------------------------------------------------------

    def save(self, path: Path | str) -> None:
        """Write ``encoder/`` (transformers folder, safetensors), ``head.safetensors``, JSON."""
        if not hasattr(self, "network_"):
            raise RuntimeError("EncoderClassifier is not fitted; call fit() first")
        ckpt.save_model(Path(path), self)

    @classmethod
    def load(cls, path: Path | str, device: str = "auto") -> EncoderClassifier:
        """Load a classifier written by :meth:`save` onto ``device``.

        Raises:
            InputError: ``path`` holds no saved classifier.
        """
        return ckpt.load_model(cls, Path(path), device)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags
