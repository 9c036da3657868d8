"""Word lists of the Chinese tokenizer: domain terms (user dictionaries) and stopwords.

A *source* is either the string ``"default"`` (the file shipped in ``resources/``) or a path to a
UTF-8 file. Settings that take sources accept one source, a sequence of them, or ``None``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from topics.data.types import InputError

DEFAULT = "default"
#: Frequency given to a term that its dictionary line (or ``extra_terms``) leaves without one.
DEFAULT_TERM_FREQ = 2000

Sources = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


@dataclass(frozen=True)
class Term:
    """One user-dictionary entry, in jieba's ``word freq tag`` format."""

    word: str
    freq: int = DEFAULT_TERM_FREQ
    tag: str | None = None


def as_sources(value: Sources, field: str) -> tuple[str, ...]:
    """Normalise a setting that names word-list sources into a tuple of strings.

    Args:
        value: ``None``, one source, or a sequence of sources.
        field: The setting's name, used in error messages.

    Raises:
        InputError: ``value`` is neither of the accepted forms.

    """
    if value is None:
        return ()
    if isinstance(value, str | os.PathLike):
        return (os.fspath(value),)
    if isinstance(value, Iterable):
        items = tuple(value)
        if all(isinstance(item, str | os.PathLike) for item in items):
            return tuple(os.fspath(item) for item in items)
    raise InputError(
        f"tokenizer.{field}: expected 'default', a file path, a list of them or null, got {value!r}"
    )


def _read_source(source: str, default_name: str, field: str) -> tuple[str, str]:
    """Return ``(label, text)`` of one source; ``label`` names it in error messages."""
    if source == DEFAULT:
        res = resources.files("topics.tokenize").joinpath("resources", default_name)
        return f"topics/tokenize/resources/{default_name}", res.read_text(encoding="utf-8")
    try:
        with open(source, encoding="utf-8-sig") as handle:
            return source, handle.read()
    except FileNotFoundError:
        raise InputError(
            f"tokenizer.{field}: file {source!r} does not exist; give an existing UTF-8 "
            f"file, 'default' for the shipped list, or null"
        ) from None
    except UnicodeDecodeError as err:
        raise InputError(
            f"tokenizer.{field}: file {source!r} is not valid UTF-8 ({err}); re-save it as UTF-8"
        ) from None


def _content_lines(text: str) -> Iterable[tuple[int, str]]:
    """Yield ``(line_number, stripped_line)`` for lines that are neither blank nor comments."""
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


def parse_user_dict(text: str, label: str) -> list[Term]:
    """Parse a jieba user dictionary (``word [freq] [tag]`` per line).

    Raises:
        InputError: A line has a frequency that is not a positive integer, or too many fields.

    """
    terms = []
    for number, line in _content_lines(text):
        fields = line.split()
        if len(fields) > 3:
            raise InputError(
                f"{label}:{number}: expected 'word [freq] [tag]', got {line!r}; "
                f"words may not contain spaces"
            )
        freq = DEFAULT_TERM_FREQ
        if len(fields) >= 2:
            if not fields[1].isdigit() or int(fields[1]) <= 0:
                raise InputError(
                    f"{label}:{number}: frequency {fields[1]!r} of {fields[0]!r} must be a "
                    f"positive integer"
                )
            freq = int(fields[1])
        terms.append(Term(fields[0], freq, fields[2] if len(fields) == 3 else None))
    return terms


def load_terms(
    user_dict: Sources, extra_terms: Sequence[str], normalize: Callable[[str], str]
) -> tuple[Term, ...]:
    """Collect the domain terms of all user dictionaries and ``extra_terms``.

    Words pass through ``normalize`` (the same normalisation the tokenizer applies to its input),
    so a Traditional term still matches converted text. Later entries override earlier ones.
    """
    merged: dict[str, Term] = {}
    for source in as_sources(user_dict, "user_dict"):
        label, text = _read_source(source, "userdict.txt", "user_dict")
        for term in parse_user_dict(text, label):
            word = normalize(term.word)
            merged[word] = Term(word, term.freq, term.tag)
    for raw in extra_terms:
        word = normalize(str(raw).strip())
        if not word or any(ch.isspace() for ch in word):
            raise InputError(f"tokenizer.extra_terms: {raw!r} is empty or contains spaces")
        merged[word] = Term(word, merged[word].freq if word in merged else DEFAULT_TERM_FREQ)
    return tuple(merged.values())


def _stopwordsiso_words() -> set[str]:
    """Return stopwordsiso's Chinese and English stopwords."""
    import stopwordsiso

    return set(stopwordsiso.stopwords("zh")) | set(stopwordsiso.stopwords("en"))


def load_stopwords(
    stopwords: Sources,
    extra_stopwords: Sequence[str],
    protected: Iterable[str],
    normalize: Callable[[str], str],
) -> frozenset[str]:
    """Build the lower-cased stopword set.

    ``"default"`` stands for stopwordsiso's ``zh`` and ``en`` lists plus the shipped
    ``noise_zh.txt``; a path adds one word per line. ``protected`` words (domain terms and
    ``keep_words``) are removed from the result whatever the sources say.
    """
    words: set[str] = set()
    for source in as_sources(stopwords, "stopwords"):
        if source == DEFAULT:
            words |= _stopwordsiso_words()
        label, text = _read_source(source, "noise_zh.txt", "stopwords")
        words.update(line for _, line in _content_lines(text))
    words.update(str(word) for word in extra_stopwords)
    normalized = {normalize(word.strip()).lower() for word in words}
    normalized.discard("")
    return frozenset(normalized - set(protected))
