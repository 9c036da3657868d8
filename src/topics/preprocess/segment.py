"""Cut cleaned documents into units: paragraphs, sentences or fixed windows.

Every unit keeps character offsets into the original document text (``text[start:end]`` is the
unit's original form) and a stable id derived from its document and content.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from topics.preprocess.blocks import Block

_OPEN_QUOTES = '“‘「『《（(【"'
_CLOSE_QUOTES = '”’」』》）)】"'
_ZH_END = "。！？!?…"
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Inc|Ltd|Co|Corp|vs|etc|No|Fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|"
    r"Sept|Oct|Nov|Dec|St|Jr|Sr)|\b(?:[A-Z]\.)+[A-Z]|\be\.g|\bi\.e)$"
)
_MAX_QUOTE = 300  # a quote longer than this is taken as unbalanced and may be split inside


@dataclass(frozen=True)
class Unit:
    """One modeling unit with offsets into its document's original text."""

    unit_id: str
    doc_id: str
    index: int
    kind: str
    start: int
    end: int
    text: str
    section: str | None = None


def unit_id(doc_id: str, kind: str, text: str, occurrence: int = 0) -> str:
    """Return a stable unit id from the document id, unit kind and unit content."""
    digest = hashlib.sha1(f"{doc_id}\x1f{kind}\x1f{text}\x1f{occurrence}".encode()).hexdigest()
    return f"{doc_id}#{digest[:10]}"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans (start, end), Chinese and English rules.

    A sentence ends at Chinese end punctuation (。！？…), or at ``.!?`` followed by a space
    (English; not after common abbreviations, initials or inside numbers). Closing quotes and
    brackets stay with the sentence they close, and a quotation is not split inside.
    """
    spans: list[tuple[int, int]] = []
    start, depth, quote_start, i, n = 0, 0, -1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _OPEN_QUOTES and not (ch == '"' and depth > 0):
            depth, quote_start = depth + 1, i if depth == 0 else quote_start
        elif ch in _CLOSE_QUOTES and depth > 0:
            depth -= 1
        is_end = ch in _ZH_END or (
            ch in ".!?"
            and (i + 1 >= n or text[i + 1].isspace())
            and not (ch == "." and _ABBREV.search(text[max(0, i - 12) : i]))
        )
        if is_end and (depth == 0 or i - quote_start > _MAX_QUOTE):
            j = i + 1
            while j < n and (text[j] in _ZH_END + ".!?" or text[j] in _CLOSE_QUOTES):
                if text[j] in _CLOSE_QUOTES and depth > 0:
                    depth -= 1
                j += 1
            if depth > 0 and i - quote_start <= _MAX_QUOTE:
                i += 1
                continue
            depth = 0
            spans.append((start, j))
            while j < n and text[j].isspace():
                j += 1
            start, i = j, j
            continue
        i += 1
    if start < n and text[start:].strip():
        spans.append((start, n))
    return [(s, s + len(text[s:e].rstrip())) for s, e in spans if text[s:e].strip()]


def _paragraph_spans(blocks: Sequence[Block], _: dict) -> Iterator[tuple[int, int]]:
    for b in blocks:
        yield b.start, b.end


def _sentence_spans(blocks: Sequence[Block], _: dict) -> Iterator[tuple[int, int]]:
    for b in blocks:
        for s, e in sentence_spans(b.text):
            yield b.start + s, b.start + e


def _window_spans(blocks: Sequence[Block], opts: dict) -> Iterator[tuple[int, int]]:
    """Windows of whole sentences up to ``window_chars``, advancing by ``stride`` sentences."""
    size, stride = int(opts["window_chars"]), int(opts["stride_sentences"])
    for b in blocks:
        sents = [(b.start + s, b.start + e) for s, e in sentence_spans(b.text)]
        k = 0
        while k < len(sents):
            end = k
            while end + 1 < len(sents) and sents[end + 1][1] - sents[k][0] <= size:
                end += 1
            yield sents[k][0], sents[end][1]
            if end == len(sents) - 1:
                break
            k += max(1, min(stride, end - k + 1))


_SPLITTERS = {"paragraph": _paragraph_spans, "sentence": _sentence_spans, "window": _window_spans}


def segment(
    doc_id: str,
    text: str,
    paragraphs: Sequence[Block],
    sections: Sequence[str | None],
    *,
    unit: str,
    min_chars: int,
    window_chars: int,
    stride_sentences: int,
) -> list[Unit]:
    """Cut the kept paragraphs of one document into units.

    Args:
        doc_id: Document id, part of every unit id.
        text: The document's original text; offsets point into it.
        paragraphs: Kept paragraph blocks in document order.
        sections: The heading each paragraph sits under (``None`` if none), same length.
        unit: ``paragraph``, ``sentence`` or ``window``.
        min_chars: Units with fewer non-space characters are skipped.
        window_chars: Window units: most characters of a window.
        stride_sentences: Window units: sentences a window advances by.

    Returns:
        Units in document order.
    """
    if unit not in _SPLITTERS:
        raise ValueError(f"preprocess.unit must be one of {sorted(_SPLITTERS)}, not {unit!r}")
    section_at = {b.start: s for b, s in zip(paragraphs, sections, strict=True)}
    starts = sorted(section_at)
    units: list[Unit] = []
    seen: dict[str, int] = {}
    opts = {"window_chars": window_chars, "stride_sentences": stride_sentences}
    for start, end in _SPLITTERS[unit](paragraphs, opts):
        piece = text[start:end]
        if len(re.sub(r"\s", "", piece)) < min_chars:
            continue
        k = bisect.bisect_right(starts, start)  # starts is sorted: O(log n) per unit
        owner = starts[k - 1] if k else None
        occurrence = seen.get(piece, 0)
        seen[piece] = occurrence + 1
        units.append(
            Unit(
                unit_id=unit_id(doc_id, unit, piece, occurrence),
                doc_id=doc_id,
                index=len(units),
                kind=unit,
                start=start,
                end=end,
                text=piece,
                section=section_at.get(owner) if owner is not None else None,
            )
        )
    return units
