"""SetFit: contrastive fine-tuning of a sentence-transformer on label pairs, then a linear head.

The body is fine-tuned with the ``setfit`` library (1.2, CPU; pairs of training units sharing a
theme are positives, others negatives), the head is one class-balanced logistic regression per
theme on the fine-tuned embeddings. Fine-tuning runs once per ``fit`` on all the units given to
``fit``; the inner tuning splits then re-fit only the head. So inner scores are somewhat
optimistic (the body has seen the inner validation units' labels), but no unit outside ``fit``'s
input is ever used.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.classifier.methods.columns import fit_columns, logistic, score_columns
from topics.data.types import InputError
from topics.embedding.resolve import resolve_model
from topics.themes.taxonomy import Theme


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence setfit / transformers info logs and progress bars for the block."""
    from transformers.utils import logging as hf_logging

    names = ("setfit", "sentence_transformers", "transformers")
    levels = {n: logging.getLogger(n).level for n in names}
    bars = hf_logging.is_progress_bar_enabled()
    for name in names:
        logging.getLogger(name).setLevel(logging.ERROR)
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        if bars:
            hf_logging.enable_progress_bar()


def _require_setfit() -> None:
    """Fail with the install command when the optional ``setfit`` package is missing."""
    try:
        import setfit  # noqa: F401
    except ImportError as err:
        raise ImportError(
            "classifier=setfit needs the optional package setfit: "
            "`pip install 'topics[setfit]'` (or `pip install setfit`)"
        ) from err


class SetFitClassifier(ThemeClassifier):
    """Few-shot fine-tuned sentence-transformer (SetFit) with a per-theme logistic head.

    Args:
        themes: Themes or class names.
        model: Packaged alias, local folder or hub id of the body (``m3e-small``).
        num_iterations: Pair-generation rounds: ``2 * num_iterations * n`` pairs at most.
        max_steps: Cap on optimisation steps (``max_steps * batch_size`` pairs).
        batch_size: Pairs per step.
        max_seq_length: Token limit per text during fine-tuning and encoding.
        learning_rate: Body learning rate.
        C: Inverse regularisation strength of the head.
        device: Torch device.
        grid: Hyperparameter grid of the head (e.g. ``{"C": [0.1, 1, 10]}``); body settings
            in the grid would be tuned with the body fitted once, so only ``C`` makes sense.
        inner_splits: Most inner tuning splits.
        seed: Seed of pair sampling, fine-tuning and the head.
    """

    method = "setfit"

    def __init__(
        self,
        themes: Sequence[Theme | str],
        model: str = "m3e-small",
        num_iterations: int = 1,
        max_steps: int = 10,
        batch_size: int = 8,
        max_seq_length: int = 128,
        learning_rate: float = 2e-5,
        C: float = 1.0,
        device: str = "cpu",
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.model = model
        self.num_iterations = num_iterations
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.learning_rate = learning_rate
        self.C = C
        self.device = device

    def _training_args(self, output_dir: str) -> Any:
        _require_setfit()
        from setfit import TrainingArguments

        for name in ("num_iterations", "max_steps", "batch_size", "max_seq_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"setfit.{name} must be a positive integer, got {value!r}")
        seed = self.seed if self.seed is not None else int(np.random.default_rng().integers(2**31))
        return TrainingArguments(
            output_dir=output_dir,
            batch_size=self.batch_size,
            num_epochs=1,
            num_iterations=self.num_iterations,
            max_steps=self.max_steps,
            body_learning_rate=self.learning_rate,
            max_length=self.max_seq_length,
            seed=seed,
            report_to="none",
            save_strategy="no",
            logging_strategy="no",
            logging_first_step=False,
            show_progress_bar=False,
        )

    def _fine_tune(self, texts: list[str], Y: np.ndarray) -> Any:
        """Return the body fine-tuned on ``texts`` / ``Y``."""
        from setfit import SetFitModel, Trainer
        from transformers.trainer_callback import PrinterCallback, ProgressCallback

        single_label = bool((Y.sum(axis=1) == 1).all())
        labels: list[Any] = Y.argmax(axis=1).tolist() if single_label else Y.tolist()
        with _quiet(), tempfile.TemporaryDirectory(prefix="setfit-") as tmp:
            setfit_model = SetFitModel.from_pretrained(
                str(resolve_model(self.model)),
                multi_target_strategy=None if single_label else "one-vs-rest",
                device=self.device,
            )
            body = setfit_model.model_body
            body.max_seq_length = self.max_seq_length
            args = self._training_args(tmp)
            trainer = Trainer(model=setfit_model, args=args)
            for callback in (PrinterCallback, ProgressCallback):
                trainer.st_trainer.remove_callback(callback)
            trainer.st_trainer.args.dataloader_pin_memory = False
            trainer.train_embeddings(texts, labels, args=args)
            del trainer
        gc.collect()
        return body

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.body_.encode(
            texts, batch_size=32, show_progress_bar=False, normalize_embeddings=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def _prepare(self, data: Inputs, Y: np.ndarray) -> Inputs:
        self.body_ = self._fine_tune(data.texts, Y)
        return replace(data, embeddings=self._encode(data.texts))

    def _transform(self, data: Inputs) -> Inputs:
        return replace(data, embeddings=self._encode(data.texts))

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> SetFitClassifier:
        self.columns_ = fit_columns(logistic(self.C, self.seed), data.embeddings, Y)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        return score_columns(self.columns_, data.embeddings, len(data))
