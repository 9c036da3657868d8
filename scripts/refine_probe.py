"""Probe: does reassigning units by a classifier trained on the topics themselves help?

Exploratory, validation sample only (``experiment=thucnews_topics_validation``, the first 10,000
lines of THUCNews train) with the consensus settings chosen before sweep 10 (HDBSCAN eom at
``min_cluster_size`` 100, as the probe ran; validation.md). One job with stability refits runs
as usual; its main fit and every refit's assignment are captured. Each partition is then
*refined* without labels: a classifier is trained on the partition's own topics (cross-fitted
over 5 folds, so no unit is scored by a model that saw its own topic) and each unit moves to
the topic the classifier prefers. Reported: NMI to the labels of the main fit, and the mean
pairwise ARI between refits on the units both drew, before and after.

    python scripts/refine_probe.py --seed 1 --runs 6
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import StratifiedKFold

if TYPE_CHECKING:
    from topics.context import Context

REPO = Path(__file__).resolve().parents[1]
CAPTURED: dict[str, list] = {"refits": [], "main": []}


def features(texts: list[str], vectors: np.ndarray, view: str) -> sparse.csr_matrix:
    """Char 1-3-gram TF-IDF, the L2-normalized embeddings, or both side by side."""
    parts = []
    if view in ("lexical", "both"):
        tfidf = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
        parts.append(tfidf.fit_transform(texts))
    if view in ("embedding", "both"):
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        parts.append(sparse.csr_matrix(unit))
    return sparse.hstack(parts).tocsr()


def refine(x: sparse.csr_matrix, labels: np.ndarray, seed: int, c: float) -> np.ndarray:
    """Cross-fitted reassignment: each unit's topic by a model trained on the other folds."""
    keep = labels >= 0
    out = labels.copy()
    idx = np.flatnonzero(keep)
    y = labels[idx]
    proba = np.zeros((len(idx), y.max() + 1))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    for train, test in folds.split(idx, y):
        model = LogisticRegression(C=c, max_iter=1000).fit(x[idx[train]], y[train])
        proba[np.ix_(test, model.classes_)] = model.predict_proba(x[idx[test]])
    out[idx] = proba.argmax(axis=1)
    # outliers: predicted by a model on every clustered unit
    if (~keep).any():
        model = LogisticRegression(C=c, max_iter=1000).fit(x[idx], y)
        out[~keep] = model.predict(x[~keep])
    return out


def run_capturing(seed: int, runs: int) -> Context:
    """Run the validation job with stability refits; capture its context and every refit.

    The job is ``experiment=thucnews_topics`` as it was before sweep 10 (eom at 100, refits at
    the configured size), on the validation sample, composed as ``topics-run`` composes it
    (``tests/jobcfg.py``), tracked in a scratch store. The refits are captured by wrapping the
    topic stage's refit function for this process.
    """
    sys.path.insert(0, str(REPO / "tests"))
    import topics.topic_model.stage as stage
    from jobcfg import compose_job  # type: ignore[import-not-found]
    from topics.runner import run

    original_refit, original_stage = stage._refit, stage.run_topic_stage

    def capturing_refit(ctx: Context, build, texts, tokens):  # noqa: ANN001, ANN202
        inner = original_refit(ctx, build, texts, tokens)

        def refit(refit_seed: int, positions: np.ndarray):  # noqa: ANN202
            result = inner(refit_seed, positions)
            topics = result.assignments.topic_before_outlier_reduction.to_numpy()
            CAPTURED["refits"].append((np.asarray(positions), topics))
            return result

        return refit

    def capturing_stage(ctx: Context) -> None:
        CAPTURED["main"].append(ctx)
        original_stage(ctx)

    stage._refit, stage.run_topic_stage = capturing_refit, capturing_stage
    store = Path(tempfile.mkdtemp(prefix="refine_probe_"))
    overrides = [
        "experiment=thucnews_topics_validation",
        f"seed={seed}",
        "topic_model.min_cluster_size=100",
        "topic_model.consensus.enabled=true",
        "topic_model.consensus.out_of_bag=neighbours",
        "topic_model.consensus.n_models=14",
        "topic_model.consensus.n_epochs=200",
        "stability.enabled=true",
        f"stability.n_runs={runs}",
        # refits at the configured size, as the probe ran (before measurement 11)
        "stability.scale_min_cluster_size=false",
        f"tracking.uri=sqlite:///{store}/mlflow.db",
    ]
    cfg, _ = compose_job(REPO, overrides, job=f"refine_probe_{seed}")
    start = time.perf_counter()
    try:
        run(cfg)
    finally:
        stage._refit, stage.run_topic_stage = original_refit, original_stage
    print(f"job {time.perf_counter() - start:.0f} s", flush=True)
    return CAPTURED["main"][0]


def pair_ari(parts: list[tuple[np.ndarray, np.ndarray]], n: int) -> float:
    """Mean ARI over pairs of refits, on the units both drew."""
    from topics.evaluation.clusterwise import NOT_DRAWN, spread

    full = [spread(positions, labels, n) for positions, labels in parts]
    values = []
    for a, b in itertools.combinations(full, 2):
        common = (a != NOT_DRAWN) & (b != NOT_DRAWN)
        values.append(adjusted_rand_score(a[common], b[common]))
    return float(np.mean(values))


def main() -> None:
    """Run the job, then refine its partitions in each view and print NMI and refit ARI."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--views", default="lexical,embedding,both")
    parser.add_argument("--c", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    ctx = run_capturing(args.seed, args.runs)
    units = ctx.need_preprocess().units
    texts = units.norm.tolist()
    gold = units.label.to_numpy()
    vectors = ctx.need_embeddings()
    main_topics = ctx.topics.assignments.topic_before_outlier_reduction.to_numpy()
    n = len(texts)
    report: dict[str, dict[str, float]] = {
        "none": {
            "nmi": float(normalized_mutual_info_score(gold, main_topics)),
            "refit_ari": pair_ari(CAPTURED["refits"], n),
            "n_topics": int(main_topics.max() + 1),
        }
    }
    print("none", report["none"], flush=True)
    for view in args.views.split(","):
        x_all = features(texts, vectors, view)
        t0 = time.perf_counter()
        refined = main_topics
        for r in range(args.rounds):
            refined = refine(x_all, refined, args.seed + r, args.c)
        parts = []
        for positions, labels in CAPTURED["refits"]:
            new = labels
            for r in range(args.rounds):
                new = refine(x_all[positions], new, args.seed + r, args.c)
            parts.append((positions, new))
        report[view] = {
            "nmi": float(normalized_mutual_info_score(gold, refined)),
            "refit_ari": pair_ari(parts, n),
            "moved": float((refined != main_topics).mean()),
            "seconds": time.perf_counter() - t0,
        }
        print(view, report[view], flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
