"""Adversarial training (FGM) of the fine-tuned encoder: the step, its restore, the fit."""

from __future__ import annotations

import numpy as np
import pytest

from topics.classifier.finetune import EncoderClassifier
from topics.data.types import InputError


@pytest.fixture(scope="module")
def net_and_batch():
    """m3e-small with a 3-class head, and a batch of two headlines."""
    from topics.classifier.finetune.batches import batches, encode
    from topics.classifier.finetune.network import EncoderHead, load_encoder
    from topics.embedding.resolve import resolve_model

    encoder, tokenizer = load_encoder(resolve_model("m3e-small"))
    net = EncoderHead(encoder, 3).eval()  # no dropout: the losses compared are deterministic
    data = encode(tokenizer, ["银行发布季度财报", "球队赢得联赛冠军"], 16)
    _, ids, mask = next(iter(batches(data, np.arange(2), 2, "cpu")))
    return net, (ids, mask)


@pytest.mark.slow
def test_the_step_moves_only_the_batch_rows_by_epsilon_and_restores_them_exactly(net_and_batch):
    import torch
    from torch.nn import functional as F

    from topics.classifier.finetune.adversarial import perturbed_embeddings

    net, (ids, mask) = net_and_batch
    weight = net.encoder.get_input_embeddings().weight
    before = weight.detach().clone()
    with perturbed_embeddings(net, 1.0) as moved:
        assert not moved  # no gradient yet: nothing to follow
        assert torch.equal(weight, before)
    net.zero_grad()
    F.cross_entropy(net(ids, mask), torch.tensor([0, 1])).backward()
    with torch.no_grad():
        clean_loss = float(F.cross_entropy(net(ids, mask), torch.tensor([0, 1])))
    with perturbed_embeddings(net, 1.0) as moved, torch.no_grad():
        assert moved
        changed = (weight.detach() != before).any(dim=1).nonzero().squeeze(1)
        assert set(changed.tolist()) <= set(ids.unique().tolist())  # the batch's tokens only
        step = torch.linalg.vector_norm((weight.detach() - before).float())
        assert step.item() == pytest.approx(1.0, rel=1e-3)
        # a step up the gradient raises the loss
        adv_loss = float(F.cross_entropy(net(ids, mask), torch.tensor([0, 1])))
        assert adv_loss > clean_loss
    assert torch.equal(weight, before)  # bit for bit


@pytest.mark.slow
def test_fgm_fit_learns_and_checkpoints_of_plain_fits_keep_their_fingerprint():
    from topics.classifier.finetune import checkpoint as ckpt

    texts = ["银行贷款利率下调", "足球联赛开赛", "手机芯片发布", "央行降准释放流动性"] * 12
    y = np.array([0, 1, 2, 0] * 12)
    params = dict(batch_size=8, epochs=2, max_length=16, seed=0, progress=False, lr=2e-4)
    plain = EncoderClassifier(**params).fit(texts, y)
    adversarial = EncoderClassifier(fgm_epsilon=1.0, **params).fit(texts, y)
    first, last = adversarial.history_[0], adversarial.history_[-1]
    assert last["train_loss"] < first["train_loss"]
    assert (adversarial.predict(texts[:4]) == y[:4]).all()
    # same seed, data and order: only the adversarial pass makes the two fits differ (the step
    # itself is checked above)
    assert not np.allclose(plain.predict_proba(texts[:4]), adversarial.predict_proba(texts[:4]))
    # 0 (off) leaves the fingerprint as before the key existed, so cached checkpoints still load
    assert "fgm_epsilon" not in plain._identity()
    assert "fgm_epsilon" in adversarial._identity()
    assert ckpt.fingerprint(plain._identity(), texts, y, None) != ckpt.fingerprint(
        adversarial._identity(), texts, y, None
    )


def test_a_negative_epsilon_fails_with_a_clear_message():
    for bad in (-1.0, True, "1"):
        with pytest.raises(InputError, match="fgm_epsilon must be a number in"):
            EncoderClassifier(fgm_epsilon=bad).fit(["a", "b"], np.array([0, 1]))
