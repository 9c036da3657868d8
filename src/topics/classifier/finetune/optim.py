"""Optimiser, learning-rate schedule, seeding and progress bar of the fine-tuning loop."""

from __future__ import annotations

import os
import random
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from topics.classifier.finetune.network import EncoderHead


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def adamw(net: EncoderHead, lr: float, weight_decay: float) -> Any:
    """AdamW with weight decay on weight matrices only (not biases, not LayerNorm)."""
    import torch

    decay, no_decay = [], []
    for name, param in net.named_parameters():
        (no_decay if param.ndim < 2 or "LayerNorm" in name else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": float(weight_decay)},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=float(lr))


def one_cycle(optimizer: Any, total: int, warmup_steps: int) -> Any:
    """Linear warm-up to the peak rate over ``warmup_steps``, then linear decay to 0."""
    import torch

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total - step) / max(1, total - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def progress_bar(total: int, initial: int, wanted: bool) -> Any:
    """A tqdm bar over steps (with ETA), shown only when wanted and stderr is a TTY outside CI."""
    from tqdm.auto import tqdm

    shown = wanted and sys.stderr.isatty() and "CI" not in os.environ
    return tqdm(total=total, initial=initial, disable=not shown, desc="finetune", unit="step")
