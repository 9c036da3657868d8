"""The network: a transformers encoder, pooling over tokens, and a linear head."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from topics.data.types import InputError

POOLINGS = ("mean", "cls")


class EncoderHead(nn.Module):
    """Encoder + pooling + ``nn.Linear`` head: ``forward`` returns ``(batch, n_outputs)`` logits.

    Args:
        encoder: A transformers encoder (``AutoModel``) returning ``last_hidden_state``.
        n_outputs: Classes (single-label) or labels (multi-label).
        pooling: ``mean`` (attention-masked mean of the token states) or ``cls`` (first token).
    """

    def __init__(self, encoder: nn.Module, n_outputs: int, pooling: str = "mean") -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise InputError(f"pooling is {pooling!r}; use one of {list(POOLINGS)}")
        self.encoder = encoder
        self.pooling = pooling
        self.head = nn.Linear(int(encoder.config.hidden_size), n_outputs)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Return the logits of a padded batch."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.pooling == "cls":
            pooled = states[:, 0]
        else:
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(pooled.to(self.head.weight.dtype))


def load_encoder(folder: Path | str) -> tuple[nn.Module, object]:
    """Load a transformers encoder and its tokenizer from a local folder (no hub access).

    Raises:
        InputError: The folder holds no loadable transformers model.
    """
    from transformers import AutoModel, AutoTokenizer

    from topics.embedding.sentence import _transformers_progress

    try:
        with _transformers_progress(False):
            encoder = AutoModel.from_pretrained(str(folder), local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"could not load a transformers encoder from {folder}: {exc}. Use a packaged alias "
            "(m3e-small) or a folder holding config.json, weights and tokenizer files"
        ) from exc
    return encoder, tokenizer
