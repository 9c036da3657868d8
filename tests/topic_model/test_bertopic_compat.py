"""Canaries for the BERTopic behaviours ``topics.topic_model.bertopic_compat`` relies on.

Each test fits a tiny real BERTopic (synthetic embeddings, identity reduction, given labels:
BERTopic's manual topic modelling) in well under a second and fails with a message naming
the upstream behaviour, the installed BERTopic version and the compat function that relies on
it. The last test keeps every other module of ``src/topics`` off BERTopic's internals.
"""

from __future__ import annotations

import re
from pathlib import Path

import bertopic
import numpy as np
from bertopic import BERTopic
from bertopic.cluster import BaseCluster
from bertopic.dimensionality import BaseDimensionalityReduction
from bertopic.vectorizers import ClassTfidfTransformer, OnlineCountVectorizer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from topics.topic_model import bertopic_compat as compat
from topics.topic_model.bertopic_compat import UNIT_END, UnitTokenizer

SRC = Path(__file__).resolve().parents[2] / "src" / "topics"
VOCAB = {
    0: ["银行", "贷款", "利率", "存款", "理财"],
    1: ["球队", "比赛", "进球", "教练", "联赛"],
    2: ["楼盘", "房价", "开发商", "户型", "物业"],
}
#: Topic of each unit as given to BERTopic (renumbered by size: 8 -> 0, 6 -> 1, 4 -> 2).
GIVEN = [0] * 8 + [1] * 6 + [2] * 4 + [-1] * 3


def _relies(fn: str, behaviour: str) -> str:
    return (
        f"bertopic {bertopic.__version__} {behaviour}: topics.topic_model.bertopic_compat.{fn} "
        f"relies on it (written against bertopic {compat.WRITTEN_FOR})"
    )


class RecordingTokenizer(UnitTokenizer):
    """A UnitTokenizer that records every text the vectorizer hands it."""

    def __init__(self) -> None:
        super().__init__(str.split, token_filter=False)
        self.seen: list[str] = []

    def __call__(self, text: str) -> list[str]:
        self.seen.append(text)
        return super().__call__(text)


def _corpus() -> tuple[list[str], np.ndarray]:
    """Units of space-separated words (the outliers lean to topic 0) and their embeddings."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 8)) * 4
    texts, vectors = [], []
    for i, topic in enumerate(GIVEN):
        words = rng.choice(VOCAB[topic], size=4) if topic >= 0 else [*VOCAB[0][:3], VOCAB[1][0]]
        texts.append(" ".join(words) + f" 第{i}条")
        vectors.append(centres[topic] + rng.standard_normal(8) * 0.1)
    return texts, np.asarray(vectors, dtype=np.float32)


def _model(vectorizer: CountVectorizer | None = None) -> BERTopic:
    tokenizer = RecordingTokenizer()
    return BERTopic(
        language=None,
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=vectorizer
        or CountVectorizer(tokenizer=tokenizer, lowercase=False, token_pattern=None),
        ctfidf_model=ClassTfidfTransformer(),
        calculate_probabilities=False,
    )


def _fit(model: BERTopic | None = None) -> tuple[BERTopic, list[str], np.ndarray, np.ndarray]:
    """A fitted model, the marked units, their embeddings and their topics."""
    model = model or _model()
    texts, vectors = _corpus()
    marked = compat.mark_units(model, texts)
    topics, _ = model.fit_transform(marked, vectors.copy(), y=np.asarray(GIVEN))
    return model, marked, vectors, np.asarray(topics, dtype=int)


def _missing_groups(seen: list[str], marked: list[str], topics: np.ndarray) -> list[int]:
    """Topics whose units reached the vectorizer as no one text: the units, ended by
    UNIT_END, joined with ' ' (in any order; partial_fit sorts them)."""
    groups = set()
    for text in seen:
        pieces = [p.strip() for p in text.split(UNIT_END) if p.strip()]
        if " ".join(p + UNIT_END for p in pieces) == text:
            groups.add(tuple(sorted(pieces)))
    return [
        int(t)
        for t in sorted(set(topics.tolist()))
        if tuple(sorted(m[:-1] for m, k in zip(marked, topics, strict=True) if k == t))
        not in groups
    ]


def _seen(model: BERTopic) -> list[str]:
    return model.vectorizer_model.tokenizer.seen


def _update(model: BERTopic, marked: list[str], labels: np.ndarray) -> None:
    compat.set_assignments(model, labels)
    model.update_topics(
        marked, vectorizer_model=model.vectorizer_model, ctfidf_model=model.ctfidf_model
    )


def test_ctfidf_counts_each_topic_as_its_units_joined_by_spaces():
    model, marked, _, topics = _fit()
    assert set(topics.tolist()) == {-1, 0, 1, 2}
    missing = _missing_groups(_seen(model), marked, topics)
    assert not missing, _relies(
        "UnitTokenizer",
        f"no longer hands the vectorizer each topic's units joined with ' ' (topics {missing}) "
        "before c-TF-IDF, or _preprocess_text now alters them (U+2063 must survive)",
    )
    vocab = set(model.vectorizer_model.get_feature_names_out())
    assert vocab == {w for text in marked for w in text.replace(UNIT_END, "").split()}, _relies(
        "UnitTokenizer", "builds its c-TF-IDF vocabulary from other texts than the units"
    )


def test_partial_fit_counts_each_topic_as_its_units_joined_by_spaces():
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import IncrementalPCA

    tokenizer = RecordingTokenizer()
    model = BERTopic(
        language=None,
        umap_model=IncrementalPCA(n_components=2),
        hdbscan_model=MiniBatchKMeans(n_clusters=3, random_state=0, n_init=3),
        vectorizer_model=OnlineCountVectorizer(
            tokenizer=tokenizer, lowercase=False, token_pattern=None
        ),
        calculate_probabilities=False,
    )
    texts, vectors = _corpus()
    marked = compat.mark_units(model, texts)
    model.partial_fit(marked, vectors.astype(np.float64))
    topics = np.asarray(model.topics_, dtype=int)
    missing = _missing_groups(tokenizer.seen, marked, topics)
    assert not missing, _relies(
        "UnitTokenizer",
        f"partial_fit no longer joins each topic's units with ' ' (topics {missing})",
    )


def test_update_topics_reads_the_assignments_set():
    model, marked, _, topics = _fit()
    labels = np.where(topics == -1, 0, topics)
    labels[0] = 1  # move a unit too
    _update(model, marked, labels)
    info = model.get_topic_info().set_index("Topic")
    counts = {int(t): int(c) for t, c in info["Count"].items()}
    expected = {int(t): int((labels == t).sum()) for t in set(labels.tolist())}
    assert counts == expected, _relies(
        "set_assignments", "update_topics(docs) no longer takes the topics from topics_"
    )
    missing = _missing_groups(_seen(model), marked, labels)
    assert not missing, _relies(
        "UnitTokenizer", "update_topics no longer joins each topic's units with ' '"
    )
    assert compat.outlier_offset(model) == 0 and compat.row_topics(model) == [0, 1, 2], _relies(
        "outlier_offset",
        "update_topics no longer recounts topic sizes (and _outliers) from topics_",
    )


def test_outlier_row_comes_first_in_the_per_topic_matrices():
    model, marked, _, topics = _fit()
    assert compat.outlier_offset(model) == 1, _relies(
        "outlier_offset", "_outliers is no longer 1 when the model has topic -1"
    )
    assert compat.row_topics(model) == [-1, 0, 1, 2]
    words = model.vectorizer_model.get_feature_names_out()
    for topic in (0, 1, 2):
        row = np.asarray(compat.rows_of(model, compat.ctfidf(model), [topic]).todense()).ravel()
        own = {w for m, k in zip(marked, topics, strict=True) if k == topic for w in m.split()}
        assert words[row.argmax()] in own, _relies(
            "rows_of", f"c_tf_idf_ rows are no longer in topic order, -1 first (topic {topic})"
        )


def test_outlier_reduction_by_ctfidf_vectorizes_single_marked_units():
    model, marked, _, topics = _fit()
    outliers = [m for m, t in zip(marked, topics, strict=True) if t == -1]
    new = np.asarray(model.reduce_outliers(marked, topics.tolist(), strategy="c-tf-idf"))
    assert all(doc in _seen(model) for doc in outliers), _relies(
        "UnitTokenizer", "reduce_outliers(strategy='c-tf-idf') no longer vectorizes each unit"
    )
    assert (new[topics == -1] == 0).all() and (new[topics != -1] == topics[topics != -1]).all()


def test_topic_embeddings_set_are_read_by_transform_heatmap_and_save(tmp_path):
    model, marked, vectors, topics = _fit()
    labels = np.where(topics == -1, 2, topics)
    _update(model, marked, labels)
    compat.set_topic_embeddings(model, vectors, labels)
    rows = compat.topic_embeddings(model)
    predicted, _ = model.transform(["x"] * len(rows), rows.astype(np.float32))
    assert list(predicted) == compat.row_topics(model), _relies(
        "set_topic_embeddings",
        "transform no longer reads topic_embeddings_ rows in topic order (-1 first)",
    )
    heat = np.asarray(model.visualize_heatmap(topics=[0, 1, 2]).data[0].z, dtype=float)
    ours = cosine_similarity(compat.rows_of(model, rows, [0, 1, 2]))
    assert np.allclose(heat, ours, atol=1e-5), _relies(
        "set_topic_embeddings", "visualize_heatmap no longer draws topic_embeddings_"
    )
    model.save(tmp_path / "m", serialization="safetensors", save_ctfidf=True)
    loaded = BERTopic.load(str(tmp_path / "m"))
    assert np.allclose(compat.topic_embeddings(loaded), rows, atol=1e-5), _relies(
        "set_topic_embeddings", "save/load no longer keeps topic_embeddings_"
    )
    assert compat.is_fitted(loaded) and compat.row_topics(loaded) == [0, 1, 2]


def test_representative_docs_are_the_units_as_given_and_are_read_back():
    model, marked, _, _ = _fit()
    before = model.get_representative_docs()
    assert before and all(d in marked for docs in before.values() for d in docs), _relies(
        "unmark_representative_docs", "representative_docs_ no longer holds the documents given"
    )
    compat.unmark_representative_docs(model)
    clean = {m.replace(UNIT_END, "") for m in marked}
    info = model.get_topic_info()
    for docs in [*model.get_representative_docs().values(), *info["Representative_Docs"]]:
        assert docs and all(d in clean for d in docs), _relies(
            "unmark_representative_docs",
            "get_representative_docs / get_topic_info no longer read representative_docs_",
        )


def test_fitted_flag_and_topic_labels():
    model = _model()
    assert not compat.is_fitted(model), _relies(
        "is_fitted", "topic_representations_ is no longer None before fitting"
    )
    _fit(model)
    assert compat.is_fitted(model)
    labels = compat.topic_labels(model)
    assert sorted(labels) == compat.row_topics(model) and all(
        isinstance(v, str) for v in labels.values()
    )


def test_online_vectorizer_saves_as_a_plain_one(tmp_path):
    online = OnlineCountVectorizer(tokenizer=str.split, lowercase=False, token_pattern=None)
    model, *_ = _fit(_model(online))
    with compat.savable_vectorizer(model):
        model.save(tmp_path / "m", serialization="safetensors", save_ctfidf=True)
    assert model.vectorizer_model is online
    loaded = BERTopic.load(str(tmp_path / "m"))
    assert loaded.vectorizer_model.vocabulary_ == online.vocabulary_, _relies(
        "savable_vectorizer", "save no longer stores the vectorizer's vocabulary_"
    )


def _alternation(names: set[str]) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


def _internals_pattern() -> re.Pattern[str]:
    """``.name`` for BERTopic's private members and fitted (trailing ``_``) attributes, and
    ``"name"`` (as in ``getattr``) for the private ones."""
    names = {n for n in set(dir(BERTopic)) | set(vars(BERTopic())) if not n.startswith("__")}
    private = {n for n in names if n.startswith("_")}
    fitted = {n for n in names if n.endswith("_")}
    dotted, quoted = _alternation(private | fitted), _alternation(private)
    return re.compile(rf"""\.({dotted})(?!\w)|["']({quoted})["']""")


def test_no_module_outside_compat_touches_bertopic_internals():
    pattern = _internals_pattern()
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "bertopic_compat.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in pattern.finditer(line):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {match.group(0)}")
    assert not offenders, (
        "BERTopic internals used outside topics/topic_model/bertopic_compat.py; add a function "
        "there and call it instead:\n" + "\n".join(offenders)
    )
