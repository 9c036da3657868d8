"""The fine-tuning trainer: learns, resumes after an interruption, saves and loads, multi-label."""

from __future__ import annotations

import numpy as np
import pytest

from topics.classifier.finetune import EncoderClassifier, resolve_device, resolve_precision
from topics.classifier.protocols.single_label import stratified_subset
from topics.data.types import InputError


class Interrupt(Exception):
    """Raised by a callback to stop a fit after an epoch."""


def _stop_after(epoch: int):
    def callback(record: dict[str, float]) -> None:
        if record["epoch"] >= epoch:
            raise Interrupt

    return callback


@pytest.fixture(scope="module")
def headlines(thucnews_dir):
    """400 training, 100 validation and 300 test headlines, stratified, from train/dev."""
    rows = [
        line.rstrip("\n").split("\t")
        for line in (thucnews_dir / "thucnews_train.txt").read_text(encoding="utf-8").splitlines()
    ]
    texts, labels = [r[0] for r in rows], [r[1] for r in rows]
    idx = stratified_subset(labels, 800, seed=0)
    pick = lambda ix: ([texts[i] for i in ix], np.asarray([labels[i] for i in ix]))  # noqa: E731
    return pick(idx[:400]), pick(idx[400:500]), pick(idx[500:800])


def _small(**kw) -> EncoderClassifier:
    params = dict(lr=1e-4, batch_size=16, epochs=3, max_length=32, seed=0, progress=False)
    return EncoderClassifier(**{**params, **kw})


@pytest.mark.slow
def test_finetune_learns_thucnews_headlines(headlines):
    (xt, yt), (xv, yv), (xs, ys) = headlines
    clf = _small(patience=3).fit(xt, yt, xv, yv)
    assert [r["epoch"] for r in clf.history_] == [1.0, 2.0, 3.0]
    first, last = clf.history_[0], clf.history_[-1]
    assert last["train_loss"] < first["train_loss"]  # the loss falls across epochs
    assert last["last_batches_loss"] < first["first_batches_loss"] - 0.3
    proba = clf.predict_proba(xs)
    assert proba.shape == (300, 10) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    accuracy = float((clf.predict(xs) == ys).mean())
    assert accuracy > 0.45, accuracy  # chance is 0.1
    assert 1 <= clf.best_epoch_ <= 3
    assert clf.history_[clf.best_epoch_ - 1]["val_accuracy"] == max(
        r["val_accuracy"] for r in clf.history_
    )


@pytest.mark.slow
def test_interrupted_fit_resumes_at_the_next_epoch(headlines, tmp_path):
    (xt, yt), (xv, yv), (xs, _) = headlines
    xt, yt = xt[:96], yt[:96]
    kw = dict(epochs=3, patience=3, precision="fp32", checkpoint_dir=tmp_path / "ckpt")
    with pytest.raises(Interrupt):
        _small(callbacks=[_stop_after(1)], **kw).fit(xt, yt, xv, yv)
    assert len(list((tmp_path / "ckpt").glob("*/last/model.safetensors"))) == 1
    resumed = _small(**kw).fit(xt, yt, xv, yv)
    assert resumed.resumed_from_ == 1
    assert [r["epoch"] for r in resumed.history_] == [1.0, 2.0, 3.0]
    straight = _small(epochs=3, patience=3, precision="fp32").fit(xt, yt, xv, yv)
    assert straight.resumed_from_ == 0
    # the resumed run continues the same optimisation: same data order, schedule, RNG
    np.testing.assert_allclose(
        resumed.predict_proba(xs[:50]), straight.predict_proba(xs[:50]), atol=2e-3
    )
    # a finished checkpoint is reused, another fit's checkpoint is not
    again = _small(**kw).fit(xt, yt, xv, yv)
    assert again.resumed_from_ == 3 and len(again.history_) == 3
    other = _small(**{**kw, "epochs": 1}).fit(xt[:48], yt[:48])
    assert other.resumed_from_ == 0


@pytest.mark.slow
def test_save_and_load_round_trip(headlines, tmp_path):
    (xt, yt), _, (xs, _) = headlines
    clf = _small(epochs=1).fit(xt[:64], yt[:64])
    clf.save(tmp_path / "model")
    assert (tmp_path / "model" / "encoder" / "model.safetensors").is_file()
    assert (tmp_path / "model" / "head.safetensors").is_file()
    back = EncoderClassifier.load(tmp_path / "model", device="cpu")
    assert list(back.classes_) == list(clf.classes_)
    np.testing.assert_allclose(back.predict_proba(xs[:40]), clf.predict_proba(xs[:40]), atol=1e-4)


@pytest.mark.slow
def test_seed_offset_moves_the_encoder_seed_not_the_split(headlines):
    from topics.classifier.multiclass import FinetuneClassifier

    class Spy(FinetuneClassifier):
        def _fit_choose(self, train, y, val, y_val):
            self.seen_val_ = list(val)
            super()._fit_choose(train, y, val, y_val)

    (xt, yt), _, (xs, _) = headlines
    kw = dict(epochs=1, batch_size=16, max_length=24, progress=False, val_size=0.25, seed=3)
    first = Spy(**kw).fit(xt[:80], list(yt[:80]))
    second = Spy(seed_offset=2, **kw).fit(xt[:80], list(yt[:80]))
    assert (first.encoder_.seed_, second.encoder_.seed_) == (3, 5)
    assert len(first.seen_val_) == 20 and first.seen_val_ == second.seen_val_  # same split
    assert not np.allclose(first.predict_proba(xs[:20]), second.predict_proba(xs[:20]))


@pytest.mark.slow
def test_refit_fine_tunes_again_on_every_text_for_the_chosen_epochs(headlines):
    from topics.classifier.multiclass import FinetuneClassifier
    from topics.classifier.multiclass.base import softmax

    class Spy(FinetuneClassifier):
        def _refit(self, texts, y):
            self.first_ = self.encoder_
            self.refit_texts_ = list(texts)
            super()._refit(texts, y)

    (xt, yt), _, (xs, _) = headlines
    kw = dict(epochs=2, patience=2, batch_size=16, max_length=24, progress=False, seed=3)
    clf = Spy(val_size=0.25, refit=True, **kw).fit(xt[:80], list(yt[:80]))
    first, final = clf.first_, clf.encoder_
    assert clf.refit_texts_ == list(xt[:80])  # the validation split included
    assert len(final.history_) == clf.best_params_["refit_epochs"] == first.best_epoch_
    assert final.seed_ == first.seed_ == 3 and final is not first
    assert "refitted" in clf.trained_on_
    # the refitted encoder is the one that predicts, with the temperature chosen on validation
    probs = clf.predict_proba(xs[:10])
    assert np.allclose(probs, softmax(final.decision_function(xs[:10]), clf.temperature_))
    assert not FinetuneClassifier().refit  # off unless asked for: a second fine-tuning run


@pytest.mark.slow
def test_multi_label_on_a_synthetic_problem():
    rng = np.random.default_rng(0)
    cues = ["银行贷款", "足球比赛", "手机芯片"]
    filler = ["今天", "消息", "记者", "报道", "发布", "市场", "城市", "最新"]

    def make(n: int) -> tuple[list[str], np.ndarray]:
        Y = (rng.random((n, 3)) < 0.4).astype(np.int8)
        texts = []
        for row in Y:
            words = list(rng.choice(filler, 3)) + [c for c, on in zip(cues, row, strict=True) if on]
            texts.append("".join(rng.permutation(words)))
        return texts, Y

    (xt, Yt), (xv, Yv), (xs, Ys) = make(240), make(60), make(100)
    clf = EncoderClassifier(
        problem="multi_label",
        lr=2e-4,
        batch_size=16,
        epochs=3,
        max_length=24,
        seed=0,
        patience=3,
        progress=False,
    ).fit(xt, Yt, xv, Yv)
    assert clf.history_[-1]["val_loss"] < clf.history_[0]["val_loss"]
    proba = clf.predict_proba(xs)
    assert proba.shape == (100, 3) and ((proba >= 0) & (proba <= 1)).all()
    assert (clf.predict(xs) == Ys).mean() > 0.9  # every cue is learned


def test_bad_settings_fail_with_a_clear_message():
    with pytest.raises(InputError, match="problem"):
        EncoderClassifier(problem="ranking").fit(["a", "b"], np.array([0, 1]))
    with pytest.raises(InputError, match="multi_label targets"):
        EncoderClassifier(problem="multi_label").fit(["a", "b"], np.array([0, 1]))
    with pytest.raises(InputError, match="precision"):
        resolve_precision("fp8", "cpu")
    with pytest.raises(InputError, match="fp16 needs a CUDA"):
        resolve_precision("fp16", "cpu")


def test_auto_device_and_precision():
    import torch

    # the CPU bf16 probe relies on this private torch op (see finetune/device.py)
    assert callable(torch.ops.mkldnn._is_mkldnn_bf16_supported)

    device = resolve_device("auto")
    assert device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_precision("auto", device) in ("bf16", "fp16", "fp32")
    assert resolve_precision("fp32", device) == "fp32"


def test_gpu_fine_tuning_path(headlines):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine: the GPU fine-tuning path is not exercised")
    (xt, yt), (xv, yv), (xs, ys) = headlines
    clf = _small(device="auto").fit(xt, yt, xv, yv)
    assert clf.device_.startswith("cuda") and clf.precision_ in ("bf16", "fp16")
    assert float((clf.predict(xs) == ys).mean()) > 0.45
