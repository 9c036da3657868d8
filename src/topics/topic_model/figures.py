"""Topic figures: interactive HTML (plotly, JS inlined, works offline) and static PNG.

PNGs are drawn with matplotlib (no kaleido/Chrome) with a CJK font from
:func:`topics.topic_model.fonts.find_cjk_font`, so Chinese words render as Chinese.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import plotly.graph_objects as go
from bertopic import BERTopic
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import dendrogram, linkage
from scipy.spatial.distance import squareform
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_similarity
from umap import UMAP

from topics.topic_model.bertopic_compat import ctfidf, rows_of, topic_embeddings
from topics.topic_model.builder import fit_options
from topics.topic_model.fit import TopicResult
from topics.topic_model.fonts import cjk_rc
from topics.topic_model.reduction_cache import CachedReducer

log = logging.getLogger(__name__)

MAX_BAR_TOPICS = 12
BAR_WORDS = 8
OUTLIER_COLOR = "#BDBDBD"
HOVER_CHARS = 120
# plotly.js is written once per figure folder (plotly.min.js) and shared by its HTML files:
# offline, and 4 MB per run instead of 4 MB per figure
PLOTLY_JS = "directory"


def project_2d(
    embeddings: np.ndarray,
    seed: int | None,
    n_neighbors: int = 15,
    cache_dir: str | Path | None = None,
) -> np.ndarray:
    """Reduce ``embeddings`` to 2-D: cosine UMAP seeded with ``seed`` (PCA below 10 rows).

    With ``cache_dir`` (and a seed) the projection is kept in the reduction cache.
    """
    vectors = np.asarray(embeddings, dtype=np.float32)
    if len(vectors) < 10:
        return PCA(n_components=2, random_state=seed).fit_transform(vectors)
    reducer = UMAP(
        n_neighbors=min(n_neighbors, len(vectors) - 1),
        n_components=2,
        min_dist=0.1,
        metric="cosine",
        random_state=seed,
        n_jobs=1 if seed is not None else -1,
    )
    if cache_dir is not None and seed is not None:
        return CachedReducer(reducer, cache_dir).fit_transform(vectors)
    return reducer.fit_transform(vectors)


#: Opacity of topics whose stability is below the threshold (``stability`` column).
FADED = 0.25


def _stability(result: TopicResult) -> dict[int, float]:
    """``{topic: stability}`` from the topics table (consensus or stability mode), or empty."""
    table = result.topics_table
    for column in ("stability", "refit_stability"):
        if column in table:
            return {int(t): float(v) for t, v in zip(table.topic, table[column], strict=True)}
    return {}


def _labels(result: TopicResult, threshold: float = 0.5) -> dict[int, str]:
    """Display label of each topic; unstable topics are marked with their stability."""
    table = result.topics_table
    stability = _stability(result)
    labels = {}
    for topic, label in zip(table["topic"], table["label"], strict=True):
        value = stability.get(int(topic), float("nan"))
        mark = f" (unstable {value:.2f})" if value < threshold else ""
        labels[int(topic)] = f"{topic} {label}{mark}"
    return labels


def _alpha(result: TopicResult, topic: int, threshold: float) -> float:
    """Opacity of a topic: faded when its stability is below ``threshold``."""
    return FADED if _stability(result).get(topic, 1.0) < threshold else 1.0


def _short(text: str, n: int = 22) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _save_png(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


def _barchart(
    model: BERTopic, result: TopicResult, out: Path, topics: list[int], threshold: float
) -> list[Path]:
    shown = topics[:MAX_BAR_TOPICS]
    labels = _labels(result, threshold)
    html_path = out / "topics_barchart.html"
    model.visualize_barchart(topics=shown, n_words=BAR_WORDS, width=300).write_html(
        html_path, include_plotlyjs=PLOTLY_JS
    )
    ncols = min(4, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    fig = Figure(figsize=(3.6 * ncols, 2.8 * nrows))
    for i, topic in enumerate(shown):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        pairs = [(w, s) for w, s in (model.get_topic(topic) or []) if w][:BAR_WORDS][::-1]
        ax.barh(
            [w for w, _ in pairs],
            [s for _, s in pairs],
            color=f"C{i % 10}",
            alpha=_alpha(result, topic, threshold),
        )
        ax.set_title(_short(labels[topic], 36), fontsize=10)
        ax.tick_params(axis="both", labelsize=8)
    fig.suptitle("Topic word scores (c-TF-IDF)")
    fig.tight_layout()
    return [html_path, _save_png(fig, out / "topics_barchart.png")]


def _hover(
    result: TopicResult,
    texts: Sequence[str] | None,
    labels: dict[int, str],
    titles: Mapping[str, str] | None = None,
) -> list[str]:
    frame = result.assignments
    titles = titles or {}
    out = []
    for j, (unit, doc, topic) in enumerate(
        zip(frame["unit_id"], frame["doc_id"], frame["topic"], strict=True)
    ):
        line = html.escape(f"{labels[int(topic)]} | {titles.get(str(doc), doc)} · {unit}")
        if texts is not None:
            line += "<br>" + html.escape(texts[j][:HOVER_CHARS])
        out.append(line)
    return out


def _map(
    result: TopicResult,
    embeddings: np.ndarray,
    texts: Sequence[str] | None,
    out: Path,
    seed: int | None,
    max_points: int,
    cache_dir: Path | None = None,
    threshold: float = 0.5,
    titles: Mapping[str, str] | None = None,
) -> list[Path]:
    topic_of = result.assignments["topic"].to_numpy()
    keep = np.arange(len(topic_of))
    if len(keep) > max_points:
        # draw (and project) a seeded sample: a 2-D UMAP of every unit would cost minutes
        keep = np.sort(np.random.default_rng(seed).choice(keep, size=max_points, replace=False))
    coords = project_2d(np.asarray(embeddings)[keep], seed, cache_dir=cache_dir)
    labels = _labels(result, threshold)
    hover = np.array(_hover(result, texts, labels, titles), dtype=object)
    fig_html = go.Figure()
    fig = Figure(figsize=(9, 7))
    ax = fig.add_subplot(1, 1, 1)
    for i, topic in enumerate(sorted(labels)):
        pos = np.flatnonzero(topic_of[keep] == topic)  # rows of coords
        idx = keep[pos]  # units
        color = OUTLIER_COLOR if topic == -1 else f"C{i % 10}"
        alpha = _alpha(result, topic, threshold)  # unstable topics drawn faded
        trace = go.Scattergl(
            x=coords[pos, 0],
            y=coords[pos, 1],
            mode="markers",
            name=labels[topic],
            hovertext=hover[idx].tolist(),
            hoverinfo="text",
            marker={
                "size": 6,
                "opacity": 0.8 * alpha,
                "color": color if topic == -1 else None,
            },
        )
        fig_html.add_trace(trace)
        ax.scatter(
            coords[pos, 0],
            coords[pos, 1],
            s=12,
            color=color,
            alpha=alpha,
            label=_short(labels[topic], 36),
        )
    fig_html.update_layout(
        title="Units by topic (2-D UMAP of the embeddings)", width=1100, height=750
    )
    html_path = out / "topics_map.html"
    fig_html.write_html(html_path, include_plotlyjs=PLOTLY_JS)
    ax.set_title("Units by topic (2-D projection of the embeddings)")
    ax.set_xticks([])
    ax.set_yticks([])
    if len(labels) <= 20:
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return [html_path, _save_png(fig, out / "topics_map.png")]


def _heatmap(model: BERTopic, result: TopicResult, out: Path, topics: list[int]) -> list[Path]:
    html_path = out / "topics_heatmap.html"
    model.visualize_heatmap(topics=topics).write_html(html_path, include_plotlyjs=PLOTLY_JS)
    sims = cosine_similarity(rows_of(model, topic_embeddings(model), topics))
    labels = _labels(result)
    names = [_short(labels[t], 18) for t in topics]
    size = min(4 + 0.45 * len(topics), 16)
    fig = Figure(figsize=(size + 1.5, size))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(sims, cmap="GnBu", vmin=math.floor(float(sims.min()) * 10) / 10, vmax=1.0)
    ax.set_xticks(range(len(topics)), names, rotation=90, fontsize=8)
    ax.set_yticks(range(len(topics)), names, fontsize=8)
    fig.colorbar(image, ax=ax, label="cosine similarity of topic embeddings")
    ax.set_title("Topic similarity")
    return [html_path, _save_png(fig, out / "topics_heatmap.png")]


def _hierarchy(model: BERTopic, result: TopicResult, out: Path, topics: list[int]) -> list[Path]:
    html_path = out / "topics_hierarchy.html"
    model.visualize_hierarchy(topics=topics).write_html(html_path, include_plotlyjs=PLOTLY_JS)
    rows = rows_of(model, ctfidf(model), topics)
    dist = np.clip(1.0 - cosine_similarity(rows), 0.0, None)
    dist = (dist + dist.T) / 2
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), "ward", optimal_ordering=True)
    labels = _labels(result)
    fig = Figure(figsize=(9, 1.5 + 0.35 * len(topics)))
    ax = fig.add_subplot(1, 1, 1)
    dendrogram(tree, labels=[_short(labels[t], 28) for t in topics], orientation="left", ax=ax)
    ax.set_title("Topic hierarchy (ward linkage on c-TF-IDF cosine distance)")
    ax.tick_params(axis="y", labelsize=8)
    return [html_path, _save_png(fig, out / "topics_hierarchy.png")]


def write_figures(
    model: BERTopic,
    result: TopicResult,
    embeddings: np.ndarray,
    out_dir: str | Path,
    texts: Sequence[str] | None = None,
    seed: int | None = None,
    max_points: int = 5000,
    stability_threshold: float = 0.5,
    titles: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write the topic figures as HTML and PNG into ``out_dir``.

    Figures: word bar chart (>= 1 topic), 2-D map of units, similarity heatmap (>= 2 topics),
    hierarchy (>= 3 topics); figures that need more topics are skipped with a logged reason.

    Args:
        model: The fitted model.
        result: Its :class:`TopicResult`.
        embeddings: The unit embeddings the model was fitted on.
        out_dir: Folder to write into (created).
        texts: Unit texts, for hover excerpts in the HTML map.
        seed: Seed of the 2-D projection (default: the model's seed).
        max_points: Most units drawn on the map (a seeded sample beyond that).
        stability_threshold: Topics whose stability (``stability`` or ``refit_stability``
            column of the topics table) is below this are drawn faded and labelled unstable.
        titles: ``doc_id`` -> article title, shown in the map's hover text.

    Returns:
        The paths written, HTML and PNG per figure.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seed = fit_options(model).seed if seed is None else seed
    topics = [int(t) for t in result.topics_table["topic"] if t != -1]
    written: list[Path] = []
    with matplotlib.rc_context(cjk_rc()):
        if topics:
            written += _barchart(model, result, out, topics, stability_threshold)
        else:
            log.warning("topic figures: no topic found, skipping the bar chart")
        cache_dir = getattr(model.umap_model, "cache_dir", None)  # the model's reduction cache
        written += _map(
            result, embeddings, texts, out, seed, max_points, cache_dir, stability_threshold, titles
        )
        if len(topics) >= 2:
            written += _heatmap(model, result, out, topics)
        else:
            log.warning("topic figures: %d topic(s), the heatmap needs 2; skipped", len(topics))
        if len(topics) >= 3:
            written += _hierarchy(model, result, out, topics)
        else:
            log.warning("topic figures: %d topic(s), the hierarchy needs 3; skipped", len(topics))
    return written
