"""Diagnostic: how much of the consensus topics' instability comes from the final Louvain seed?

    python scripts/consensus_final_seeds.py [--seeds 5] [KEY=VALUE ...]

Composes `experiment=thucnews_topics_validation` (the validation sample of THUCNews train) with
consensus at `min_cluster_size` 100 and the out-of-bag vote, fits the consensus once (seed 1),
then clusters its one co-association graph with ``--seeds`` Louvain seeds (and settles unstable
groups as the consensus does) and prints the pairwise ARI of the results. Extra ``KEY=VALUE``
arguments are Hydra overrides. Information only (experiments/thucnews_topics/validation.md).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OVERRIDES = [
    "experiment=thucnews_topics_validation",
    "topic_model.min_cluster_size=100",
    "topic_model.consensus.enabled=true",
    "topic_model.consensus.out_of_bag=neighbours",
    "seed=1",
]


def main(argv: list[str] | None = None) -> int:
    """Fit the consensus once and re-cluster its graph with several seeds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf
    from sklearn.metrics import adjusted_rand_score

    from topics.data import load_documents
    from topics.embedding import build_embedder
    from topics.paths import config_dir
    from topics.preprocess.pipeline import preprocess_documents
    from topics.tokenize import build_tokenizer
    from topics.topic_model import build_topic_model
    from topics.topic_model.coassociation import coassociation_graph
    from topics.topic_model.consensus import (
        cluster_graph,
        consensus_options,
        fit_consensus,
        settle_unstable,
    )

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[f"paths.root_dir={REPO}", *OVERRIDES, *args.overrides],
        )
    data = OmegaConf.to_container(cfg.data, resolve=True)
    texts = preprocess_documents(load_documents(data), cfg.preprocess).units.norm.tolist()
    tokenizer = build_tokenizer(cfg.tokenizer)
    vectors = np.asarray(build_embedder(cfg.embedding, tokenizer=tokenizer).embed(texts))
    opts = consensus_options(OmegaConf.to_container(cfg.topic_model, resolve=True))
    assert opts is not None

    def build(seed: int):
        return build_topic_model(OmegaConf.merge(cfg.topic_model, {"seed": seed}), tokenizer)

    result = fit_consensus(build, vectors, opts, int(cfg.seed))
    graph = coassociation_graph(
        result.runs, vectors.astype(np.float32), opts.n_neighbors, opts.out_of_bag
    )
    finals = []
    for seed in range(args.seeds):
        labels, _ = settle_unstable(graph, cluster_graph(graph, opts, seed), result.runs, opts)
        finals.append(labels)
        print(f"Louvain seed {seed}: {labels.max() + 1} topics", flush=True)
    aris = [adjusted_rand_score(a, b) for a, b in itertools.combinations(finals, 2)]
    print(
        f"{len(texts)} units; ARI between Louvain seeds on one graph: "
        f"mean {np.mean(aris):.3f}, min {np.min(aris):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
