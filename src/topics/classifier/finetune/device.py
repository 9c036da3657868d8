"""Device and numeric precision: ``device="auto"`` and ``precision="auto"`` resolved in one place.

``auto`` device: CUDA when torch sees a GPU, else CPU. ``auto`` precision: on CPU, bf16 autocast
where oneDNN has a bf16 path (AVX-512 CPUs; reported ~1.3x faster than fp32 for m3e-small),
else fp32; on CUDA, bf16 where supported, else fp16 with a gradient scaler.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from topics.backends import resolve_device
from topics.data.types import InputError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
__all__ = ["PRECISIONS", "autocast", "cpu_bf16_autocast", "resolve_device", "resolve_precision"]


def resolve_precision(precision: str, device: str) -> str:
    """Return ``fp32``, ``bf16`` or ``fp16`` for a resolved ``device``.

    Raises:
        InputError: Unknown precision, or fp16 asked for on CPU.
    """
    import torch

    if precision not in PRECISIONS:
        raise InputError(f"precision is {precision!r}; use one of {list(PRECISIONS)}")
    cuda = device.startswith("cuda")
    if precision == "auto":
        if cuda:
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_bf16_autocast() else "fp32"
    if precision == "fp16" and not cuda:
        raise InputError("precision fp16 needs a CUDA device; use bf16 or fp32 on CPU")
    return precision


def cpu_bf16_autocast() -> bool:
    """Whether bf16 autocast pays on this CPU: oneDNN has a bf16 path (AVX-512 or newer).

    Without it (AVX2-only CPUs such as this project's AMD EPYC), torch still accepts bf16
    autocast but runs it through slow reference kernels: about 10x slower than fp32, measured.
    Relies on ``torch.ops.mkldnn._is_mkldnn_bf16_supported``; ``test_finetune`` fails if
    torch drops it.
    """
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@contextlib.contextmanager
def autocast(device: str, precision: str) -> Iterator[None]:
    """Autocast for ``precision`` on ``device`` (nothing for fp32)."""
    import torch

    if precision == "fp32":
        yield
        return
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    with torch.autocast(device_type=device.split(":")[0], dtype=dtype):
        yield
