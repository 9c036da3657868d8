"""Save and load fitted topic models as BERTopic safetensors directories (never pickle)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bertopic
from bertopic import BERTopic

from topics.data.types import InputError
from topics.topic_model.backend import TokenFilter, Tokenizer, as_backend
from topics.topic_model.bertopic_compat import is_fitted, savable_vectorizer
from topics.topic_model.builder import FitOptions, attach_options, fit_options

log = logging.getLogger(__name__)

#: Our own small file next to BERTopic's: fit options and the embedding model's name.
SIDECAR = "topics_model.json"
_REQUIRED = ("topics.json", "config.json", "topic_embeddings.safetensors")


@contextmanager
def _bertopic_log_level(level: int) -> Iterator[None]:
    """Raise BERTopic's logger threshold for the duration (it warns on expected choices)."""
    logger = logging.getLogger("BERTopic")
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)


def save_topic_model(
    model: BERTopic, path: str | Path, embedding_model_name: str | None = None
) -> Path:
    """Save a fitted model as a BERTopic safetensors directory with its c-TF-IDF.

    The embedding model is not saved, nor named in BERTopic's own config (so that loading
    never makes BERTopic fetch or load a model); ``embedding_model_name`` is recorded in
    ``topics_model.json`` for provenance only.

    Args:
        model: A fitted model.
        path: Directory to write (created; files in it are overwritten).
        embedding_model_name: Name of the embedding model the units were embedded with.

    Returns:
        The directory.

    Raises:
        InputError: ``path`` is an existing file.
        ValueError: ``model`` is not fitted.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} is a file; save_topic_model writes a directory")
    if not is_fitted(model):
        raise ValueError("save_topic_model: the model is not fitted; call fit_topics first")
    with _bertopic_log_level(logging.ERROR), savable_vectorizer(model):
        model.save(path, serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
    sidecar = {
        "options": asdict(fit_options(model)),
        "embedding_model": embedding_model_name,
        "bertopic_version": bertopic.__version__,
    }
    (path / SIDECAR).write_text(json.dumps(sidecar, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _read_sidecar(path: Path) -> dict[str, Any]:
    file = path / SIDECAR
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(f"{file}: not valid JSON ({err}); re-save the model") from err


def load_topic_model(
    path: str | Path, embedder: Any = None, tokenizer: Tokenizer | None = None
) -> BERTopic:
    """Load a directory written by :func:`save_topic_model`.

    Args:
        path: The model directory.
        embedder: Project embedder or callable (needed to embed new texts, KeyBERT, MMR).
        tokenizer: The tokenizer the model was fitted with. Without it, topics and words are
            all there but the vectorizer cannot tokenize new texts.

    Returns:
        The model (its clustering and reduction sub-models are placeholders, as with every
        BERTopic safetensors model; ``transform`` assigns by topic-embedding similarity).

    Raises:
        InputError: ``path`` is a file (pickles are refused) or not a saved model directory.
    """
    path = Path(path)
    if path.is_file():
        raise InputError(
            f"{path} is a file: load_topic_model reads only safetensors directories written by "
            "save_topic_model (pickled models are refused, unpickling can run code)"
        )
    missing = [name for name in _REQUIRED if not (path / name).is_file()]
    if missing:
        raise InputError(
            f"{path} is not a saved topic model directory (missing {', '.join(missing)}); "
            "write one with save_topic_model"
        )
    sidecar = _read_sidecar(path)
    with _bertopic_log_level(logging.ERROR):
        model = BERTopic.load(str(path), embedding_model=as_backend(embedder))
    raw = dict(sidecar.get("options") or {})
    raw["zeroshot_names"] = tuple(raw.get("zeroshot_names") or ())
    known = set(FitOptions.__dataclass_fields__)
    options = FitOptions(**{k: v for k, v in raw.items() if k in known})
    attach_options(model, options)
    if tokenizer is not None:
        wrapped = TokenFilter(tokenizer) if options.token_filter else tokenizer
        model.vectorizer_model.set_params(tokenizer=wrapped)
    else:
        log.warning(
            "load_topic_model(%s): no tokenizer given; the model cannot vectorize new texts "
            "until one is passed (tokenizer=...)",
            path,
        )
    return model
