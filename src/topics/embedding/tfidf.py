"""A model-free baseline: TF-IDF over a tokenizer, reduced by truncated SVD, L2-normalized."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np
import sklearn
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from topics.data.types import InputError
from topics.embedding.base import check_texts, empty_vectors
from topics.hashing import corpus_fingerprint


def tokenizer_name(tokenizer: Callable[[str], list[str]]) -> str:
    """Name a tokenizer stably: its qualified name plus its ``identity()`` or ``fingerprint()``.

    ``topics.tokenize.ChineseTokenizer.fingerprint()`` covers its settings and dictionaries, so a
    changed tokenizer gives a new embedder identity even when the fit corpus is the same.
    """
    target = tokenizer if hasattr(tokenizer, "__qualname__") else type(tokenizer)
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', '?')}"
    owner = getattr(tokenizer, "__self__", None)  # a bound method such as tok.tokenize
    for obj in (tokenizer, owner):
        for method in ("identity", "fingerprint"):
            stable = getattr(obj, method, None)
            if callable(stable):
                return f"{name}:{stable()}"
    return name


class TfidfSvdEmbedder:
    """TF-IDF + truncated SVD + L2 normalization, fitted on a corpus (scikit-learn only).

    Args:
        tokenizer: Callable turning one text into a list of tokens (e.g. ``ChineseTokenizer``).
        n_components: Vector size wanted; clipped to what the fitted corpus allows.
        min_df: Passed to ``TfidfVectorizer``.
        max_df: Passed to ``TfidfVectorizer``.
        sublinear_tf: Use ``1 + log(tf)``.
        seed: ``random_state`` of the SVD.

    Attributes:
        vectorizer_: The fitted ``TfidfVectorizer``.
        svd_: The fitted ``TruncatedSVD``.
        n_components_: Actual vector size after clipping.
        corpus_fingerprint_: sha256 of the fit corpus (see ``corpus_fingerprint``).
        fit_digest_: sha256 of the fitted vocabulary, idf weights and SVD components.

    """

    name = "tfidf_svd"

    def __init__(
        self,
        tokenizer: Callable[[str], list[str]],
        n_components: int = 256,
        min_df: int | float = 1,
        max_df: int | float = 1.0,
        sublinear_tf: bool = True,
        seed: int | None = 42,
    ) -> None:
        self.tokenizer = tokenizer
        self.n_components = n_components
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.seed = seed

    @property
    def fitted(self) -> bool:
        """Whether ``fit`` has run."""
        return hasattr(self, "svd_")

    def fit(self, texts: Sequence[str]) -> TfidfSvdEmbedder:
        """Fit TF-IDF and SVD on ``texts`` and return ``self``.

        Raises:
            InputError: Bad settings, no texts, or the tokenizer yields no usable term.

        """
        items = check_texts(texts)
        if not callable(self.tokenizer):
            raise InputError("embedding tfidf_svd needs a tokenizer callable: text -> tokens")
        if (
            isinstance(self.n_components, bool)
            or not isinstance(self.n_components, int)
            or (self.n_components < 1)
        ):
            raise InputError(
                f"embedding.n_components must be a positive integer, got {self.n_components!r}"
            )
        if not items:
            raise InputError("tfidf_svd cannot be fitted on zero texts; pass the unit texts")
        vectorizer = TfidfVectorizer(
            tokenizer=self.tokenizer,
            token_pattern=None,
            lowercase=False,
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=bool(self.sublinear_tf),
            dtype=np.float64,
        )
        try:
            matrix = vectorizer.fit_transform(items)
        except ValueError as exc:  # empty vocabulary, or min_df/max_df leaving no term
            raise InputError(
                f"tfidf_svd could not build a vocabulary from {len(items)} texts ({exc}); "
                f"check the tokenizer output and embedding.min_df / embedding.max_df"
            ) from exc
        k = max(1, min(self.n_components, matrix.shape[0], matrix.shape[1]))
        svd = TruncatedSVD(n_components=k, random_state=self.seed)
        svd.fit(matrix)
        self.vectorizer_ = vectorizer
        self.svd_ = svd
        self.n_components_ = int(svd.components_.shape[0])
        self.corpus_fingerprint_ = corpus_fingerprint(items)
        self.fit_digest_ = self._fit_digest()
        return self

    def _fit_digest(self) -> str:
        digest = hashlib.sha256()
        vocab = sorted(self.vectorizer_.vocabulary_.items(), key=lambda kv: kv[1])
        digest.update("\n".join(term for term, _ in vocab).encode("utf-8"))
        digest.update(np.ascontiguousarray(self.vectorizer_.idf_, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(self.svd_.components_, dtype=np.float64).tobytes())
        return digest.hexdigest()

    def _require_fitted(self) -> None:
        if not self.fitted:
            raise InputError(
                "tfidf_svd is not fitted yet: call fit(texts) (or embed(texts), which fits "
                "on its first call) before asking for its identity or size"
            )

    def identity(self) -> str:
        """Return settings, tokenizer name, fit-corpus fingerprint and fitted-state digest."""
        self._require_fitted()
        return (
            f"tfidf_svd|tokenizer={tokenizer_name(self.tokenizer)}"
            f"|n_components={self.n_components_}|min_df={self.min_df}|max_df={self.max_df}"
            f"|sublinear_tf={bool(self.sublinear_tf)}|seed={self.seed}"
            f"|sklearn={sklearn.__version__}|corpus={self.corpus_fingerprint_}"
            f"|fit={self.fit_digest_}"
        )

    @property
    def dim(self) -> int:
        """Vector size after fitting (``n_components_``)."""
        self._require_fitted()
        return self.n_components_

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return L2-normalized float32 vectors; fits on ``texts`` first if not fitted.

        A text with no known term maps to the zero vector.
        """
        items = check_texts(texts)
        if not self.fitted:
            self.fit(items)
        if not items:
            return empty_vectors(self.dim)
        reduced = self.svd_.transform(self.vectorizer_.transform(items))
        return np.ascontiguousarray(l2_normalize(reduced), dtype=np.float32)
