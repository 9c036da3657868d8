"""Fine-tuned encoder with a multi-label head (sigmoid, binary cross-entropy) as a theme method.

The encoder is trained by the shared trainer :class:`topics.classifier.finetune.EncoderClassifier`
(``problem="multi_label"``). One fine-tuning per ``fit``: a validation part of the training units
(one inner split, by group when groups are given) stops training early and tunes the per-theme
thresholds; the model trained on the other units is kept (no refit, to keep CPU cost to one
fine-tuning). Nothing outside the units given to ``fit`` is used.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.classifier.methods.folds import inner_folds
from topics.data.types import InputError
from topics.themes.taxonomy import Theme


class FineTunedClassifier(ThemeClassifier):
    """m3e-small (or another encoder) fine-tuned end to end with one sigmoid per theme.

    Args:
        themes: Themes or class names.
        model: Packaged alias, local folder or hub id of the encoder.
        lr: Peak learning rate.
        weight_decay: AdamW weight decay.
        batch_size: Training examples per step.
        epochs: Most epochs.
        warmup: Share of warm-up steps.
        max_length: Token limit per text.
        pooling: ``mean`` or ``cls``.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda[:i]``.
        precision: ``auto`` (bf16 autocast where supported), ``fp32``, ``bf16`` or ``fp16``.
        patience: Epochs without validation improvement before stopping.
        validation_splits: The validation part is one of this many inner splits.
        grid: Unused (one fine-tuning per fit; kept for the common contract).
        inner_splits: Unused (see ``validation_splits``).
        seed: Seed of the split and of training.
    """

    method = "finetune"

    def __init__(
        self,
        themes: Sequence[Theme | str],
        model: str = "m3e-small",
        lr: float = 5e-5,
        weight_decay: float = 0.01,
        batch_size: int = 16,
        epochs: int = 4,
        warmup: float = 0.1,
        max_length: int = 128,
        pooling: str = "mean",
        device: str = "auto",
        precision: str = "auto",
        patience: int = 1,
        validation_splits: int = 5,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.model = model
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.warmup = warmup
        self.max_length = max_length
        self.pooling = pooling
        self.device = device
        self.precision = precision
        self.patience = patience
        self.validation_splits = validation_splits

    def encoder(self) -> Any:
        """Return an unfitted :class:`EncoderClassifier` with this method's settings."""
        from topics.classifier.finetune import EncoderClassifier

        return EncoderClassifier(
            model=self.model,
            problem="multi_label",
            lr=self.lr,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            epochs=self.epochs,
            warmup=self.warmup,
            max_length=self.max_length,
            pooling=self.pooling,
            device=self.device,
            precision=self.precision,
            patience=self.patience,
            seed=self.seed,
            progress=False,
        )

    def fit(
        self,
        texts: Sequence[str],
        Y: Any,
        embeddings: np.ndarray | None = None,
        topics: np.ndarray | None = None,
        groups: Sequence | np.ndarray | None = None,
    ) -> FineTunedClassifier:
        """Fine-tune on all but a validation part, which stops training and tunes thresholds."""
        start = time.perf_counter()
        if self.grid:
            raise InputError("classifier 'finetune' takes no grid: it fine-tunes once per fit")
        data, Y = self._fit_inputs(texts, Y, embeddings, topics)
        train, valid = inner_folds(len(data), groups, self.validation_splits, self.seed)[0]
        scores = self._fine_tune(data, Y, train, valid)._score(data.take(valid))
        self._record_one_pass([(train, valid)], scores, Y[valid], start)
        return self

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> FineTunedClassifier:
        """Fine-tune on all but one validation part (early stopping only; for stack members)."""
        train, valid = inner_folds(len(data), None, self.validation_splits, self.seed)[0]
        return self._fine_tune(data, Y, train, valid)

    def _fine_tune(
        self, data: Inputs, Y: np.ndarray, train: np.ndarray, valid: np.ndarray
    ) -> FineTunedClassifier:
        self.encoder_ = self.encoder().fit(
            data.take(train).texts, Y[train], data.take(valid).texts, Y[valid]
        )
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        return np.asarray(self.encoder_.predict_proba(data.texts), dtype=float)

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        name = f"{prefix.replace('/', '-')}-encoder"
        self.encoder_.save(folder / name)  # safetensors + JSON
        return {"encoder": name}

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        from topics.classifier.finetune import EncoderClassifier

        self.encoder_ = EncoderClassifier.load(folder / state["encoder"], device=self.device)
