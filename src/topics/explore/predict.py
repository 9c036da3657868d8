"""Predict new texts with a run's models: its pyfunc theme model, else its BERTopic model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml
from omegaconf import DictConfig, OmegaConf

from topics.data.types import InputError
from topics.explore.runs import THEME_MODEL, RunArtifacts, _client, load_run_artifacts

if TYPE_CHECKING:
    from mlflow.entities import Run


def _plain_node(cfg: DictConfig, key: str, params: dict[str, str]) -> dict[str, Any]:
    """A config node as a dict; interpolated values are taken from the run's (resolved) params."""
    node = OmegaConf.to_container(OmegaConf.select(cfg, key), resolve=False)
    assert isinstance(node, dict)
    for name, value in node.items():
        if isinstance(value, str) and "${" in value:
            logged = params.get(f"{key}.{name}")
            node[name] = (
                yaml.safe_load(logged)
                if logged is not None
                else OmegaConf.select(cfg, f"{key}.{name}")
            )
    return node


def _topic_predictor(art: RunArtifacts) -> dict[str, Any]:
    """Load (once) the run's tokenizer, embedder and BERTopic model, built from its config."""
    if "topic_model" not in art._cache:
        from topics.embedding import build_embedder
        from topics.tokenize import build_tokenizer
        from topics.topic_model import load_topic_model

        cfg, params = art.config(), art.run.data.params
        tokenizer = build_tokenizer(_plain_node(cfg, "tokenizer", params))
        emb_cfg = _plain_node(cfg, "embedding", params)
        emb_cfg.update(cache=False)
        emb_cfg.pop("cache_dir", None)
        embedder = build_embedder(emb_cfg, tokenizer=tokenizer)
        if getattr(embedder, "fitted", True) is False:
            embedder = None  # e.g. tfidf_svd: fitted per run, not saved; use c-TF-IDF instead
        art._cache.update(
            topic_model=load_topic_model(art.root / "topics" / "model", embedder, tokenizer),
            embedder=embedder,
            simplify=bool(
                OmegaConf.select(cfg, "preprocess.normalize.to_simplified", default=True)
            ),
        )
    return art._cache


def _similarities(parts: dict[str, Any], norms: list[str]) -> tuple[np.ndarray, str]:
    """Cosine similarity of texts to every topic (rows: texts; columns: topics, -1 first)."""
    from sklearn.metrics.pairwise import cosine_similarity

    from topics.topic_model.bertopic_compat import ctfidf, topic_embeddings

    model, embedder = parts["topic_model"], parts["embedder"]
    if embedder is not None:
        vectors = embedder.embed(norms)
        return cosine_similarity(vectors, topic_embeddings(model)), "embedding"
    weights = model.ctfidf_model.transform(model.vectorizer_model.transform(norms))
    return cosine_similarity(weights, ctfidf(model)), "c-tf-idf"


def _predict_topics(art: RunArtifacts, texts: list[str]) -> pd.DataFrame:
    from topics.preprocess.normalize import normalize_for_model
    from topics.topic_model.bertopic_compat import outlier_offset

    parts = _topic_predictor(art)
    sim, method = _similarities(parts, [normalize_for_model(t, parts["simplify"]) for t in texts])
    ids = np.arange(sim.shape[1]) - outlier_offset(parts["topic_model"])
    sim = np.where(ids >= 0, sim, -np.inf)  # the nearest real topic, never the outlier topic
    best = sim.argmax(axis=1)
    topic = ids[best]
    info = art.topics.set_index("topic")
    return pd.DataFrame(
        {
            "text": texts,
            "topic": topic,
            "label": info.label.reindex(topic).to_numpy(),
            "similarity": sim[np.arange(len(texts)), best],
            "words": info.words.reindex(topic).map(lambda w: " ".join(list(w)[:6])).to_numpy(),
            "method": method,
        }
    )


def theme_model_uri(art: RunArtifacts) -> str | None:
    """URI of the run's logged pyfunc ``theme_model``, or None when the run has none."""
    client, _ = _client(art.tracking_uri)
    run = art.run
    try:
        found = client.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run.info.run_id}' AND name = '{THEME_MODEL}'",
        )
    except Exception:  # noqa: BLE001 - older stores without logged models
        found = []
    if found:
        return found[0].model_uri
    if any(a.path == THEME_MODEL for a in client.list_artifacts(run.info.run_id)):
        return f"runs:/{run.info.run_id}/{THEME_MODEL}"
    return None


def _predict_themes(art: RunArtifacts, texts: list[str], uri: str) -> pd.DataFrame:
    import mlflow

    from topics.tracking.uri import scoped_tracking_uri

    if art._cache.get("theme_uri") != uri:
        with scoped_tracking_uri(art.tracking_uri):  # models:/ and runs:/ resolve in the store
            model = mlflow.pyfunc.load_model(uri)
        art._cache.update(theme_uri=uri, theme_model=model)
    out = art._cache["theme_model"].predict(pd.DataFrame({"text": texts}))
    if isinstance(out, pd.DataFrame):
        frame = out.reset_index(drop=True)
    else:
        frame = pd.DataFrame({"theme": list(np.asarray(out))})
    if "text" not in frame.columns:
        frame.insert(0, "text", texts)
    frame["method"] = THEME_MODEL
    return frame


def predict_texts(
    source: RunArtifacts | Run,
    texts: list[str],
    method: str = "auto",
    tracking_uri: str | None = None,
) -> pd.DataFrame:
    """Predict new texts with a run's models, one row per text.

    Args:
        source: Artifacts from :func:`load_run_artifacts`, or a run (its artifacts are loaded).
        texts: Raw texts in Simplified or Traditional Chinese, or English.
        method: ``"themes"`` (the logged pyfunc ``theme_model``), ``"topics"`` (the nearest
            topic of the saved BERTopic model) or ``"auto"`` (themes when logged, else topics).
        tracking_uri: The run's store, when ``source`` is a run.

    Returns:
        For topics: ``text, topic, label, similarity, words, method``; for themes: ``text``,
        the theme model's output columns (``theme`` when it returns a plain list), ``method``.

    Raises:
        InputError: No texts, an unknown method, or ``"themes"`` for a run without a theme model.
    """
    is_art = isinstance(source, RunArtifacts)
    art = source if is_art else load_run_artifacts(source, tracking_uri)
    texts = [str(t) for t in texts]
    if not texts or not all(t.strip() for t in texts):
        raise InputError("predict_texts: give a non-empty list of non-blank texts")
    if method not in {"auto", "themes", "topics"}:
        raise InputError(f"predict_texts: method {method!r}; use 'auto', 'themes' or 'topics'")
    uri = theme_model_uri(art) if method != "topics" else None
    if method == "themes" and uri is None:
        raise InputError(f"run {art.run_id} logged no {THEME_MODEL}; use method='topics'")
    return _predict_themes(art, texts, uri) if uri else _predict_topics(art, texts)
