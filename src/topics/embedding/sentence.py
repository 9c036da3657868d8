"""Sentence-transformers backend (m3e-small for Chinese, all-MiniLM-L6-v2 for English, ...)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from topics.data.types import InputError
from topics.embedding.base import (
    ModelNotAvailableError,
    check_texts,
    empty_vectors,
    positive_int,
    sha256_files,
)
from topics.embedding.resolve import (
    PACKAGED_MODELS,
    availability_advice,
    hub_snapshot_folder,
    resolve_model,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

#: Loaded models, per (resolved source, device), with their default max_seq_length.
_MODELS: dict[tuple[str, str], tuple[SentenceTransformer, int | None]] = {}
#: sha256 of each model folder's weight and config files, per folder.
_DIGESTS: dict[str, str] = {}
_HASHED_SUFFIXES = {".json", ".bin", ".safetensors", ".txt", ".model", ".pt", ".pth"}
_SKIPPED_DIRS = {"onnx", "openvino"}


def load_model(
    source: Path | str, device: str = "cpu", progress: bool = False
) -> tuple[SentenceTransformer, int | None]:
    """Load a sentence-transformers model once per process and device.

    Args:
        source: A local model folder or a hub id, as returned by ``resolve_model``.
        device: Torch device string, e.g. ``cpu`` or ``cuda:0``.
        progress: Let transformers show its weight-loading progress bar.

    Returns:
        The model and its default ``max_seq_length``.

    Raises:
        ModelNotAvailableError: Loading failed (missing files, no network, bad folder, ...).

    """
    key = (str(source), device)
    if key not in _MODELS:
        try:
            from sentence_transformers import SentenceTransformer

            with _transformers_progress(progress):
                model = SentenceTransformer(str(source), device=device)
        except Exception as exc:
            raise ModelNotAvailableError(
                f"could not load embedding model '{source}' on device '{device}': "
                f"{type(exc).__name__}: {exc}. " + availability_advice(str(source))
            ) from exc
        _MODELS[key] = (model, model.max_seq_length)
    return _MODELS[key]


@contextlib.contextmanager
def _transformers_progress(enabled: bool) -> Iterator[None]:
    """Turn transformers' own progress bars on or off for the block, then restore them."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    (hf_logging.enable_progress_bar if enabled else hf_logging.disable_progress_bar)()
    try:
        yield
    finally:
        (hf_logging.enable_progress_bar if was_enabled else hf_logging.disable_progress_bar)()


def _model_files(folder: Path) -> list[Path]:
    """Return the weight, tokenizer and config files of a model folder (not docs, not exports)."""
    files = []
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p in _SKIPPED_DIRS for p in parts[:-1]):
            continue
        if path.is_file() and path.suffix in _HASHED_SUFFIXES and not parts[-1].startswith("."):
            files.append(path)
    return files


def model_digest(source: Path | str, device: str = "cpu") -> str:
    """Return the sha256 of a model's weight and config files (computed once per process).

    A hub id is hashed from its cached snapshot; if there is none yet, the model is loaded
    (which downloads it when online) first.
    """
    folder = source if isinstance(source, Path) else hub_snapshot_folder(source)
    if folder is None:
        load_model(source, device)
        folder = hub_snapshot_folder(str(source))
    if folder is None:
        raise ModelNotAvailableError(
            f"embedding model '{source}' loaded but its files are not in the Hugging Face cache, "
            f"so it cannot be fingerprinted for the embedding cache. "
            + availability_advice(str(source))
        )
    key = str(folder)
    if key not in _DIGESTS:
        files = _model_files(folder)
        if not files:
            raise ModelNotAvailableError(
                f"embedding model folder '{folder}' holds no weight or config files. "
                + availability_advice(str(source))
            )
        _DIGESTS[key] = sha256_files(files, folder)
    return _DIGESTS[key]


class SentenceTransformerEmbedder:
    """Embed texts with a sentence-transformers model.

    Args:
        model: Packaged alias (``m3e-small``, ``all-MiniLM-L6-v2``), local folder or hub id.
        device: Torch device string.
        batch_size: Texts per forward pass.
        normalize: L2-normalize the vectors.
        max_seq_length: Token limit per text; ``None`` keeps the model's own.
        show_progress: Progress bar: ``True``/``False``, or ``None`` for "stderr is a TTY and
            ``CI`` is unset".

    """

    def __init__(
        self,
        model: str = "m3e-small",
        device: str = "cpu",
        batch_size: int = 32,
        normalize: bool = True,
        max_seq_length: int | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.normalize = normalize
        self.max_seq_length = max_seq_length
        self.show_progress = show_progress

    @property
    def name(self) -> str:
        """The model name as configured."""
        return str(self.model)

    def _check_params(self) -> None:
        positive_int(self.batch_size, "batch_size")
        positive_int(self.max_seq_length, "max_seq_length", optional=True)
        if not isinstance(self.device, str) or not self.device:
            raise InputError(f"embedding.device must be a device string, got {self.device!r}")

    def _loaded(self) -> tuple[SentenceTransformer, int | None]:
        self._check_params()
        return load_model(resolve_model(self.model), self.device, self._progress())

    def identity(self) -> str:
        """Return backend, canonical model id, sha256 of the model files and vector settings."""
        self._check_params()
        packaged = PACKAGED_MODELS.get(self.model)
        model_id = packaged.hub_id if packaged is not None else self.model
        digest = model_digest(resolve_model(self.model), self.device)
        max_len = "default" if self.max_seq_length is None else self.max_seq_length
        return (
            f"sentence_transformers|model={model_id}|sha256={digest}"
            f"|normalize={bool(self.normalize)}|max_seq_length={max_len}"
        )

    @property
    def dim(self) -> int:
        """Vector size reported by the model (loads it if needed)."""
        model, _ = self._loaded()
        getter = getattr(model, "get_embedding_dimension", None)
        dim = getter() if getter is not None else model.get_sentence_embedding_dimension()
        if dim is None:
            raise ModelNotAvailableError(
                f"embedding model '{self.model}' does not report its vector size"
            )
        return int(dim)

    def _progress(self) -> bool:
        if self.show_progress is not None:
            return bool(self.show_progress)
        return sys.stderr.isatty() and "CI" not in os.environ

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return float32 vectors of shape ``(len(texts), dim)``."""
        items = check_texts(texts)
        model, default_max_len = self._loaded()
        if not items:
            return empty_vectors(self.dim)
        model.max_seq_length = (
            default_max_len if self.max_seq_length is None else self.max_seq_length
        )
        vectors = model.encode(
            items,
            batch_size=self.batch_size,
            show_progress_bar=self._progress(),
            normalize_embeddings=bool(self.normalize),
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEmbedder(model={self.model!r}, device={self.device!r}, "
            f"batch_size={self.batch_size}, normalize={self.normalize}, "
            f"max_seq_length={self.max_seq_length})"
        )
