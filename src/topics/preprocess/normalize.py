"""Text normalization for modeling: NFKC, whitespace cleanup, Traditional-to-Simplified.

The original text is never modified: normalization produces a second string used for modeling,
while unit offsets keep pointing into the original document text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from topics.preprocess.regional import to_mainland_terms

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2000-\u200a\u202f\u205f]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")

# NFKC folds compatibility characters (full-width ASCII, ideographic space, circled digits).
# It is unsafe for a few characters whose compatibility form changes meaning for us; those are
# protected and restored around the NFKC pass.
_NFKC_PROTECT = {"\u2026": "\ue000", "\u2014": "\ue001"}  # … and — keep their shape


def nfkc(text: str) -> str:
    """Apply NFKC except to the few characters where it would change the meaning."""
    for ch, placeholder in _NFKC_PROTECT.items():
        text = text.replace(ch, placeholder)
    text = unicodedata.normalize("NFKC", text)
    for ch, placeholder in _NFKC_PROTECT.items():
        text = text.replace(placeholder, ch)
    return text


def clean_whitespace(text: str) -> str:
    """Drop zero-width characters, collapse runs of spaces and strip every line."""
    text = _ZERO_WIDTH.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


@lru_cache(maxsize=4)
def _opencc(config: str):
    try:
        import opencc
    except ImportError as err:  # pragma: no cover - opencc is a core dependency
        raise ImportError(
            "Traditional/Simplified conversion needs OpenCC: `pip install opencc`."
        ) from err
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified (OpenCC ``t2s``).

    Text whose script is Traditional also gets mainland words for Taiwan / Hong Kong ones
    (資料 -> 数据, 軟體 -> 软件; :mod:`topics.preprocess.regional`); Simplified text only loses
    its stray Traditional characters.
    """
    converted = _opencc("t2s").convert(text)
    if converted == text:  # no Traditional character: the common case, one conversion only
        return converted
    if _script_changes(text, converted) > _script_changes(text, _opencc("s2t").convert(text)):
        converted = to_mainland_terms(converted)
    return converted


def _script_changes(text: str, converted: str) -> int:
    """Number of CJK characters that a same-length OpenCC conversion changed."""
    return sum(a != b and _CJK.match(a) is not None for a, b in zip(text, converted, strict=False))


def cjk_count(text: str) -> int:
    """Return the number of CJK ideographs in ``text``."""
    return len(_CJK.findall(text))


def detect_language(text: str) -> str | None:
    """Guess ``zh-Hans``, ``zh-Hant`` or ``en`` from the script of ``text``.

    Chinese variant is decided by which OpenCC direction changes more characters: text in
    Traditional script changes under ``t2s``, text in Simplified script under ``s2t``.

    Returns:
        The language tag, or ``None`` when the text has neither CJK nor Latin letters.
    """
    n_cjk = cjk_count(text)
    n_latin = len(_LATIN.findall(text))
    if n_cjk == 0 and n_latin == 0:
        return None
    if n_cjk * 2 < n_latin / 3:  # a CJK char carries about as much as a 3-letter word part
        return "en"
    sample = "".join(_CJK.findall(text))[:20000]
    to_hans = _script_changes(sample, _opencc("t2s").convert(sample))
    to_hant = _script_changes(sample, _opencc("s2t").convert(sample))
    return "zh-Hant" if to_hans > to_hant else "zh-Hans"


def normalize_for_model(text: str, simplify: bool = True) -> str:
    """Return the modeling form of ``text``: NFKC, clean whitespace, optionally Simplified."""
    out = clean_whitespace(nfkc(text))
    if simplify and cjk_count(out):
        out = to_simplified(out)
    return out
