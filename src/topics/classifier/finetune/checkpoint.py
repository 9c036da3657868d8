"""Per-epoch checkpoints (resume an interrupted fit) and the saved model format.

A checkpoint is ``<checkpoint_dir>/last/``: ``model.safetensors`` (all weights),
``best.safetensors`` (the best epoch's weights so far, when validating), ``trainer.pt``
(optimizer, schedule, RNG and loop state) and ``meta.json`` (a fingerprint of the settings and
data: a checkpoint of another fit is never resumed). It is written to a temporary folder and
renamed, so a crash while writing leaves the previous one intact.

A saved model is ``encoder/`` (a transformers folder: config, ``model.safetensors``,
tokenizer), ``head.safetensors`` and ``classifier.json`` (settings, classes, history).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from topics.data.types import InputError

if TYPE_CHECKING:
    import torch

    from topics.classifier.finetune.network import EncoderHead
    from topics.classifier.finetune.trainer import EncoderClassifier

log = logging.getLogger(__name__)
FORMAT = 1


@dataclass
class TrainState:
    """Loop state carried across epochs (and across an interruption)."""

    epoch: int = 0
    seed: int = 0
    best_score: float = float("-inf")
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    best_weights: dict[str, torch.Tensor] | None = None


def fingerprint(
    identity: dict[str, Any],
    texts: list[str],
    target: np.ndarray,
    val: tuple[list[str], np.ndarray] | None,
) -> str:
    """Return a sha256 of the settings, the training data and the validation data."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
    parts = [(texts, target)] + ([val] if val is not None else [])
    for items, y in parts:
        digest.update("\x1f".join(items).encode("utf-8"))
        digest.update(np.ascontiguousarray(y).tobytes())
    return digest.hexdigest()


def cpu_state(net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Return a CPU copy of the network's weights."""
    return {k: v.detach().to("cpu", copy=True).contiguous() for k, v in net.state_dict().items()}


def save(
    folder: Path, print_: str, net: EncoderHead, optimizer: Any, scheduler: Any, state: TrainState
) -> None:
    """Write the checkpoint of the epochs done so far (atomically replaces the last one)."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".ckpt-", dir=folder))
    save_file(cpu_state(net), str(tmp / "model.safetensors"))
    if state.best_weights is not None:
        save_file(state.best_weights, str(tmp / "best.safetensors"))
    loop = {k: v for k, v in state.__dict__.items() if k != "best_weights"}
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "loop": loop,
        },
        tmp / "trainer.pt",
    )
    meta = {"format": FORMAT, "fingerprint": print_, "epoch": state.epoch}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    last = folder / "last"
    if last.exists():
        old = folder / ".last-old"
        shutil.rmtree(old, ignore_errors=True)
        last.rename(old)
        tmp.rename(last)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(last)


def load(
    folder: Path, print_: str, net: EncoderHead, optimizer: Any, scheduler: Any
) -> TrainState | None:
    """Restore the checkpoint in ``folder`` into the objects; ``None`` when there is none to use."""
    import torch
    from safetensors.torch import load_file

    last = folder / "last"
    meta_file = last / "meta.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("fingerprint") != print_:
        log.warning(
            "finetune: checkpoint in %s is of another fit (settings or data); not resumed", last
        )
        return None
    device = next(net.parameters()).device
    net.load_state_dict(load_file(str(last / "model.safetensors"), device=str(device)))
    saved = torch.load(last / "trainer.pt", map_location=device, weights_only=True)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["torch_rng"].cpu())
    if saved["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in saved["cuda_rng"]])
    state = TrainState(**saved["loop"])
    best = last / "best.safetensors"
    state.best_weights = load_file(str(best)) if best.is_file() else None
    return state


def save_model(path: Path, clf: EncoderClassifier) -> None:
    """Write a fitted classifier (see the module docstring)."""
    from safetensors.torch import save_file

    from topics.embedding.sentence import _transformers_progress

    path.mkdir(parents=True, exist_ok=True)
    net = clf.network_
    with _transformers_progress(False):
        net.encoder.save_pretrained(str(path / "encoder"), safe_serialization=True)
    clf.tokenizer_.save_pretrained(str(path / "encoder"))
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in net.head.state_dict().items()},
        str(path / "head.safetensors"),
    )
    params = {k: v for k, v in clf.get_params().items() if k not in ("callbacks", "checkpoint_dir")}
    payload = {
        "format": FORMAT,
        "params": {k: (str(v) if isinstance(v, Path) else v) for k, v in params.items()},
        "classes": clf.classes_.tolist(),
        "n_outputs": int(net.head.out_features),
        "best_epoch": clf.best_epoch_,
        "history": clf.history_,
        "precision": clf.precision_,
    }
    (path / "classifier.json").write_text(
        json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def load_model(cls: type[EncoderClassifier], path: Path, device: str) -> EncoderClassifier:
    """Read a classifier written by :func:`save_model`."""
    from safetensors.torch import load_file

    from topics.classifier.finetune.device import resolve_device, resolve_precision
    from topics.classifier.finetune.network import EncoderHead, load_encoder

    meta_file = path / "classifier.json"
    if not meta_file.is_file():
        raise InputError(f"{meta_file} not found: not a folder written by EncoderClassifier.save")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    params = dict(meta["params"])
    params["device"] = device
    clf = cls(**params)
    clf.device_ = resolve_device(device)
    clf.precision_ = resolve_precision(clf.precision, clf.device_)
    encoder, tokenizer = load_encoder(path / "encoder")
    net = EncoderHead(encoder, int(meta["n_outputs"]), clf.pooling)
    net.head.load_state_dict(load_file(str(path / "head.safetensors")))
    clf.network_ = net.to(clf.device_).eval()
    clf.tokenizer_ = tokenizer
    clf.classes_ = np.asarray(meta["classes"])
    clf.history_ = list(meta.get("history", []))
    clf.best_epoch_ = int(meta.get("best_epoch", 0))
    return clf
