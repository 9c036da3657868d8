"""``classifier=finetune`` on a single-label corpus: the encoder fine-tuned with a softmax head.

The encoder is trained on the training texts minus the validation split, which picks the epoch
(early stopping) and the softmax temperature. With ``refit`` (off by default: it is a second
fine-tuning run, about doubling the cost), it is then trained again from the pretrained encoder on
every training text, for the chosen number of epochs, with the temperature kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.base import clone

from topics.classifier.finetune import EncoderClassifier
from topics.classifier.multiclass.base import SingleLabelClassifier


class FinetuneClassifier(SingleLabelClassifier):
    """Single-label wrapper of :class:`~topics.classifier.finetune.EncoderClassifier`.

    Args:
        model: Encoder (packaged alias, local folder or hub id; default m3e-small).
        lr: Peak AdamW learning rate.
        weight_decay: AdamW weight decay.
        batch_size: Examples per step.
        epochs: Most epochs.
        warmup: Share of warm-up steps of the one-cycle schedule.
        label_smoothing: Cross-entropy label smoothing.
        max_length: Token limit per text.
        pooling: ``mean`` or ``cls``.
        device: ``auto``, ``cpu`` or ``cuda[:i]``.
        precision: ``auto``, ``fp32``, ``bf16`` or ``fp16``.
        patience: Epochs without validation improvement before stopping.
        checkpoint_dir: Per-epoch checkpoints (an interrupted fit resumes); ``None``: none.
        progress: Progress bar with ETA on a TTY.
        val_size: Share of the training texts carved out for validation.
        seed: Seed of the split, the initialisation and the data order.
        seed_offset: Added to ``seed`` for the initialisation and the data order (not the
            split), so a blend can hold two encoders that differ only in their seed.
        bucket_pool: Batches of similar length from pools of this many batches (less
            padding, faster epochs); ``None``: plain shuffling.
        fgm_epsilon: ``0``: plain training; above 0: adversarial training on the token
            embeddings with steps of this length (FGM; each step costs about two).
        refit: Train again on every training text (validation split included) for the best
            epoch count, once the choices are made; in a blend, once the weights are fitted.
    """

    method = "finetune"
    can_refit = True

    def __init__(
        self,
        model: str = "m3e-small",
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
        checkpoint_dir: str | None = None,
        progress: bool = True,
        val_size: float = 0.1,
        seed: int | None = None,
        seed_offset: int = 0,
        bucket_pool: int | None = None,
        fgm_epsilon: float = 0.0,
        refit: bool = False,
    ) -> None:
        super().__init__(val_size, refit, seed)
        self.seed_offset = seed_offset
        self.model = model
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
        self.checkpoint_dir = checkpoint_dir
        self.progress = progress
        self.bucket_pool = bucket_pool
        self.fgm_epsilon = fgm_epsilon

    def _fit_choose(
        self, train: list[str], y: np.ndarray, val: list[str], y_val: np.ndarray
    ) -> None:
        keys = (
            "model",
            "lr",
            "weight_decay",
            "batch_size",
            "epochs",
            "warmup",
            "label_smoothing",
            "max_length",
            "pooling",
            "device",
            "precision",
            "patience",
            "checkpoint_dir",
            "progress",
            "bucket_pool",
            "fgm_epsilon",
        )
        seed = self.seed + self.seed_offset if self.seed is not None else None
        params = {k: getattr(self, k) for k in keys}
        self.encoder_ = EncoderClassifier(problem="single_label", seed=seed, **params)
        self.encoder_.fit(train, y, val, y_val)
        self.best_params_ = {
            "epochs_run": len(self.encoder_.history_),
            "best_epoch": self.encoder_.best_epoch_,
        }

    def _refit(self, texts: list[str], y: np.ndarray) -> None:
        """Fine-tune afresh on every text for the chosen epoch count (no validation left)."""
        epochs = int(self.best_params_["best_epoch"])
        self.encoder_ = clone(self.encoder_).set_params(epochs=epochs)
        self.encoder_.fit(texts, y)
        self.best_params_ = {**self.best_params_, "refit_epochs": epochs}

    def _scores(self, texts: list[str]) -> np.ndarray:
        return self.encoder_.decision_function(texts)

    def save(self, path: Path | str) -> None:
        """Save the encoder and head as safetensors (see ``EncoderClassifier.save``)."""
        self.encoder_.save(Path(path))
