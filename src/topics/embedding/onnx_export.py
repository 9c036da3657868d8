"""Export a sentence-transformers model to ONNX (fp32 or int8) into an on-disk cache, locally.

No hub and no ``optimum``: the model's transformer is traced with ``torch.onnx.export`` (inputs
``input_ids``, ``attention_mask`` and, where the tokenizer makes them, ``token_type_ids``; output
``last_hidden_state``); pooling and normalization stay outside the graph (see
``topics.embedding.onnx_runtime``, which also says why the project keeps its own export). int8 is ``onnxruntime.quantization.quantize_dynamic`` of the
fp32 export (per-channel, signed int8 weights, activations quantized at run time).

Layout: ``<onnx_dir>/<sha256(export key)[:32]>/`` holds ``model.onnx``, ``tokenizer.json`` and
``meta.json``. A folder is built under a temporary name in ``<onnx_dir>`` and renamed into place
only once complete, so a crashed or interrupted export never leaves a half-written model folder;
when two processes export at once, the first rename wins and the other copy is discarded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from topics.embedding.base import ModelNotAvailableError
from topics.embedding.onnx_runtime import (
    META_FILE,
    MODEL_FILE,
    POOLING_MODES,
    TOKENIZER_FILE,
    OnnxRuntimeModel,
    pool,
    read_meta,
)

logger = logging.getLogger(__name__)

#: Version of the export recipe; part of the export key and of the embedder identity.
EXPORT_VERSION = "2"  # 2: int8 weights in 7 bits (reduce_range)
OPSET = 17
QUANTIZE_MODES = ("none", "int8")
TMP_PREFIX = ".tmp-"
#: Leftover temporary folders older than this (seconds) are removed by the next export.
STALE_AFTER_S = 24 * 3600
_PROBES = (
    "银行利用人工智能大模型提升风险管理效率。",
    "Banks deploy machine learning to detect fraud in real time.",
    "短",
)
#: Minimum cosine between the exported model and its reference on the probe texts.
_MIN_PROBE_COSINE = {"none": 0.9999, "int8": 0.95}
#: Number of exports (fp32 or int8) this process has performed, per quantize mode.
EXPORTS: dict[str, int] = dict.fromkeys(QUANTIZE_MODES, 0)


def export_key(digest: str, quantize: str) -> str:
    """Return the string naming one export: source model files, quantization and recipe."""
    return f"onnx-export|sha256={digest}|quantize={quantize}|recipe={EXPORT_VERSION}|opset={OPSET}"


def export_dir(onnx_dir: Path, digest: str, quantize: str) -> Path:
    """Return the cache folder of the export of the model with files ``digest``."""
    name = hashlib.sha256(export_key(digest, quantize).encode("utf-8")).hexdigest()[:32]
    return Path(onnx_dir) / name


def is_complete(folder: Path) -> bool:
    """Return whether ``folder`` holds a committed export (model, tokenizer and metadata)."""
    return all((folder / name).is_file() for name in (MODEL_FILE, TOKENIZER_FILE, META_FILE))


def ensure_export(source: Path | str, digest: str, quantize: str, onnx_dir: Path | str) -> Path:
    """Return the export folder of ``source``, exporting (and quantizing) it first if needed.

    Args:
        source: Local model folder or hub id, as returned by ``resolve_model``.
        digest: sha256 of the model files (``topics.embedding.sentence.model_digest``).
        quantize: ``none`` (fp32) or ``int8`` (dynamic quantization of the fp32 export).
        onnx_dir: Root of the ONNX cache.

    Raises:
        ModelNotAvailableError: onnxruntime is missing, the model cannot be exported (unsupported
            modules or tokenizer), or the exported model does not reproduce the original.

    """
    if quantize not in QUANTIZE_MODES:
        raise ValueError(f"quantize must be one of {QUANTIZE_MODES}, got {quantize!r}")
    root = Path(onnx_dir)
    final = export_dir(root, digest, quantize)
    if is_complete(final):
        return final
    require_onnxruntime()
    build: Callable[[Path], None]
    if quantize == "int8":
        build = functools.partial(_quantize_into, ensure_export(source, digest, "none", root))
    else:
        build = functools.partial(_export_into, source, digest)
    logger.info("exporting %s to ONNX (quantize=%s) into %s", source, quantize, final)
    _commit(final, build)
    EXPORTS[quantize] += 1
    return final


def require_onnxruntime() -> None:
    """Raise ``ModelNotAvailableError`` with the install command if onnxruntime or onnx is absent."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ModelNotAvailableError(
            f"the onnx embedding backend needs onnxruntime and onnx ({exc}); install them with "
            f"`pip install onnxruntime onnx`, or use embedding.backend=sentence_transformers"
        ) from exc


def _commit(final: Path, build: Callable[[Path], None]) -> None:
    """Run ``build`` on a fresh temporary folder next to ``final``, then rename it into place."""
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(final.parent)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=final.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache is meant to be shared
        build(tmp)
        for path in tmp.iterdir():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
        try:
            os.rename(tmp, final)
        except OSError as exc:
            if not is_complete(final):  # not a lost race with another exporter: a real error
                raise ModelNotAvailableError(
                    f"cannot store the ONNX export in {final} ({exc}); if that folder exists, "
                    f"it is incomplete: delete it and run again"
                ) from exc
            logger.info("another process exported %s first; using its copy", final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _remove_stale_tmp(root: Path) -> None:
    """Delete temporary folders left by exports that died more than ``STALE_AFTER_S`` ago."""
    now = time.time()
    for path in root.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if path.is_dir() and now - path.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(path, ignore_errors=True)


def _check_structure(model: Any, source: Path | str) -> tuple[Any, str, bool]:
    """Return (transformer module, pooling mode, has Normalize) or explain what is unsupported."""
    kinds = [type(module).__name__ for module in model]
    ok = (
        len(kinds) in (2, 3)
        and kinds[:2] == ["Transformer", "Pooling"]
        and (len(kinds) == 2 or kinds[2] == "Normalize")
        and getattr(model[1], "pooling_mode", None) in POOLING_MODES
    )
    if not ok:
        mode = getattr(model[1], "pooling_mode", None) if len(kinds) > 1 else None
        raise ModelNotAvailableError(
            f"embedding model '{source}' has modules {kinds} (pooling {mode!r}); the onnx backend "
            f"supports Transformer + Pooling ({'/'.join(POOLING_MODES)}) [+ Normalize] only. "
            f"Use embedding.backend=sentence_transformers for this model."
        )
    return model[0], str(model[1].pooling_mode), len(kinds) == 3


def _hidden_state_module(transformer: Any, input_names: list[str]) -> Any:
    """Return a module mapping positional ``input_names`` tensors to ``last_hidden_state``."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(input_names, tensors, strict=True))).last_hidden_state

    return LastHiddenState().eval()


@contextlib.contextmanager
def _quiet_export() -> Iterator[None]:
    """Silence tracer and deprecation warnings and onnxruntime's root-logger advice."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def _export_into(source: Path | str, digest: str, tmp: Path) -> None:
    """Trace the transformer of ``source`` to ``tmp/model.onnx`` and write tokenizer and meta."""
    import torch
    from sentence_transformers import SentenceTransformer

    from topics.embedding.sentence import _transformers_progress

    try:  # eager attention traces to plain MatMul/Softmax, which onnxruntime runs fastest
        with _transformers_progress(False):
            model = SentenceTransformer(
                str(source), device="cpu", model_kwargs={"attn_implementation": "eager"}
            )
    except Exception as exc:
        raise ModelNotAvailableError(
            f"could not load embedding model '{source}' for ONNX export: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    transformer, pooling, has_normalize = _check_structure(model, source)
    tokenizer = transformer.tokenizer
    if tokenizer is None or not getattr(tokenizer, "is_fast", False):
        raise ModelNotAvailableError(
            f"embedding model '{source}' has no fast (Rust) tokenizer, which the onnx backend "
            f"needs; use embedding.backend=sentence_transformers for this model"
        )
    wanted = ("input_ids", "attention_mask", "token_type_ids")
    names = [n for n in wanted if n in tokenizer.model_input_names]
    wrapped = _hidden_state_module(transformer.auto_model, names)
    example = tokenizer(list(_PROBES[:2]), padding=True, return_tensors="pt")
    dynamic = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with _quiet_export(), torch.no_grad():
        torch.onnx.export(
            wrapped,
            tuple(example[n] for n in names),
            str(tmp / MODEL_FILE),
            dynamo=False,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
        )
        probe = tokenizer(list(_PROBES), padding=True, return_tensors="pt")
        hidden = wrapped(*(probe[n] for n in names)).numpy()
    reference = pool(hidden, probe["attention_mask"].numpy(), pooling)
    tokenizer.backend_tokenizer.save(str(tmp / TOKENIZER_FILE))
    meta = {
        "recipe": EXPORT_VERSION,
        "quantize": "none",
        "source_sha256": digest,
        "pooling": pooling,
        "normalize_module": has_normalize,
        "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
        "max_seq_length": model.max_seq_length,
        "max_positions": getattr(transformer.auto_model.config, "max_position_embeddings", None),
        "dim": int(reference.shape[1]),
        "input_names": names,
        "pad_id": tokenizer.pad_token_id or 0,
        "pad_token": tokenizer.pad_token or "[PAD]",
        "pad_type_id": getattr(tokenizer, "pad_token_type_id", 0) or 0,
        "padding_side": tokenizer.padding_side,
        "probe_vectors": np.round(reference, 6).tolist(),
        "torch": torch.__version__,
        "onnxruntime": _ort_version(),
    }
    _verify(tmp, meta, "none", source)
    _write_meta(tmp, meta)


def _quantize_into(base: Path, tmp: Path) -> None:
    """Quantize the fp32 export in ``base`` to int8 in ``tmp`` (weights per channel, QInt8).

    ``reduce_range`` keeps weights to 7 bits: on x86 CPUs without VNNI (AVX2 only, like this
    project's machines) onnxruntime's u8s8 kernels sum pairs of products in 16 bits, which
    saturates with full-range weights (probe cosine to fp32 fell to ~0.75); with 7-bit weights
    they stay exact (cosine 0.996-0.998). VNNI CPUs give the same vectors either way.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_export():
        quantize_dynamic(
            base / MODEL_FILE,
            tmp / MODEL_FILE,
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    shutil.copyfile(base / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
    meta = {**read_meta(base), "quantize": "int8", "onnxruntime": _ort_version()}
    _verify(tmp, meta, "int8", base)
    _write_meta(tmp, meta)


def _ort_version() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)


def _verify(folder: Path, meta: dict[str, Any], quantize: str, source: Path | str) -> None:
    """Check that the exported model reproduces the reference probe vectors."""
    runtime = OnnxRuntimeModel(folder, meta=meta, threads=None)
    got = runtime.pooled(list(_PROBES), max_length=meta["max_seq_length"] or 512)
    ref = np.asarray(meta["probe_vectors"], dtype=np.float32)
    cos = (got * ref).sum(axis=1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(ref, axis=1))
    if not np.all(cos >= _MIN_PROBE_COSINE[quantize]):
        raise ModelNotAvailableError(
            f"the ONNX export (quantize={quantize}) of '{source}' does not reproduce the "
            f"original model (probe cosines {np.round(cos, 5).tolist()}); it was discarded. "
            f"Use embedding.backend=sentence_transformers for this model."
        )


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``meta.json`` last: its presence marks the folder's content as complete."""
    text = json.dumps(meta, indent=1, sort_keys=True)
    (folder / META_FILE).write_text(text, encoding="utf-8")
