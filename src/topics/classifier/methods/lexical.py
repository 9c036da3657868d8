"""Word-based classifiers: taxonomy keyword rules and TF-IDF + logistic regression."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from topics.classifier.methods.base import Inputs, ThemeClassifier
from topics.classifier.methods.columns import fit_columns, logistic, score_columns
from topics.data.types import InputError
from topics.themes.taxonomy import Theme

Tokenizer = Callable[[str], list[str]]


class CachingTokenizer:
    """Wrap a tokenizer so each distinct text is cut once (shared by all copies of a method).

    Args:
        tokenizer: Callable text -> tokens (e.g. ``ChineseTokenizer``).
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self._memo: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        """Return the tokens of ``text``."""
        tokens = self._memo.get(text)
        if tokens is None:
            tokens = self._memo[text] = list(self.tokenizer(text))
        return tokens

    def __repr__(self) -> str:
        return f"CachingTokenizer({self.tokenizer!r})"


def _require_themes(themes: Sequence[Theme | str], method: str) -> list[Theme]:
    """Return ``themes`` when all are taxonomy themes, else raise naming the method."""
    if not all(isinstance(t, Theme) for t in themes):
        raise InputError(
            f"classifier '{method}' needs taxonomy themes (keywords, descriptions); it cannot "
            "run on bare class names (not applicable to single-label corpora)"
        )
    return list(themes)


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """One regex for all keywords: longest first; Latin keywords match whole words only.

    No keywords give a pattern that never matches.
    """
    parts = []
    for word in sorted({unicodedata.normalize("NFKC", k).lower() for k in keywords}, key=len)[::-1]:
        escaped = re.escape(word)
        parts.append(f"(?<![a-z]){escaped}(?![a-z])" if word.isascii() else escaped)
    return re.compile("|".join(parts) or "(?!)")


class KeywordClassifier(ThemeClassifier):
    """Score themes by hits of their taxonomy seed keywords: ``1 - exp(-hits / saturation)``.

    Args:
        themes: Taxonomy themes (their ``keywords_zh`` + ``keywords_en``).
        saturation: Hits at which the score reaches ``1 - 1/e``.
        match: ``substring`` (count non-overlapping keyword occurrences in the NFKC,
            lower-cased text; Latin keywords as whole words) or ``tokens`` (count tokens equal
            to a keyword; needs ``tokenizer``).
        tokenizer: Token callable for ``match: tokens``; its ``normalize`` (Traditional ->
            Simplified) is also applied in ``substring`` mode when present.
        grid: Hyperparameter grid (e.g. ``{"saturation": [1, 2, 4]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of unit-level tuning splits.
    """

    method = "keywords"

    def __init__(
        self,
        themes: Sequence[Theme | str],
        saturation: float = 2.0,
        match: str = "substring",
        tokenizer: Tokenizer | None = None,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.saturation = saturation
        self.match = match
        self.tokenizer = tokenizer

    def _normalize(self, text: str) -> str:
        normalize = getattr(getattr(self.tokenizer, "tokenizer", self.tokenizer), "normalize", None)
        text = normalize(text) if callable(normalize) else unicodedata.normalize("NFKC", text)
        return text.lower()

    def hits(self, texts: Sequence[str]) -> np.ndarray:
        """Return the ``(n, k)`` keyword hit counts."""
        themes = _require_themes(self.themes, self.method)
        if self.match == "substring":
            patterns = [_keyword_pattern(t.keywords) for t in themes]
            rows = [[len(p.findall(self._normalize(x))) for p in patterns] for x in texts]
        elif self.match == "tokens":
            if self.tokenizer is None:
                raise InputError("classifier 'keywords' with match: tokens needs a tokenizer")
            sets = [{unicodedata.normalize("NFKC", k).lower() for k in t.keywords} for t in themes]
            rows = []
            for text in texts:
                tokens = [w.lower() for w in self.tokenizer(text)]
                rows.append([sum(w in s for w in tokens) for s in sets])
        else:
            raise InputError(f"keywords.match is {self.match!r}; use 'substring' or 'tokens'")
        return np.asarray(rows, dtype=float).reshape(len(texts), len(themes))

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> KeywordClassifier:
        if not self.saturation or self.saturation <= 0:
            raise InputError(f"keywords.saturation must be > 0, got {self.saturation!r}")
        _require_themes(self.themes, self.method)
        self.fitted_ = True
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        return 1.0 - np.exp(-self.hits(data.texts) / float(self.saturation))

    def _get_state(self, arrays: dict[str, np.ndarray], prefix: str, folder: Path) -> dict:
        return {}  # the keywords travel with the saved taxonomy

    def _set_state(
        self, state: dict, arrays: Mapping[str, np.ndarray], prefix: str, folder: Path
    ) -> None:
        self.fitted_ = True


class TfidfLinearClassifier(ThemeClassifier):
    """TF-IDF over the project tokenizer + one class-balanced logistic regression per theme.

    Args:
        themes: Themes or class names.
        tokenizer: Token callable (wrap it in :class:`CachingTokenizer` to cut each text once).
        C: Inverse regularisation strength.
        min_df: Minimum document frequency of a term.
        max_df: Maximum document frequency (share) of a term.
        sublinear_tf: Use ``1 + log(tf)``.
        ngram_max: Longest word n-gram.
        grid: Hyperparameter grid (e.g. ``{"C": [0.3, 1, 3, 10]}``).
        inner_splits: Most inner tuning splits.
        seed: Seed of the solver and of unit-level tuning splits.
    """

    method = "tfidf_linear"

    def __init__(
        self,
        themes: Sequence[Theme | str],
        tokenizer: Tokenizer | None = None,
        C: float = 1.0,
        min_df: int = 1,
        max_df: float = 1.0,
        sublinear_tf: bool = True,
        ngram_max: int = 1,
        grid: Mapping[str, Sequence[Any]] | None = None,
        inner_splits: int = 5,
        seed: int | None = None,
    ) -> None:
        super().__init__(themes, grid, inner_splits, seed)
        self.tokenizer = tokenizer
        self.C = C
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.ngram_max = ngram_max

    def _fit_core(self, data: Inputs, Y: np.ndarray) -> TfidfLinearClassifier:
        if self.tokenizer is None:
            raise InputError(
                "classifier 'tfidf_linear' needs the project tokenizer: "
                "build_classifier(cfg, themes, tokenizer=build_tokenizer(cfg.tokenizer))"
            )
        self.vectorizer_ = TfidfVectorizer(
            tokenizer=self.tokenizer,
            lowercase=False,
            token_pattern=None,
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=self.sublinear_tf,
            ngram_range=(1, self.ngram_max),
        )
        X = self.vectorizer_.fit_transform(data.texts)
        self.columns_ = fit_columns(logistic(self.C, self.seed), X, Y)
        return self

    def _score(self, data: Inputs) -> np.ndarray:
        return score_columns(self.columns_, self.vectorizer_.transform(data.texts), len(data))
