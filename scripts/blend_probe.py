"""Probes of ``classifier=blend_nbsvm`` on its validation split only (benchmarks/README.md).

Fits the blend on THUCNews train as a job would (the fine-tuned member comes from its
checkpoint in the cache when one exists; cold, it trains for ~20 min on 2 cores), then asks two
questions of the validation split it carved, never of dev:

- ``stack`` (2026-12-05 (c)): does a multinomial logistic regression on the members'
  log-probabilities (C by inner 5-fold log-loss) beat one weight per member? Both are scored
  cross-fitted on the same five stratified folds, the C choice redone inside each fold.
- ``knn`` (2026-12-05 (d)): does a nearest-neighbour view of the fine-tuned encoder (cosine
  neighbours among the training headlines in its mean-pooled states) add to the blend?
- ``lr`` (2026-12-06 (g)): does the fine-tuned member do better with another peak learning rate
  (``--lrs``)? Each variant is trained on the same split and blended with the same lexical
  members; its checkpoint lands in the cache, where a job with that setting finds it.
- ``fgm`` (2026-12-06 (h)): does adversarial training of the fine-tuned member (FGM on its token
  embeddings, ``--fgm-epsilons``) help it and the blend? Same split, members and cache as ``lr``.

The blend is fitted with ``refit_members=false``: a refitted member has trained on the validation
split, and its probabilities there would be in-sample.

    python scripts/blend_probe.py --probes stack knn
    python scripts/blend_probe.py --probes lr --lrs 5e-5 2e-4
    python scripts/blend_probe.py --probes fgm --fgm-epsilons 1.0
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from sklearn.linear_model import LogisticRegression

    from topics.classifier.finetune.trainer import EncoderClassifier
    from topics.classifier.multiclass.blend import BlendClassifier

REPO = Path(__file__).resolve().parents[1]
STACK_CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
KNN_KS = (10, 30, 100)
N_FOLDS = 5


def stacked_cross_fitted(probas: list[np.ndarray], y: np.ndarray, seed: int) -> dict[str, object]:
    """Cross-fitted scores of the weighted mean and of the logistic-regression stacker."""
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    from topics.classifier.multiclass.base import log_loss, tune_score
    from topics.classifier.multiclass.blend import cross_fitted_mix

    features = np.hstack([np.log(np.clip(p, 1e-12, 1.0)) for p in probas])
    # the same folds as the mix's: StratifiedKFold splits by y alone
    mean = cross_fitted_mix(probas, y, 0.05, "log_loss", N_FOLDS, seed)
    stacked = np.empty_like(mean)
    chosen = []
    for fit_rows, score_rows in StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed).split(
        features, y
    ):
        losses = Parallel(n_jobs=2)(
            delayed(_inner_log_loss)(c, features[fit_rows], y[fit_rows], seed) for c in STACK_CS
        )
        c = STACK_CS[int(np.argmin(losses))]
        chosen.append(c)
        model = _stacker(c).fit(features[fit_rows], y[fit_rows])
        stacked[score_rows] = model.predict_proba(features[score_rows])
    gain = (stacked.argmax(1) == y).astype(float) - (mean.argmax(1) == y).astype(float)
    rng = np.random.default_rng(seed)
    boots = [gain[rng.integers(0, len(y), len(y))].mean() for _ in range(2000)]
    return {
        "C_per_fold": chosen,
        "mean": {"log_loss": log_loss(mean, y), "accuracy": tune_score("accuracy", y, mean)},
        "stacked": {
            "log_loss": log_loss(stacked, y),
            "accuracy": tune_score("accuracy", y, stacked),
        },
        "accuracy_gain": float(gain.mean()),
        "accuracy_gain_ci95": [float(v) for v in np.percentile(boots, [2.5, 97.5])],
    }


def _stacker(c: float) -> LogisticRegression:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000)


def _inner_log_loss(c: float, x: np.ndarray, y: np.ndarray, seed: int) -> float:
    from sklearn.model_selection import StratifiedKFold

    from topics.classifier.multiclass.base import log_loss

    proba = np.empty((len(y), len(np.unique(y))))
    for a, b in StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed).split(x, y):
        proba[b] = _stacker(c).fit(x[a], y[a]).predict_proba(x[b])
    return log_loss(proba, y)


def pooled_states(encoder: EncoderClassifier, texts: list[str]) -> np.ndarray:
    """L2-normalized inputs of the fine-tuned network's head (its mean-pooled states)."""
    import torch

    from topics.classifier.finetune.batches import batches, encode

    net, captured = encoder.network_, {}
    hook = net.head.register_forward_hook(lambda _m, inp, _o: captured.update(x=inp[0]))
    data = encode(encoder.tokenizer_, texts, encoder.max_length)
    out = np.zeros((len(texts), net.head.in_features), dtype=np.float32)
    net.eval()
    try:
        with torch.inference_mode():
            order = np.argsort(data.lengths, kind="stable")
            for idx, ids, mask in batches(data, order, 256, encoder.device_):
                net(ids, mask)
                out[idx] = captured["x"].float().cpu().numpy()
    finally:
        hook.remove()
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def knn_member(
    train: np.ndarray, y_train: np.ndarray, val: np.ndarray, y_val: np.ndarray
) -> tuple[int, np.ndarray, dict[str, dict[str, float]]]:
    """Pick k on validation log-loss; return it, its calibrated probabilities and every k's scores."""
    from topics.classifier.multiclass.base import fit_temperature, log_loss, softmax, tune_score

    sims = val @ train.T
    nearest = np.argsort(-sims, axis=1)[:, : max(KNN_KS)]
    n_classes = int(y_train.max()) + 1
    found: dict[int, np.ndarray] = {}
    scores: dict[str, dict[str, float]] = {}
    for k in KNN_KS:
        rows = nearest[:, :k]
        near_sims, near_labels = np.take_along_axis(sims, rows, 1), y_train[rows]
        votes = np.stack([(near_sims * (near_labels == c)).sum(1) for c in range(n_classes)], 1)
        logits = np.log(votes + 1e-3)
        temperature = fit_temperature(logits, y_val)
        found[k] = softmax(logits, temperature)
        scores[str(k)] = {
            "temperature": temperature,
            "log_loss": log_loss(found[k], y_val),
            "accuracy": tune_score("accuracy", y_val, found[k]),
        }
    best = min(KNN_KS, key=lambda k: scores[str(k)]["log_loss"])
    return best, found[best], scores


def member_variant(cfg: DictConfig, texts: list[str], labels: list[str], **settings: float) -> dict:
    """Fit the blend with its fine-tuned member changed by ``settings``; validation only."""
    from omegaconf import OmegaConf

    from topics.classifier.multiclass import build_single_label
    from topics.classifier.multiclass.registry import member_config
    from topics.tokenize import build_tokenizer

    members = [
        {**member_config(m, root=cfg), **settings} if m == "finetune" else m
        for m in cfg.classifier.members
    ]
    blend = build_single_label(
        {**OmegaConf.to_container(cfg.classifier, resolve=True), "members": members},
        tokenizer=build_tokenizer(cfg.tokenizer),
        root=cfg,
    )
    start = time.perf_counter()
    blend.fit(texts, labels)
    fit_s = time.perf_counter() - start
    cross = {k: v for k, v in blend.best_params_.items() if k.startswith("cross_fitted/")}
    return {**_member_summary(blend, cross), "fit_s": fit_s}


def _member_summary(blend: BlendClassifier, cross: dict) -> dict:
    """The fine-tuned member's validation scores, the weights and the cross-fitted blend."""
    encoder = dict(blend.members_)["finetune"].encoder_
    return {
        "member_val": blend.member_val_scores_["finetune"],
        "epochs": [r.get("val_accuracy") for r in encoder.history_],
        "fine_tune_s": float(encoder.fit_seconds_),
        "examples_per_s": [r.get("examples_per_s") for r in encoder.history_],
        "weights": {k: v for k, v in blend.best_params_.items() if k.startswith("weight/")},
        "cross_fitted": {k.split("/")[-1]: v for k, v in cross.items()},
    }


def main() -> None:
    """Fit the blend, run the probes, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--classifier", default="blend_nbsvm")
    parser.add_argument(
        "--probes", nargs="+", choices=("stack", "knn", "lr", "fgm"), default=["stack", "knn"]
    )
    parser.add_argument("--lrs", nargs="+", type=float, default=[5e-5, 2e-4])
    parser.add_argument("--fgm-epsilons", nargs="+", type=float, default=[1.0])
    parser.add_argument("--out", type=Path, default=None, help="default: results/<probes>.json")
    args = parser.parse_args()
    single = {"lr": "finetune_lr_probe", "fgm": "finetune_fgm_probe"}
    name = single.get(args.probes[0], "blend_probes") if len(args.probes) == 1 else "blend_probes"
    out = args.out or REPO / "benchmarks" / "results" / f"{name}.json"
    from hydra import compose, initialize_config_dir

    from topics.classifier.multiclass import build_single_label
    from topics.classifier.multiclass.base import validation_split
    from topics.classifier.multiclass.blend import cross_fitted_scores, fit_weights
    from topics.classifier.protocols.single_label import load_labeled
    from topics.paths import config_dir
    from topics.tokenize import build_tokenizer

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                f"paths.root_dir={REPO}",
                "data=thucnews",
                f"classifier={args.classifier}",
                "classifier.refit_members=false",
            ],
        )
    texts, labels = load_labeled(cfg.data, "train")
    blend = build_single_label(cfg.classifier, tokenizer=build_tokenizer(cfg.tokenizer), root=cfg)
    start = time.perf_counter()
    blend.fit(texts, labels)
    report: dict[str, object] = {
        "classifier": args.classifier,
        "fit_s": time.perf_counter() - start,
    }
    train_rows, val_rows = validation_split(labels, blend.val_size, blend.seed)
    y = np.searchsorted(blend.classes_, labels)  # classes_ is sorted
    val = [texts[i] for i in val_rows]
    members = blend.member_probas(val)
    probas = list(members.values())
    seed = int(blend.seed) if blend.seed is not None else 0
    report["members"] = list(members)
    report["blend"] = cross_fitted_scores(probas, y[val_rows], 0.05, "log_loss", seed=seed)
    if "stack" in args.probes:
        report["stack"] = stacked_cross_fitted(probas, y[val_rows], seed)
    if "knn" in args.probes:
        encoder = dict(blend.members_)["finetune"].encoder_
        start = time.perf_counter()
        train_states = pooled_states(encoder, [texts[i] for i in train_rows])
        val_states = pooled_states(encoder, val)
        inference_s = time.perf_counter() - start
        k, knn, per_k = knn_member(train_states, y[train_rows], val_states, y[val_rows])
        weights, _ = fit_weights([*probas, knn], y[val_rows], 0.05, "log_loss")
        report["knn"] = {
            "inference_s": inference_s,
            "per_k": per_k,
            "k": k,
            "weights": weights.tolist(),
            "blend": cross_fitted_scores([*probas, knn], y[val_rows], 0.05, "log_loss", seed=seed),
        }
    if "lr" in args.probes:
        report["lr"] = {
            "1e-4 (the recipe's)": _member_summary(blend, report["blend"]),
            **{f"{lr:g}": member_variant(cfg, texts, labels, lr=lr) for lr in args.lrs},
        }
    if "fgm" in args.probes:
        report["fgm"] = {
            "0 (plain)": _member_summary(blend, report["blend"]),
            **{
                f"{eps:g}": member_variant(cfg, texts, labels, fgm_epsilon=eps)
                for eps in args.fgm_epsilons
            },
        }
    out.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
