"""Adversarial training on the word embeddings (FGM: the fast gradient method).

Miyato, Dai & Goodfellow (2017), "Adversarial training methods for semi-supervised text
classification": after the clean backward pass, the token embeddings are moved by ``epsilon``
along their normalized gradient (only the rows of the batch's tokens have one), the batch's loss
is computed and backpropagated once more (its gradients add to the clean ones), and the rows are
put back before the optimizer step. Each step costs about two. The training loop
(``trainer.EncoderClassifier``) makes the extra pass inside :func:`perturbed_embeddings`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from topics.classifier.finetune.network import EncoderHead


@contextmanager
def perturbed_embeddings(net: EncoderHead, epsilon: float) -> Iterator[bool]:
    """Move the input embeddings along their gradient by ``epsilon`` (L2) inside the block.

    Yields whether the embeddings were moved (not when their gradient is missing, zero or not
    finite: the block then sees the clean weights). They are restored on exit, whatever happens.
    """
    import torch

    weight = net.encoder.get_input_embeddings().weight
    grad = weight.grad
    rows = None
    if grad is not None:
        norm = torch.linalg.vector_norm(grad.float())
        if torch.isfinite(norm) and norm > 0:
            # only the batch's tokens have a gradient: move (and later restore) just those rows
            rows = grad.detach().abs().sum(dim=1).nonzero().squeeze(1)
    if rows is None:
        yield False
        return
    with torch.no_grad():
        clean = weight[rows].clone()
        weight[rows] += (epsilon / norm) * grad[rows].to(weight.dtype)
    try:
        yield True
    finally:
        with torch.no_grad():
            weight[rows] = clean
