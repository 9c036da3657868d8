"""The theme pipeline as an MLflow pyfunc model, logged the "models from code" way.

Normalization, embedding, classifier, thresholds and nearest topic travel together, so that the
model loads with ``mlflow.pyfunc.load_model`` and tags new texts. Nothing is pickled: the model
class comes from the code file ``theme_model_code.py`` (MLflow copies it into the model and runs
it at load time), the encoder is stored as safetensors, the classifier as JSON + ``.npz`` arrays
(:mod:`topics.classifier.model.persist`), the topic centroids as ``.npz``.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from topics.classifier.model.persist import save_classifier
from topics.data.types import InputError

if TYPE_CHECKING:
    from mlflow.models import ModelSignature

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


#: The models-from-code file: it builds a :class:`ThemePipeline` and hands it to MLflow.
MODEL_CODE = Path(__file__).with_name("theme_model_code.py")
#: Embedding backends whose encoder is stored in (or rebuilt for) the logged model.
SAVABLE_BACKENDS = ("sentence_transformers", "onnx")


def save_encoder(model: str, folder: Path) -> Path:
    """Save a sentence-transformers encoder as safetensors (+ its JSON configs) in ``folder``."""
    from topics.embedding.resolve import resolve_model
    from topics.embedding.sentence import load_model

    encoder, _ = load_model(resolve_model(model), "cpu")
    encoder.save(str(folder), safe_serialization=True)
    return folder


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
        """Rebuild tokenizer and embedder from the logged settings and encoder; load the classifier."""
        from topics.classifier.model.persist import load_classifier
        from topics.embedding import build_embedder
        from topics.tokenize import build_tokenizer

        art = context.artifacts
        self.settings = json.loads(Path(art["settings"]).read_text(encoding="utf-8"))
        topics = np.load(art["topics"], allow_pickle=False)
        self.topic_ids, self.centroids = topics["ids"], topics["centroids"]
        self.topic_labels = dict(
            zip(self.settings["topic_ids"], self.settings["topic_labels"], strict=True)
        )
        self.tokenizer = build_tokenizer(self.settings["tokenizer"])
        emb_cfg = {**self.settings["embedding"], "cache": False}
        if "encoder" in art:
            emb_cfg["model"] = str(art["encoder"])
        self.embedder = build_embedder(emb_cfg)
        self.classifier = load_classifier(
            art["classifier"], tokenizer=self.tokenizer, embedder=self.embedder
        )

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


def _signature(output: pd.DataFrame) -> ModelSignature:
    """The model's signature: text in, ``output``'s columns out.

    MLflow warns about every integer column it infers, because an integer *input* column cannot
    hold a missing value at serving time. The only input here is ``text``; the integer column is
    an output (``topic``, the nearest topic's id), which MLflow does not enforce, so that hint is
    dropped.
    """
    from mlflow.models import infer_signature

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*Inferred schema contains integer column", category=UserWarning
        )
        return infer_signature(INPUT_EXAMPLE, output)


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

    emb_cfg = _plain(embedding_cfg)
    if emb_cfg.get("backend") not in SAVABLE_BACKENDS:
        raise InputError(
            f"embedding backend {emb_cfg.get('backend')!r} cannot be logged without pickle; "
            f"the theme model supports {SAVABLE_BACKENDS}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        save_classifier(classifier, tmp_path / "classifier")
        ids, cents = topic_centroids(np.asarray(embeddings, dtype=np.float32), topics)
        np.savez(tmp_path / "topics.npz", ids=ids, centroids=cents)
        settings = {
            "embedding": {k: v for k, v in emb_cfg.items() if k not in {"cache_dir"}},
            "tokenizer": _plain(tokenizer_cfg),
            "theme_ids": list(theme_ids),
            "topic_ids": [int(t) for t in ids],
            "topic_labels": [str(topic_labels.get(int(t), "")) for t in ids],
        }
        (tmp_path / "settings.json").write_text(json.dumps(settings, ensure_ascii=False, indent=1))
        artifacts = {
            "classifier": str(tmp_path / "classifier"),
            "topics": str(tmp_path / "topics.npz"),
            "settings": str(tmp_path / "settings.json"),
        }
        if emb_cfg.get("backend") == "sentence_transformers":
            save_encoder(emb_cfg["model"], tmp_path / "encoder")
            artifacts["encoder"] = str(tmp_path / "encoder")
        model = ThemePipeline()
        model.load_context(type("Context", (), {"artifacts": artifacts})())
        output = model.predict(None, INPUT_EXAMPLE)
        kwargs = {
            "name": name,
            "python_model": str(MODEL_CODE),
            "artifacts": artifacts,
            "input_example": INPUT_EXAMPLE,
            "pip_requirements": _requirements(),
            "signature": _signature(output),
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
