"""Consensus topics and clusterwise stability on synthetic data with known structure."""

from __future__ import annotations

import numpy as np
import pytest
from hdbscan import HDBSCAN
from sklearn.metrics import adjusted_rand_score

from topics.evaluation.clusterwise import (
    NOT_DRAWN,
    best_jaccard,
    clusterwise_stability,
    resample_units,
    spread,
)
from topics.topic_model import build_topic_model
from topics.topic_model.coassociation import (
    coassociation,
    coassociation_graph,
    nearest_neighbours,
    vote_out_of_bag,
)
from topics.topic_model.components import TopicModelConfigError
from topics.topic_model.consensus import (
    ConsensusOptions,
    consensus_options,
    fit_consensus,
    labelled_model,
    model_seeds,
    set_epochs,
)
from topics.topic_model.reduction_cache import CachedReducer


def _blobs(sizes=(120, 90, 70), dim=8, spread_=0.05, seed=0):
    """Well-separated unit-norm blobs (cosine geometry, like sentence embeddings)."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[: len(sizes)]
    points, truth = [], []
    for label, (centre, size) in enumerate(zip(centres, sizes, strict=True)):
        points.append(centre + spread_ * rng.standard_normal((size, dim)))
        truth += [label] * size
    vectors = np.vstack(points).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), np.array(truth)


def _build(clustering: dict, min_cluster_size: int = 10):
    conf = {
        "min_cluster_size": min_cluster_size,
        "reduction": {"name": "pca", "n_components": 3},
        "clustering": clustering,
        "reduction_cache": False,
    }

    def build(seed: int | None):
        return build_topic_model({**conf, "seed": seed}, str.split)

    return build


def test_resamples():
    rng = np.random.default_rng(0)
    boot = resample_units(1000, "bootstrap", 0.8, rng)
    assert len(np.unique(boot)) == len(boot) and 550 < len(boot) < 720  # ~63.2% distinct
    sub = resample_units(1000, "subsample", 0.8, rng)
    assert len(sub) == 800 and np.all(np.diff(sub) > 0)
    assert np.array_equal(resample_units(5, "none", 0.8, rng), np.arange(5))
    assert spread(np.array([1, 3]), np.array([7, -1]), 4).tolist() == [NOT_DRAWN, 7, NOT_DRAWN, -1]


def test_best_jaccard_restricts_to_drawn_units():
    reference = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    # the refit drew units 0-5; it finds {0, 1} and {2, 3, 4, 5}
    refit = np.array([5, 5, 6, 6, 6, 6, NOT_DRAWN, NOT_DRAWN])
    scores = best_jaccard(reference, refit)
    assert scores[0] == pytest.approx(2 / 4)  # {0,1,2,3} vs {2,3,4,5} or {0,1}: best 2/4
    assert scores[1] == pytest.approx(2 / 4)  # {4,5} (drawn part) vs {2,3,4,5}
    # a refit that leaves a cluster as noise scores it 0
    assert best_jaccard(reference, np.array([-1, -1, -1, -1, 3, 3, 3, 3])) == {0: 0.0, 1: 1.0}


def test_clusterwise_stability_separates_blobs_from_noise():
    vectors, truth = _blobs(sizes=(150, 150), dim=3, spread_=0.03)
    rng = np.random.default_rng(1)
    noise = rng.uniform(-1.0, 1.0, size=(60, 3)).astype(np.float32)
    points = np.vstack([vectors, noise])
    reference = np.concatenate([truth, np.full(60, 2)])  # the noise called a cluster
    refits = []
    for _ in range(10):
        drawn = resample_units(len(points), "bootstrap", 0.8, rng)
        labels = HDBSCAN(min_cluster_size=15).fit(points[drawn]).labels_
        refits.append(spread(drawn, labels, len(points)))
    stability = clusterwise_stability(reference, np.vstack(refits))
    assert stability[0] > 0.9 and stability[1] > 0.9
    assert stability[2] < 0.5
    # a random labelling of the same sizes is far less stable than the blobs
    shuffled = rng.permutation(reference)
    baseline = clusterwise_stability(shuffled, np.vstack(refits))
    assert max(baseline.values()) < min(stability[0], stability[1]) - 0.3


def test_coassociation_counts_only_models_that_drew_both():
    runs = np.array(
        [
            [0, 0, 1, NOT_DRAWN],
            [0, 0, 0, 1],
            [2, NOT_DRAWN, -1, -1],
        ]
    )
    rows, cols = np.array([0, 0, 2, 2]), np.array([1, 2, 3, 0])
    graph = coassociation(runs, rows, cols).toarray()
    assert (
        graph[0, 1] == graph[1, 0] == pytest.approx(1.0)
    )  # together in both models that drew both
    assert graph[0, 2] == pytest.approx(1 / 3)  # together in 1 of 3; outliers share no cluster
    assert graph[2, 3] == 0.0  # drawn together twice, never in one cluster


def test_out_of_bag_units_take_the_vote_of_their_drawn_neighbours():
    labels = np.array([0, 0, -1, NOT_DRAWN, NOT_DRAWN, 1, NOT_DRAWN])
    neighbours = np.array(
        [
            [1, 2, 3],
            [0, 2, 3],
            [0, 1, 3],
            [5, 0, 1],  # two votes for 0 beat the nearest neighbour's one for 1
            [5, 2, 6],  # 1 (nearest) ties -1: the nearer neighbour wins
            [0, 1, 2],
            [3, 4, 3],  # no drawn neighbour: stays undrawn
        ]
    )
    voted = vote_out_of_bag(labels, neighbours)
    assert voted.tolist() == [0, 0, -1, 0, 1, 1, NOT_DRAWN]
    assert labels[3] == NOT_DRAWN  # the input is left as it was
    # an outlier label wins the vote when most drawn neighbours are outliers
    outliers_around = vote_out_of_bag(
        np.array([-1, -1, 4, NOT_DRAWN]), np.array([[1, 2], [0, 2], [0, 1], [0, 1]])
    )
    assert outliers_around[3] == -1


def test_nearest_neighbours_leave_the_unit_out_and_come_nearest_first():
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.6, 0.4]])
    table = nearest_neighbours(vectors, 2)
    assert table.shape == (4, 2)
    assert all(i not in row for i, row in enumerate(table))
    assert table[0].tolist() == [1, 3]


def test_consensus_with_the_out_of_bag_vote_recovers_blobs():
    vectors, truth = _blobs()
    build = _build({"name": "hdbscan", "min_samples": 5}, min_cluster_size=10)
    opts = ConsensusOptions(n_models=4, n_neighbors=15, min_topic_size=10, out_of_bag="neighbours")
    result = fit_consensus(build, vectors, opts, 3)
    placed = result.labels >= 0
    assert placed.mean() > 0.95
    assert adjusted_rand_score(truth[placed], result.labels[placed]) == pytest.approx(1.0)
    # the models' own labels stay drawn-only: stability is measured on what each model drew
    assert ((result.runs == NOT_DRAWN).mean(axis=1) > 0.2).all()
    assert min(result.stability.values()) > 0.9


def test_with_the_vote_a_pair_counts_in_every_model():
    # two tight pairs {0, 1} and {2, 3}; each unit's one neighbour is its partner
    vectors = np.array([[1.0, 0.0], [0.99, 0.05], [0.0, 1.0], [0.05, 0.99]])
    runs = np.array(
        [
            [0, 0, 1, NOT_DRAWN],  # model 0 did not draw unit 3
            [NOT_DRAWN, -1, 1, 1],  # model 1 did not draw unit 0 and left unit 1 an outlier
        ]
    )
    drawn_only = coassociation_graph(runs, vectors, 1, "none").toarray()
    voted = coassociation_graph(runs, vectors, 1, "neighbours").toarray()
    # (0, 1): drawn together by model 0 alone, together there
    assert drawn_only[0, 1] == pytest.approx(1.0)
    # with the vote model 1 labels unit 0 like its neighbour 1 (an outlier): together in 1 of 2
    assert voted[0, 1] == pytest.approx(0.5)
    # (2, 3): model 0 votes unit 3 into unit 2's cluster, so together in both models
    assert drawn_only[2, 3] == pytest.approx(1.0) and voted[2, 3] == pytest.approx(1.0)


def test_consensus_recovers_blobs_from_over_split_kmeans():
    vectors, truth = _blobs()
    opts = ConsensusOptions(
        n_models=8, resample="bootstrap", n_neighbors=15, min_topic_size=10, method="components"
    )
    # k-means with k=5 must split some of the 3 blobs, differently in every model
    result = fit_consensus(
        _build({"name": "kmeans", "n_clusters": 5, "n_init": 1}), vectors, opts, 0
    )
    assert adjusted_rand_score(truth, result.labels) == pytest.approx(1.0)
    assert set(result.stability) == {0, 1, 2}
    assert min(result.stability.values()) > 0.5
    assert result.runs.shape == (8, len(truth))
    assert ((result.runs == NOT_DRAWN).mean(axis=1) > 0.2).all()  # bootstrap leaves units out


def test_consensus_of_hdbscan_is_stable_and_scores_blobs_near_one():
    vectors, truth = _blobs()
    opts = ConsensusOptions(n_models=5, n_neighbors=15, min_topic_size=10)
    build = _build({"name": "hdbscan", "min_samples": 5}, min_cluster_size=10)
    first = fit_consensus(build, vectors, opts, 1)
    second = fit_consensus(build, vectors, opts, 2)
    placed = first.labels >= 0
    assert placed.mean() > 0.95  # HDBSCAN may leave a few blob-edge points out
    assert adjusted_rand_score(truth[placed], first.labels[placed]) == pytest.approx(1.0)
    assert adjusted_rand_score(first.labels, second.labels) > 0.9
    assert min(first.stability.values()) > 0.9
    assert first.strength[first.labels >= 0].min() > 0.5


def test_unstable_topics_are_merged_or_dropped():
    vectors, truth = _blobs()
    build = _build({"name": "hdbscan", "min_samples": 5}, min_cluster_size=10)
    # the models find the blobs; louvain at high resolution over-splits them into pieces that
    # do not recur in the models
    strict = dict(n_models=6, n_neighbors=15, min_topic_size=10, method="louvain", resolution=8.0)
    kept = fit_consensus(build, vectors, ConsensusOptions(**strict, unstable="keep"), 0)
    merged = fit_consensus(build, vectors, ConsensusOptions(**strict, unstable="merge"), 0)
    dropped = fit_consensus(build, vectors, ConsensusOptions(**strict, unstable="outliers"), 0)
    assert kept.n_unstable > 0 and len(kept.stability) > 3
    assert len(merged.stability) < len(kept.stability)
    placed = merged.labels >= 0
    assert placed.mean() > 0.95
    assert adjusted_rand_score(truth[placed], merged.labels[placed]) == pytest.approx(1.0)
    assert min(merged.stability.values()) > 0.9
    assert (dropped.labels == -1).sum() > 0
    assert all(s >= 0.5 for s in dropped.stability.values())


def test_model_seeds_are_independent_of_neighbouring_jobs():
    a, b = model_seeds(42, 5), model_seeds(43, 5)
    assert len(set(a)) == 5 and not set(a) & set(b)


def test_consensus_options_checked():
    assert consensus_options({"consensus": {"enabled": False}}) is None
    opts = consensus_options({"min_cluster_size": 7, "consensus": {"enabled": True}})
    assert opts is not None and opts.min_topic_size == 7
    with pytest.raises(TopicModelConfigError, match="resample"):
        consensus_options({"consensus": {"enabled": True, "resample": "jackknife"}})
    with pytest.raises(TopicModelConfigError, match="out_of_bag"):
        consensus_options({"consensus": {"enabled": True, "out_of_bag": "predict"}})
    # the seeds turn consensus on by default: a mode it cannot do names the switch that leaves it
    off = r"consensus\.enabled=false \(on by default where data\.topic_consensus is\)"
    with pytest.raises(TopicModelConfigError, match=f"fit_mode=full; or topic_model.{off}"):
        consensus_options({"fit_mode": "online", "consensus": {"enabled": True}})
    with pytest.raises(TopicModelConfigError, match=f"guided/zeroshot; or topic_model.{off}"):
        consensus_options({"guided": True, "consensus": {"enabled": True}})
    with pytest.raises(TopicModelConfigError, match="n_epochs must be null or >= 1"):
        consensus_options({"consensus": {"enabled": True, "n_epochs": 0}})
    with pytest.raises(TopicModelConfigError, match="n_epochs needs topic_model/reduction=umap"):
        consensus_options(
            {"reduction": {"name": "pca"}, "consensus": {"enabled": True, "n_epochs": 5}}
        )


def test_consensus_epochs_reach_the_umap_inside_the_reduction_cache(tmp_path):
    conf = {"min_cluster_size": 5, "reduction": {"name": "umap", "n_components": 3}, "seed": 1}
    plain = build_topic_model({**conf, "reduction_cache": False}, str.split)
    cached = build_topic_model(
        {**conf, "reduction_cache": True, "cache_dir": str(tmp_path)}, str.split
    )
    assert isinstance(cached.umap_model, CachedReducer)
    assert set_epochs(plain, None).umap_model.n_epochs is None
    assert set_epochs(plain, 50).umap_model.n_epochs == 50
    assert set_epochs(cached, 50).umap_model.reducer.n_epochs == 50
    # the epochs are part of the cache key, so fits with other epochs never share an entry
    vectors, _ = _blobs()
    keys = []
    for epochs in (20, 30):
        model = set_epochs(
            build_topic_model(
                {**conf, "reduction_cache": True, "cache_dir": str(tmp_path)}, str.split
            ),
            epochs,
        )
        model.umap_model.fit_transform(vectors)
        keys.append(model.umap_model.key_)
    assert keys[0] != keys[1]
    pca = build_topic_model({**conf, "reduction": {"name": "pca", "n_components": 3}}, str.split)
    with pytest.raises(TopicModelConfigError, match="needs a UMAP reducer"):
        set_epochs(pca, 50)


def test_bertopic_takes_precomputed_labels():
    """BERTopic 0.17.4's manual topic modelling: the labels given are the topics, by size."""
    texts = [f"alpha beta {i}" for i in range(12)] + [f"gamma delta {i}" for i in range(8)]
    vectors = np.random.default_rng(0).standard_normal((20, 4)).astype(np.float32)
    labels = np.array([1] * 12 + [0] * 6 + [-1] * 2)
    model = labelled_model(build_topic_model({"seed": 0}, str.split))
    topics, _ = model.fit_transform(texts, vectors, y=labels)
    topics = np.asarray(topics)
    assert adjusted_rand_score(labels, topics) == pytest.approx(1.0)
    assert topics[0] == 0 and topics[12] == 1 and (topics[18:] == -1).all()  # renumbered by size
    assert "alpha" in [w for w, _ in model.get_topic(0)]
    assert "gamma" in [w for w, _ in model.get_topic(1)]


def test_precomputed_labels_are_mapped_to_bertopic_topics():
    from topics.topic_model.fitting import map_labels

    given = np.array([0, 0, 1, 1, -1, 2])
    fitted = np.array([1, 1, 0, 0, -1, 2])
    assert map_labels(given, fitted) == {0: 1, 1: 0, 2: 2}
