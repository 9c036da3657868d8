"""The theme pipeline as an MLflow pyfunc model.

Normalization, embedding, classifier, thresholds and nearest topic travel together, so that the
model loads with ``mlflow.pyfunc.load_model`` and tags new texts.
"""

from __future__ import annotations

import json
import pickle
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

try:  # mlflow is a core dependency; the class below must subclass its PythonModel
    from mlflow.pyfunc import PythonModel
except ImportError:  # pragma: no cover
    PythonModel = object  # type: ignore[misc,assignment]

INPUT_EXAMPLE = pd.DataFrame(
    {
        "text": [
            "银行加快招聘大模型算法人才，并为员工开设提示词工程培训。",
            "金融機構自建算力集群，部署GPU服務器以支持大模型訓練。",
            "The bank set up an AI ethics committee to review model risks and data privacy.",
        ]
    }
)


def topic_centroids(embeddings: np.ndarray, topics: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Mean unit embedding (L2-normalized) of every topic except the outliers (-1)."""
    topics = np.asarray(topics)
    ids = np.array(sorted(t for t in set(topics.tolist()) if t >= 0), dtype=int)
    if len(ids) == 0:
        return ids, np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    cents = np.stack([embeddings[topics == t].mean(axis=0) for t in ids]).astype(np.float32)
    cents /= np.linalg.norm(cents, axis=1, keepdims=True) + 1e-12
    return ids, cents


def _plain(cfg: Mapping[str, Any]) -> dict[str, Any]:
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    return dict(cfg)


def _requirements() -> list[str]:
    """Pinned requirements of the logged model (skips MLflow's slow inference subprocess)."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for dist in (
        "mlflow",
        "topics",
        "torch",
        "sentence-transformers",
        "scikit-learn",
        "jieba",
        "opencc",
        "stopwordsiso",
        "pandas",
        "numpy",
    ):
        try:
            out.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            continue
    return out


class ThemePipeline(PythonModel):
    """Pyfunc model: a DataFrame with a ``text`` column in, themes and nearest topic out."""

    def load_context(self, context: Any) -> None:
        """Rebuild tokenizer and embedder from the logged settings; load the fitted classifier."""
        from topics.embedding import build_embedder
        from topics.tokenize import build_tokenizer

        art = context.artifacts
        self.settings = json.loads(Path(art["settings"]).read_text(encoding="utf-8"))
        with open(art["classifier"], "rb") as fh:
            self.classifier = pickle.load(fh)  # noqa: S301 - written by this project's own run
        topics = np.load(art["topics"], allow_pickle=False)
        self.topic_ids, self.centroids = topics["ids"], topics["centroids"]
        self.topic_labels = dict(
            zip(self.settings["topic_ids"], self.settings["topic_labels"], strict=True)
        )
        self.tokenizer = build_tokenizer(self.settings["tokenizer"])
        if "embedder" in art:
            with open(art["embedder"], "rb") as fh:
                self.embedder = pickle.load(fh)  # noqa: S301 - fitted TF-IDF+SVD of this run
            self.embedder.tokenizer = self.tokenizer
        else:
            self.embedder = build_embedder({**self.settings["embedding"], "cache": False})
        self.classifier.tokenizer = self.tokenizer
        self.classifier.embedder = self.embedder

    def predict(self, context: Any, model_input: pd.DataFrame, params: Mapping | None = None):
        """Tag texts: one row per input with themes, per-theme probabilities and nearest topic."""
        from topics.preprocess.normalize import normalize_for_model

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        if "text" not in frame.columns:
            raise ValueError(f"theme_model needs a 'text' column; got {list(frame.columns)}")
        texts = [normalize_for_model(str(t)) for t in frame["text"]]
        vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)
        topic, similarity = self._nearest_topic(vectors)
        clf = self.classifier
        topic_input = topic if clf.needs_topics else None
        emb_input = vectors if clf.needs_embeddings else None
        scores = clf.predict_proba(texts, emb_input, topic_input)
        pred = clf.predict(texts, emb_input, topic_input)
        ids = self.settings["theme_ids"]
        out = pd.DataFrame(
            {
                "text": frame["text"].astype(str).tolist(),
                "themes": [
                    ",".join(t for t, on in zip(ids, row, strict=True) if on) for row in pred
                ],
            }
        )
        for j, theme in enumerate(ids):
            out[f"p_{theme}"] = scores[:, j].astype(float)
        out["topic"] = topic.astype(int)
        out["topic_label"] = [self.topic_labels.get(int(t), "") for t in topic]
        out["topic_similarity"] = similarity.astype(float)
        return out

    def _nearest_topic(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(self.topic_ids) == 0:
            return np.full(len(vectors), -1), np.zeros(len(vectors))
        unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        sims = unit @ self.centroids.T
        best = sims.argmax(axis=1)
        return self.topic_ids[best], sims[np.arange(len(best)), best]


def log_theme_model(
    classifier: Any,
    *,
    embedder: Any,
    embedding_cfg: Mapping[str, Any],
    tokenizer_cfg: Mapping[str, Any],
    theme_ids: Sequence[str],
    embeddings: np.ndarray,
    topics: Sequence[int],
    topic_labels: Mapping[int, str],
    run_id: str,
    name: str = "theme_model",
) -> str:
    """Log the fitted pipeline into run ``run_id`` as a pyfunc model; return its model URI."""
    import mlflow
    from mlflow.models import infer_signature

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        detached = classifier
        saved = {k: getattr(detached, k, None) for k in ("tokenizer", "embedder")}
        for key in saved:
            setattr(detached, key, None)
        try:
            with open(tmp_path / "classifier.pkl", "wb") as fh:
                pickle.dump(detached, fh)
        finally:
            for key, value in saved.items():
                setattr(detached, key, value)
        ids, cents = topic_centroids(np.asarray(embeddings, dtype=np.float32), topics)
        np.savez(tmp_path / "topics.npz", ids=ids, centroids=cents)
        emb_cfg = _plain(embedding_cfg)
        settings = {
            "embedding": {k: v for k, v in emb_cfg.items() if k not in {"cache_dir"}},
            "tokenizer": _plain(tokenizer_cfg),
            "theme_ids": list(theme_ids),
            "topic_ids": [int(t) for t in ids],
            "topic_labels": [str(topic_labels.get(int(t), "")) for t in ids],
        }
        (tmp_path / "settings.json").write_text(json.dumps(settings, ensure_ascii=False, indent=1))
        artifacts = {
            "classifier": str(tmp_path / "classifier.pkl"),
            "topics": str(tmp_path / "topics.npz"),
            "settings": str(tmp_path / "settings.json"),
        }
        if emb_cfg.get("backend") == "tfidf_svd":
            inner = getattr(embedder, "embedder", embedder)
            tok, inner.tokenizer = inner.tokenizer, None
            try:
                with open(tmp_path / "embedder.pkl", "wb") as fh:
                    pickle.dump(inner, fh)
            finally:
                inner.tokenizer = tok
            artifacts["embedder"] = str(tmp_path / "embedder.pkl")
        model = ThemePipeline()
        model.load_context(type("Context", (), {"artifacts": artifacts})())
        output = model.predict(None, INPUT_EXAMPLE)
        kwargs = {
            "name": name,
            "python_model": model,
            "artifacts": artifacts,
            "input_example": INPUT_EXAMPLE,
            "pip_requirements": _requirements(),
            "signature": infer_signature(INPUT_EXAMPLE, output),
        }
        active = mlflow.active_run()
        if active is not None and active.info.run_id == run_id:
            info = mlflow.pyfunc.log_model(**kwargs)
        else:  # log into the job's run, and leave it RUNNING for its owner to close
            mlflow.start_run(run_id=run_id)
            try:
                info = mlflow.pyfunc.log_model(**kwargs)
            finally:
                mlflow.end_run(status="RUNNING")
    return info.model_uri
