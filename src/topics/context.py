"""The job context: what each stage of a run hands to the next.

One field per stage product, ``None`` until the stage that makes it has run. A stage that needs a
product asks for it with one of the ``need_*`` methods, which fail with a one-line
:class:`~topics.data.types.InputError` naming the missing stage when ``stages`` leaves it out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import DictConfig

if TYPE_CHECKING:
    import pandas as pd
    from bertopic import BERTopic

    from topics.compute.base import Compute
    from topics.data.types import Document
    from topics.embedding.base import Embedder
    from topics.preprocess.pipeline import PreprocessResult
    from topics.tokenize.tokenizer import ChineseTokenizer
    from topics.topic_model.fit import TopicResult
    from topics.tracking.recorder import NullRecorder, RunRecorder

log = logging.getLogger(__name__)


def _missing(product: str, stage: str) -> Exception:
    from topics.data.types import InputError

    return InputError(
        f"stages: this job needs {product}, made by the {stage!r} stage, which has not run; "
        f"put {stage} before it in stages"
    )


@dataclass
class Context:
    """State passed from stage to stage within one job.

    Attributes:
        cfg: The composed root config.
        out: The job folder.
        rec: Where metrics, tags and artifacts go (a :class:`NullRecorder` without tracking).
        metrics: Every metric logged so far (also returned by :func:`topics.runner.run`).
        input_key: Cache key of the corpus (``data`` stage).
        documents: The documents read (``data`` stage).
        preprocess: Cleaned documents and their units (``preprocess`` stage).
        embedder: The embedder built from ``embedding`` (``embedding`` stage).
        embeddings: One vector per unit, in unit order (``embedding`` stage).
        topic_model: The fitted BERTopic model (``topic_model`` stage).
        topics: Topics, assignments and their tables (``topic_model`` stage).
        theme_model_uri: The logged theme model (``themes`` stage, when logged).
    """

    cfg: DictConfig
    out: Path
    rec: RunRecorder | NullRecorder
    metrics: dict[str, float] = field(default_factory=dict)
    input_key: str | None = None
    documents: list[Document] | None = None
    preprocess: PreprocessResult | None = None
    embedder: Embedder | None = None
    embeddings: np.ndarray | None = None
    topic_model: BERTopic | None = None
    topics: TopicResult | None = None
    theme_model_uri: str | None = None
    _tokenizer: ChineseTokenizer | None = field(default=None, repr=False)
    _compute: Compute | None = field(default=None, repr=False)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        """Record metrics in MLflow and in the job's result."""
        clean = {k: float(v) for k, v in metrics.items() if v is not None}
        self.metrics.update(clean)
        self.rec.log_metrics(clean)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Time a stage into ``time/<stage>_s``."""
        start = time.perf_counter()
        log.info("stage %s ...", stage)
        yield
        seconds = time.perf_counter() - start
        log.info("stage %s done in %.1f s", stage, seconds)
        self.log_metrics({f"time/{stage}_s": seconds})

    @property
    def run_id(self) -> str | None:
        """The MLflow run id, ``None`` without tracking."""
        return self.rec.run_id

    def tokenizer(self) -> ChineseTokenizer:
        """The project tokenizer (``tokenizer`` config), built on first use."""
        if self._tokenizer is None:
            from topics.tokenize import build_tokenizer

            self._tokenizer = build_tokenizer(self.cfg.tokenizer)
        return self._tokenizer

    def compute(self) -> Compute:
        """The compute backend (``compute`` config), built on first use, closed by :meth:`close`."""
        if self._compute is None:
            from topics.compute import build_compute

            self._compute = build_compute(self.cfg.compute)
        return self._compute

    def close(self) -> None:
        """Release the compute backend, if one was built."""
        compute, self._compute = self._compute, None
        if compute is not None:
            compute.close()

    def need_documents(self) -> list[Document]:
        """The documents read by the ``data`` stage."""
        if self.documents is None:
            raise _missing("the documents", "data")
        return self.documents

    def need_preprocess(self) -> PreprocessResult:
        """The ``preprocess`` stage's result (cleaned documents and units)."""
        if self.preprocess is None:
            raise _missing("the units", "preprocess")
        return self.preprocess

    def need_units(self) -> pd.DataFrame:
        """The units of the ``preprocess`` stage (one row per unit)."""
        return self.need_preprocess().units

    def need_embeddings(self) -> np.ndarray:
        """The unit vectors of the ``embedding`` stage."""
        if self.embeddings is None:
            raise _missing("the unit embeddings", "embedding")
        return self.embeddings

    def need_embedder(self) -> Embedder:
        """The embedder of the ``embedding`` stage."""
        if self.embedder is None:
            raise _missing("the embedder", "embedding")
        return self.embedder
