"""The co-association graph of consensus topics, and the out-of-bag vote that fills it.

A model fitted on a resample labels only the units it drew. With bootstrap resamples a unit is
drawn by ~63% of the models, so a pair of units is drawn together by only ~40% of them: with
5 models, a pair's co-association rests on about two observations. ``out_of_bag: neighbours``
lets every model label every unit, as a bagged clustering does when it applies the partition
learned on each bootstrap sample to the whole set (Dudoit & Fridlyand 2003, "Bagging to improve
the accuracy of a clustering procedure", BagClust1): a unit a model did not draw takes the label
most of its nearest drawn neighbours carry in that model (an outlier label included), nearer
neighbours breaking ties. Clusterwise stability is still measured on the drawn units only.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.neighbors import NearestNeighbors

from topics.evaluation.clusterwise import NOT_DRAWN

OUT_OF_BAG = ("none", "neighbours")


def nearest_neighbours(vectors: np.ndarray, n_neighbors: int) -> np.ndarray:
    """``(n_units, k)`` indices of each unit's nearest neighbours (cosine), nearest first.

    ``k`` is ``n_neighbors`` or ``n_units - 1`` when fewer; a unit is not its own neighbour.
    """
    k = min(n_neighbors, len(vectors) - 1)
    index = NearestNeighbors(n_neighbors=k, metric="cosine").fit(vectors)
    return index.kneighbors(return_distance=False)  # without a query, each unit leaves itself out


def neighbour_pairs(neighbours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, cols)`` of the pairs (unit, neighbour) of a :func:`nearest_neighbours` table."""
    rows = np.repeat(np.arange(len(neighbours)), neighbours.shape[1])
    return rows, neighbours.ravel()


def vote_out_of_bag(labels: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """``labels`` with each undrawn unit labelled by a vote of its drawn neighbours.

    Args:
        labels: One model's label of every unit (``NOT_DRAWN`` where it did not draw it, ``-1``
            for its outliers).
        neighbours: :func:`nearest_neighbours` of all units, nearest first.

    Returns:
        A copy in which every undrawn unit with at least one drawn neighbour carries the label
        with most votes among them (an outlier label counts as a label); among labels with as
        many votes, the one of the nearer neighbour wins. Drawn units keep their labels.
    """
    out = labels.copy()
    undrawn = np.flatnonzero(labels == NOT_DRAWN)
    if len(undrawn) == 0 or neighbours.shape[1] == 0:
        return out
    votes = labels[neighbours[undrawn]]  # (n_undrawn, k), nearest first
    drawn = votes != NOT_DRAWN
    offset = -int(labels[labels != NOT_DRAWN].min(initial=0))  # the lowest label -> column 0
    n_labels = int(labels.max(initial=0)) + offset + 1
    # each vote weighs 1, less a tie-breaking amount that grows with the neighbour's rank
    rank = np.broadcast_to(np.arange(votes.shape[1]), votes.shape)
    weight = 1.0 - rank / (votes.shape[1] + 1.0) ** 2
    tally = np.zeros((len(undrawn), n_labels))
    row = np.broadcast_to(np.arange(len(undrawn))[:, None], votes.shape)
    np.add.at(tally, (row[drawn], votes[drawn] + offset), weight[drawn])
    voted = drawn.any(axis=1)
    out[undrawn[voted]] = tally[voted].argmax(axis=1) - offset
    return out


def coassociation(runs: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> sparse.csr_matrix:
    """Symmetric sparse co-association of the pairs ``(rows, cols)`` over the models' ``runs``.

    A pair's value is the share of the models that labelled both units in which they share a
    cluster (``-1`` is no cluster); pairs no model labelled together are left out.
    """
    together = np.zeros(len(rows))
    drawn = np.zeros(len(rows))
    for labels in np.atleast_2d(runs):
        a, b = labels[rows], labels[cols]
        both = (a != NOT_DRAWN) & (b != NOT_DRAWN)
        drawn += both
        together += both & (a == b) & (a >= 0)
    seen = drawn > 0
    values = together[seen] / drawn[seen]
    n = runs.shape[1]
    graph = sparse.csr_matrix((values, (rows[seen], cols[seen])), shape=(n, n))
    graph.eliminate_zeros()
    return graph.maximum(graph.T).tocsr()


def coassociation_graph(
    runs: np.ndarray, vectors: np.ndarray, n_neighbors: int, out_of_bag: str
) -> sparse.csr_matrix:
    """The consensus's co-association graph over each unit's ``n_neighbors`` nearest units.

    Args:
        runs: ``(n_models, n_units)`` labels of the models (``NOT_DRAWN`` where not drawn).
        vectors: ``(n_units, dim)`` vectors whose cosine neighbours the graph links.
        n_neighbors: Neighbours per unit.
        out_of_bag: ``none`` (pairs count in the models that drew both) or ``neighbours``
            (each model's undrawn units are first labelled by :func:`vote_out_of_bag`).
    """
    neighbours = nearest_neighbours(vectors, n_neighbors)
    if out_of_bag == "neighbours":
        runs = np.vstack([vote_out_of_bag(labels, neighbours) for labels in runs])
    return coassociation(runs, *neighbour_pairs(neighbours))
