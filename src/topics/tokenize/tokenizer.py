"""Deterministic, picklable Chinese (and mixed Chinese/English) word tokenizer built on jieba."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import json
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

from topics.data.types import InputError
from topics.preprocess.normalize import to_simplified
from topics.preprocess.regional import REGIONAL_VERSION
from topics.tokenize.lexicon import DEFAULT, Sources, Term, load_stopwords, load_terms

if TYPE_CHECKING:
    import jieba
    import jieba.posseg

#: Bump when the token rules change, so cached tokens of older rules are not reused.
RULES_VERSION = 1

# Spans removed before segmentation: URLs, e-mail addresses, ISO-like dates and clock times.
_DROP_SPANS = re.compile(
    r"(?:https?://|www\.)[!-~]+"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}:\d{2}(?::\d{2})?"
)
# Latin letters, accented ones included (Português), but not the signs × and ÷.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
# jieba pieces made only of these characters are regrouped into Latin words (GPT-4, Qwen2.5).
_LATIN_PIECE = re.compile(f"[{_LATIN}0-9._+%-]+")
# A Latin word: letters and digits, joined by inner '-', '_' or '.'; it must hold a letter.
_LATIN_WORD = re.compile(f"\\d*[{_LATIN}][{_LATIN}0-9]*(?:[-_.][{_LATIN}0-9]+)*")
# Five digits in a row inside a Latin word mark an id or a date code (sp20241125), not a word.
_LONG_DIGITS = re.compile(r"\d{5,}")
# One letter and one digit is a list marker (Q1, A2, B3), not a word.
_MARKER = re.compile(r"[a-z]\d")
_HAS_LETTER = re.compile(r"[^\W\d_]")
# Numbers written with digits and/or Chinese numerals (2024, 12.5, 30%, 三十, 千万), optionally
# followed by one counter or unit character (十二个, 三年, 百万元).
_NUMBER = re.compile(
    r"[0-9.,%〇零一二三四五六七八九十百千万亿两几]+[个位名家次年月日号元倍项种余条件台张天岁届期]?"
)


#: Token profiles: ``topics`` keeps content words (c-TF-IDF, coherence); ``classify`` keeps every
#: non-blank jieba piece (punctuation, digits, pronouns, domain noise words carry class signal).
PROFILES = ("topics", "classify")


def _is_cjk_text(word: str) -> bool:
    """Whether ``word`` holds a CJK ideograph (such terms go into jieba's dictionary)."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in word)


class ChineseTokenizer:
    """Split Chinese, Traditional Chinese and mixed Chinese/English text into content words.

    Text is NFKC-normalised, optionally converted to Simplified Chinese, cut by a private
    ``jieba.Tokenizer`` that knows the domain terms, and filtered: punctuation, whitespace,
    numbers, single Latin letters and stopwords are dropped, Latin words are lower-cased, and
    words mixing letters and digits (``gpt-4``, ``llama3``, ``5g``) are kept. Domain terms and
    ``keep_words`` are never dropped.

    Instances are callable (``CountVectorizer(tokenizer=tok, lowercase=False,
    token_pattern=None)``), deterministic and cheap to pickle: jieba and OpenCC are built lazily
    and left out of the pickled state.

    Args:
        user_dict: ``"default"`` (shipped AI-in-finance terms), a jieba user-dictionary path, a
            list of those, or ``None``.
        extra_terms: More domain terms to keep whole.
        stopwords: ``"default"`` (stopwordsiso zh + en and the shipped domain noise words), a
            path to a word-per-line file, a list of those, or ``None``.
        extra_stopwords: More words to drop.
        keep_words: Words never dropped as stopwords (not added to the dictionary).
        to_simplified: Convert Traditional to Simplified Chinese (OpenCC ``t2s``) first.
        min_chars: Drop tokens shorter than this many characters.
        hmm: Let jieba's HMM find words missing from its dictionary.
        drop_pos: jieba part-of-speech tags (``jieba.posseg``) whose words are dropped when
            jieba's dictionary does not know them, e.g. ``("nr", "nrfg", "nrt")`` for person
            names. Segmentation is unchanged; only unknown words are tagged.
        profile: ``topics`` (the filters above) or ``classify``: every non-blank jieba piece,
            lower-cased, with no stopwords, no dropped spans and no number or punctuation filter
            (features for text classification; the dictionary is the same).

    """

    def __init__(
        self,
        user_dict: Sources = DEFAULT,
        extra_terms: Sequence[str] = (),
        stopwords: Sources = DEFAULT,
        extra_stopwords: Sequence[str] = (),
        keep_words: Sequence[str] = (),
        to_simplified: bool = True,
        min_chars: int = 1,
        hmm: bool = True,
        drop_pos: Sequence[str] = (),
        profile: str = "topics",
    ) -> None:
        _check_settings(to_simplified, min_chars, hmm)
        if profile not in PROFILES:
            raise InputError(f"tokenizer.profile is {profile!r}; use one of {list(PROFILES)}")
        for name, value in [
            ("extra_terms", extra_terms),
            ("extra_stopwords", extra_stopwords),
            ("keep_words", keep_words),
            ("drop_pos", drop_pos),
        ]:
            if isinstance(value, str):
                raise InputError(f"tokenizer.{name}: expected a list of words, got {value!r}")
        self.user_dict = user_dict
        self.extra_terms = tuple(extra_terms)
        self.stopwords = stopwords
        self.extra_stopwords = tuple(extra_stopwords)
        self.keep_words = tuple(keep_words)
        self.to_simplified = to_simplified
        self.min_chars = min_chars
        self.hmm = hmm
        self.drop_pos = tuple(str(tag) for tag in drop_pos)
        self.profile = profile
        self._jieba: jieba.Tokenizer | None = None
        self._pos: jieba.posseg.POSTokenizer | None = None
        self._pos_memo: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._terms: tuple[Term, ...] = load_terms(user_dict, self.extra_terms, self.normalize)
        self._protected = frozenset(
            [t.word.lower() for t in self._terms]
            + [self.normalize(str(w).strip()).lower() for w in self.keep_words]
        )
        self._stopwords = load_stopwords(
            stopwords, self.extra_stopwords, self._protected, self.normalize
        )
        self._fingerprint = self._compute_fingerprint()

    # --- public API -------------------------------------------------------------------------

    @property
    def terms(self) -> tuple[str, ...]:
        """Domain terms kept whole, after normalisation."""
        return tuple(t.word for t in self._terms)

    @property
    def stopword_set(self) -> frozenset[str]:
        """The lower-cased words this tokenizer drops."""
        return self._stopwords

    def normalize(self, text: str) -> str:
        """Apply NFKC and (when ``to_simplified``) Traditional-to-Simplified conversion."""
        text = unicodedata.normalize("NFKC", text)
        if self.to_simplified:
            text = to_simplified(text)
        return text

    def tokenize(self, text: str) -> list[str]:
        """Return the content words of ``text`` in reading order.

        Raises:
            TypeError: ``text`` is not a string (e.g. a missing value read as NaN).

        """
        if not isinstance(text, str):
            raise TypeError(
                f"ChineseTokenizer.tokenize expects str, got {type(text).__name__} ({text!r}); "
                f"drop or fill missing texts first"
            )
        if self.profile == "classify":
            pieces = self._segmenter().cut(self.normalize(text), HMM=self.hmm)
            return [w.lower() for w in pieces if w.strip()]
        text = _DROP_SPANS.sub(" ", self.normalize(text))
        return [w for w in map(str.lower, self._words(text)) if self._keep(w)]

    __call__ = tokenize

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokenize many texts; each distinct text is cut once."""
        memo: dict[str, list[str]] = {}
        out: list[list[str]] = []
        for text in texts:
            tokens = memo.get(text) if isinstance(text, str) else None
            if tokens is None:
                tokens = self.tokenize(text)
                memo[text] = tokens
            out.append(list(tokens))
        return out

    def with_profile(self, profile: str) -> ChineseTokenizer:
        """Return a tokenizer with the same settings and another ``profile``."""
        if profile == self.profile:
            return self
        return ChineseTokenizer(
            self.user_dict,
            self.extra_terms,
            self.stopwords,
            self.extra_stopwords,
            self.keep_words,
            self.to_simplified,
            self.min_chars,
            self.hmm,
            drop_pos=self.drop_pos,
            profile=profile,
        )

    def fingerprint(self) -> str:
        """Stable hash of settings, rules, dictionaries and stopwords (a cache-key part)."""
        return self._fingerprint

    def __repr__(self) -> str:
        return (
            f"ChineseTokenizer(terms={len(self._terms)}, stopwords={len(self._stopwords)}, "
            f"to_simplified={self.to_simplified}, min_chars={self.min_chars}, hmm={self.hmm}, "
            f"drop_pos={list(self.drop_pos)}, profile={self.profile!r})"
        )

    # --- pickling ---------------------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("_jieba", "_pos", "_pos_memo", "_lock"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._jieba = None
        self._pos = None
        self._pos_memo = {}
        self._lock = threading.Lock()

    # --- internals --------------------------------------------------------------------------

    def _segmenter(self) -> jieba.Tokenizer:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    self._jieba = self._build_segmenter()
        return self._jieba

    def _pos_segmenter(self) -> jieba.posseg.POSTokenizer:
        """A part-of-speech tagger over the same dictionary as :meth:`_segmenter`."""
        if self._pos is None:
            segmenter = self._segmenter()
            with self._lock:
                if self._pos is None:
                    import jieba.posseg

                    self._pos = jieba.posseg.POSTokenizer(segmenter)
        return self._pos

    def _is_dropped_pos(self, piece: str) -> bool:
        """Whether an out-of-dictionary piece holds a word tagged with one of ``drop_pos``.

        Only words jieba's HMM found (absent from its dictionary) are tagged: the dictionary's
        own tags are unreliable for this (it tags 智能化, 安全性, 白皮书 and 华为 ``nr``), while its
        HMM tags unknown person names (王耀南, 孙洪军) ``nr`` with few false hits. A tagged part
        of at least two characters drops the whole piece.
        """
        dropped = self._pos_memo.get(piece)
        if dropped is None:
            dropped = piece.lower() not in self._protected and any(
                tag in self.drop_pos and len(word) > 1
                for word, tag in self._pos_segmenter().cut(piece, HMM=True)
            )
            self._pos_memo[piece] = dropped
        return dropped

    def _pieces(self, text: str) -> Iterator[str]:
        """Jieba's pieces of ``text``, without unknown words tagged with one of ``drop_pos``."""
        segmenter = self._segmenter()
        for piece in segmenter.cut(text, HMM=self.hmm):
            if self.drop_pos and not segmenter.FREQ.get(piece) and self._is_dropped_pos(piece):
                continue
            yield piece

    def _build_segmenter(self) -> jieba.Tokenizer:
        import jieba

        freq, total = _main_dictionary()
        segmenter = jieba.Tokenizer()
        # Start from a copy of the process-wide main dictionary instead of reloading it (~0.7 s).
        segmenter.FREQ, segmenter.total, segmenter.initialized = dict(freq), total, True
        for term in self._terms:
            if _is_cjk_text(term.word):
                segmenter.add_word(term.word, term.freq, term.tag)
        return segmenter

    def _words(self, text: str) -> Iterator[str]:
        """Yield jieba's pieces, with runs of Latin/digit pieces regrouped into Latin words."""
        latin_run: list[str] = []
        for piece in self._pieces(text):
            if _LATIN_PIECE.fullmatch(piece):
                latin_run.append(piece)
                continue
            if latin_run:
                yield from _LATIN_WORD.findall("".join(latin_run))
                latin_run.clear()
            yield piece
        if latin_run:
            yield from _LATIN_WORD.findall("".join(latin_run))

    def _keep(self, word: str) -> bool:
        """Whether a lower-cased piece is a content word."""
        if word in self._protected:
            return True
        if len(word) < self.min_chars or word in self._stopwords:
            return False
        if _LATIN_WORD.fullmatch(word) is not None:
            return (
                len(word) > 1
                and _LONG_DIGITS.search(word) is None
                and _MARKER.fullmatch(word) is None
            )
        if word.isascii():  # punctuation, whitespace, numbers
            return False
        if _HAS_LETTER.search(word) is None or _NUMBER.fullmatch(word) is not None:
            return False
        return len(word) > 1 or _is_cjk_text(word)

    def _compute_fingerprint(self) -> str:
        payload = {
            "rules": RULES_VERSION,
            "jieba": _dist_version("jieba"),
            "jieba_dict_bytes": _jieba_dict_size(),
            "opencc": _dist_version("opencc") if self.to_simplified else None,
            "to_simplified": self.to_simplified,
            "regional_terms": REGIONAL_VERSION if self.to_simplified else None,
            "min_chars": self.min_chars,
            "hmm": self.hmm,
            "drop_pos": list(self.drop_pos),
            "terms": [[t.word, t.freq, t.tag] for t in self._terms],
            "protected": sorted(self._protected),
            "stopwords": sorted(self._stopwords),
        }
        if self.profile != "topics":  # the topics profile keeps its former fingerprints
            payload["profile"] = self.profile
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha1(blob).hexdigest()


@functools.lru_cache(maxsize=1)
def _main_dictionary() -> tuple[dict[str, int], int]:
    """Load jieba's main dictionary once per process; callers must copy, never mutate, it."""
    import jieba

    loader = jieba.Tokenizer()
    loader.initialize()
    return loader.FREQ, loader.total


def _check_settings(to_simplified: object, min_chars: object, hmm: object) -> None:
    """Raise :class:`InputError` naming the first bad scalar setting."""
    for name, value in (("to_simplified", to_simplified), ("hmm", hmm)):
        if not isinstance(value, bool):
            raise InputError(f"tokenizer.{name}: expected true or false, got {value!r}")
    if isinstance(min_chars, bool) or not isinstance(min_chars, int) or min_chars < 1:
        raise InputError(f"tokenizer.min_chars: expected an integer >= 1, got {min_chars!r}")


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _jieba_dict_size() -> int | None:
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "dict.txt")
    return os.path.getsize(path) if os.path.exists(path) else None


_CONSTRUCTOR_KEYS = tuple(inspect.signature(ChineseTokenizer.__init__).parameters)[1:]


def build_tokenizer(cfg: Mapping[str, Any] | None = None) -> ChineseTokenizer:
    """Build a :class:`ChineseTokenizer` from a config node whose keys are its arguments.

    Keys starting with ``_`` (Hydra's ``_target_`` and the like) are ignored; list values (also
    OmegaConf ``ListConfig``) become tuples.

    Raises:
        InputError: The node has a key that is not a constructor argument.

    """
    kwargs: dict[str, Any] = {}
    for key, value in (cfg or {}).items():
        key = str(key)
        if key.startswith("_"):
            continue
        if key not in _CONSTRUCTOR_KEYS:
            raise InputError(
                f"tokenizer config: unknown key {key!r}; allowed keys: {', '.join(_CONSTRUCTOR_KEYS)}"
            )
        if isinstance(value, Mapping):
            raise InputError(f"tokenizer config: {key!r} must be a value or a list, not a mapping")
        if value is not None and not isinstance(value, str | bool | int | os.PathLike):
            value = tuple(value)
        kwargs[key] = value
    return ChineseTokenizer(**kwargs)
