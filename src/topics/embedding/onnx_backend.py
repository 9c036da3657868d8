"""ONNX Runtime backend: sentence-transformers models exported locally to ONNX, fp32 or int8.

Inference needs only ``onnxruntime``, ``tokenizers`` and numpy (torch is imported once, to export).
Texts are tokenized with the model's own fast tokenizer, sorted by token count and batched under
a token budget (little padding, small attention matrices), run through the exported transformer,
then pooled and normalized in numpy like sentence-transformers does, so fp32 vectors match the
PyTorch backend to float precision.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.data.types import InputError
from topics.embedding.base import check_texts, empty_vectors, positive_int
from topics.embedding.onnx_export import (
    EXPORT_VERSION,
    MODEL_FILE,
    QUANTIZE_MODES,
    TOKENIZER_FILE,
    ensure_export,
    pool,
    read_meta,
    require_onnxruntime,
)
from topics.embedding.resolve import PACKAGED_MODELS, resolve_model
from topics.embedding.sentence import model_digest

#: Texts tokenized (and sorted by token count) at a time; bounds the memory of the encodings.
_CHUNK = 4096
#: Loaded runtimes, per (export folder, intra-op threads).
_RUNTIMES: dict[tuple[str, int | None], OnnxRuntimeModel] = {}


class OnnxRuntimeModel:
    """One exported model loaded in ONNX Runtime, with its tokenizer and pooling settings.

    Args:
        folder: An export folder (``model.onnx``, ``tokenizer.json``, ``meta.json``).
        meta: Its metadata; read from ``meta.json`` when ``None``.
        threads: Intra-op threads; ``None`` lets ONNX Runtime use all physical cores.

    """

    def __init__(
        self, folder: Path, meta: dict[str, Any] | None = None, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.meta = read_meta(self.folder) if meta is None else meta
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 0 if threads is None else int(threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(self.folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        self.tokenizer.no_padding()  # batches are padded here, after sorting by token count
        self.input_names = [i.name for i in self.session.get_inputs()]

    def tokenize(self, texts: list[str], max_length: int) -> list[Any]:
        """Return the unpadded ``tokenizers`` encodings of ``texts``, truncated to ``max_length``."""
        if self.meta["do_lower_case"]:
            texts = [t.lower() for t in texts]
        self.tokenizer.enable_truncation(max_length=max_length)
        return self.tokenizer.encode_batch(texts)

    def run(self, encodings: list[Any]) -> np.ndarray:
        """Pad one batch of encodings, run the model and return pooled, unnormalized vectors."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), int(self.meta["pad_id"]), dtype=np.int64)
        types = np.full_like(ids, int(self.meta["pad_type_id"]))
        mask = np.zeros_like(ids)
        left = self.meta["padding_side"] == "left"
        for row, enc in enumerate(encodings):
            cols = slice(width - len(enc.ids), width) if left else slice(0, len(enc.ids))
            ids[row, cols], types[row, cols], mask[row, cols] = enc.ids, enc.type_ids, 1
        columns = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {name: columns[name] for name in self.input_names}
        (hidden,) = self.session.run(["last_hidden_state"], feed)
        return pool(hidden, mask, self.meta["pooling"]).astype(np.float32, copy=False)

    def pooled(self, texts: list[str], max_length: int) -> np.ndarray:
        """Return the pooled, unnormalized float32 vectors of ``texts`` run as one batch."""
        return self.run(self.tokenize(texts, max_length))

    def encode(
        self,
        texts: list[str],
        batch_size: int,
        max_length: int,
        normalize: bool,
        max_batch_tokens: int = 1024,
    ) -> np.ndarray:
        """Return one float32 row per text; batches group texts of similar token counts."""
        out = np.empty((len(texts), int(self.meta["dim"])), dtype=np.float32)
        for start in range(0, len(texts), _CHUNK):
            encodings = self.tokenize(texts[start : start + _CHUNK], max_length)
            lengths = [len(e.ids) for e in encodings]
            for rows in length_batches(lengths, batch_size, max_batch_tokens):
                out[start + rows] = self.run([encodings[i] for i in rows])
        if normalize or self.meta["normalize_module"]:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def length_batches(lengths: list[int], batch_size: int, max_tokens: int) -> list[np.ndarray]:
    """Split indices into batches of similar length, longest first.

    A batch holds at most ``batch_size`` items and, once padded to its longest item, at most
    ``max_tokens`` tokens (a single longer item still gets a batch of its own). Little padding
    and small attention matrices make long texts much faster on CPU.
    """
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    batches, start = [], 0
    while start < len(order):
        width = max(lengths[order[start]], 1)
        rows = max(1, min(batch_size, max_tokens // width))
        batches.append(order[start : start + rows])
        start += rows
    return batches


def load_runtime(folder: Path, threads: int | None) -> OnnxRuntimeModel:
    """Load an export folder in ONNX Runtime once per process and thread setting."""
    key = (str(folder), threads)
    if key not in _RUNTIMES:
        require_onnxruntime()
        _RUNTIMES[key] = OnnxRuntimeModel(folder, threads=threads)
    return _RUNTIMES[key]


def default_onnx_dir() -> Path:
    """Return ``$TOPICS_CACHE_DIR/onnx``, or ``.cache/onnx`` under the working directory."""
    return Path(os.environ.get("TOPICS_CACHE_DIR", ".cache")) / "onnx"


class OnnxEmbedder:
    """Embed texts with a sentence-transformers model exported to ONNX (fp32 or int8).

    The first use exports the model into ``onnx_dir`` (a few seconds; int8 quantizes the fp32
    export); later uses, in any process, load the cached export.

    Args:
        model: Packaged alias (``m3e-small``, ``all-MiniLM-L6-v2``), local folder or hub id.
        quantize: ``none`` (fp32, same vectors as PyTorch) or ``int8`` (dynamic quantization:
            faster and 4x smaller, cosine to the fp32 vectors about 0.997 for m3e-small).
        onnx_dir: Cache of exported models; ``None`` means ``default_onnx_dir()``.
        batch_size: Most texts per forward pass.
        normalize: L2-normalize the vectors.
        max_seq_length: Token limit per text; ``None`` keeps the model's own.
        max_batch_tokens: Most tokens per forward pass (rows x longest row): long texts go in
            smaller batches, which is faster on CPU and bounds the attention memory.
        intra_op_threads: ONNX Runtime threads; ``None`` uses all physical cores.
        seed: Accepted for symmetry with the other backends; ONNX inference is deterministic.

    """

    def __init__(
        self,
        model: str = "m3e-small",
        quantize: str = "none",
        onnx_dir: Path | str | None = None,
        batch_size: int = 32,
        normalize: bool = True,
        max_seq_length: int | None = None,
        max_batch_tokens: int = 1024,
        intra_op_threads: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.model = model
        self.quantize = quantize
        self.onnx_dir = onnx_dir
        self.batch_size = batch_size
        self.normalize = normalize
        self.max_seq_length = max_seq_length
        self.max_batch_tokens = max_batch_tokens
        self.intra_op_threads = intra_op_threads
        self.seed = seed

    @property
    def name(self) -> str:
        """The model name as configured."""
        return str(self.model)

    def _check_params(self) -> None:
        if self.quantize not in QUANTIZE_MODES:
            raise InputError(
                f"embedding.quantize must be one of {list(QUANTIZE_MODES)}, got {self.quantize!r}"
            )
        positive_int(self.batch_size, "batch_size")
        positive_int(self.max_seq_length, "max_seq_length", optional=True)
        positive_int(self.max_batch_tokens, "max_batch_tokens")
        positive_int(self.intra_op_threads, "intra_op_threads", optional=True)

    def _digest(self) -> str:
        return model_digest(resolve_model(self.model))

    def export_path(self) -> Path:
        """Return the folder of this model's export, exporting it first if it is not cached."""
        self._check_params()
        root = default_onnx_dir() if self.onnx_dir is None else Path(self.onnx_dir)
        return ensure_export(resolve_model(self.model), self._digest(), self.quantize, root)

    def _runtime(self) -> OnnxRuntimeModel:
        return load_runtime(self.export_path(), self.intra_op_threads)

    def identity(self) -> str:
        """Return backend, quantization, canonical model id, sha256 of the model files, settings."""
        self._check_params()
        packaged = PACKAGED_MODELS.get(self.model)
        model_id = packaged.hub_id if packaged is not None else self.model
        max_len = "default" if self.max_seq_length is None else self.max_seq_length
        return (
            f"onnx|quantize={self.quantize}|recipe={EXPORT_VERSION}|model={model_id}"
            f"|sha256={self._digest()}|normalize={bool(self.normalize)}|max_seq_length={max_len}"
        )

    @property
    def dim(self) -> int:
        """Vector size of the exported model (exports it if needed)."""
        return int(self._runtime().meta["dim"])

    def _max_length(self, meta: dict[str, Any]) -> int:
        limit = meta.get("max_positions")
        wanted = self.max_seq_length or meta.get("max_seq_length") or limit or 512
        if limit and wanted > limit:
            raise InputError(
                f"embedding.max_seq_length={wanted} exceeds the {limit} positions of model "
                f"'{self.model}'; set it to {limit} or less"
            )
        return int(wanted)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return float32 vectors of shape ``(len(texts), dim)``."""
        items = check_texts(texts)
        runtime = self._runtime()
        if not items:
            return empty_vectors(int(runtime.meta["dim"]))
        max_length = self._max_length(runtime.meta)
        return runtime.encode(
            items, self.batch_size, max_length, bool(self.normalize), self.max_batch_tokens
        )

    def __repr__(self) -> str:
        return (
            f"OnnxEmbedder(model={self.model!r}, quantize={self.quantize!r}, "
            f"batch_size={self.batch_size}, normalize={self.normalize}, "
            f"max_seq_length={self.max_seq_length}, max_batch_tokens={self.max_batch_tokens}, "
            f"intra_op_threads={self.intra_op_threads})"
        )
