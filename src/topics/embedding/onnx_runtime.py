"""Run an exported model in ONNX Runtime: tokenize, batch by token budget, pool, normalize.

Needs only ``onnxruntime``, ``tokenizers`` and numpy. :mod:`topics.embedding.onnx_export` writes
the folders read here (and imports this module to verify them); :mod:`topics.embedding.onnx_backend`
is the embedder built on both. Neither is imported here, so the three form no import circle.

Why an own export and runtime rather than sentence-transformers' ``backend="onnx"`` and
``export_dynamic_quantized_onnx_model`` (checked against sentence-transformers 6.2.0):

- Torch stays out of the process. ``import sentence_transformers`` imports torch, and a
  ``backend="onnx"`` model still pools and normalizes in its torch modules. Measured by
  ``benchmarks/onnx_memory.py`` (peak RSS of a fresh process that loads the fp32 m3e-small
  export and embeds 500 headlines, median of 3; table in ``benchmarks/README.md``): 377 MiB with
  onnxruntime alone, 582 MiB with torch imported first, 709 MiB with sentence_transformers
  imported first. So at least about 330 MiB; the "about 800 MB" of the issue is the difference
  to the PyTorch backend (1185 vs 398 to 460 MiB in the throughput benchmark), not to
  sentence-transformers' own ONNX path, which was not run (it needs Optimum, not installed).
- No Optimum. Both sentence-transformers functions go through ``optimum.onnxruntime``
  (``ORTModelForFeatureExtraction``, ``ORTQuantizer``), a further dependency the project does not
  otherwise need.
- Exports are cached by the sha256 of the model files and the export recipe, committed
  atomically, and checked against the PyTorch vectors on probe texts before first use;
  sentence-transformers re-exports on each load unless the caller saves the export.
- Token-budget batching (:func:`length_batches`): most of the speed-up on long paragraphs and the
  bound on attention memory (see ``benchmarks/README.md``).

The cost is about 600 lines to maintain, and tracing with ``torch.onnx.export`` directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.onnx"
META_FILE = "meta.json"
TOKENIZER_FILE = "tokenizer.json"
POOLING_MODES = ("mean", "cls", "max")
#: Texts tokenized (and sorted by token count) at a time; bounds the memory of the encodings.
_CHUNK = 4096


def read_meta(folder: Path) -> dict[str, Any]:
    """Return the ``meta.json`` of an export folder."""
    return json.loads((folder / META_FILE).read_text(encoding="utf-8"))


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Pool token vectors ``(batch, seq, dim)`` into sentence vectors like sentence-transformers.

    Args:
        hidden: Token vectors (``last_hidden_state``).
        mask: Attention mask ``(batch, seq)``, 1 for real tokens.
        mode: ``mean`` (over real tokens), ``cls`` (first token) or ``max`` (over real tokens).

    """
    if mode == "cls":
        return hidden[:, 0].astype(np.float32, copy=True)
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "max":
        return np.where(weights > 0, hidden, np.float32(-1e9)).max(axis=1)
    if mode != "mean":
        raise ValueError(f"unsupported pooling mode {mode!r}; supported: {POOLING_MODES}")
    counts = np.maximum(weights.sum(axis=1), 1e-9)
    return (hidden * weights).sum(axis=1) / counts


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
