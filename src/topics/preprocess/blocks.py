"""Cut a document into text blocks (lines or blank-line paragraphs) with exact offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """A stripped run of text inside the original document.

    Attributes:
        index: Position among the document's blocks.
        line: 1-based line number of the block's first line.
        start: Offset of the first character in the original text.
        end: Offset one past the last character.
        text: ``original[start:end]``.
    """

    index: int
    line: int
    start: int
    end: int
    text: str


_TERMINAL = "。！？!?…；;"
_CLOSERS = "”’」』》）)】\"'"


def _line_spans(text: str) -> list[tuple[int, int, int]]:
    """Return (line_no, start, end) of every non-blank stripped line."""
    spans = []
    pos = 0
    for no, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            spans.append((no, pos + lead, pos + lead + len(stripped)))
        pos += len(raw) + 1
    return spans


def _looks_hard_wrapped(text: str, spans: list[tuple[int, int, int]]) -> bool:
    """Guess whether paragraphs span several lines (hard-wrapped text with blank-line breaks).

    Wrapped lines run on without sentence-final punctuation and share one width; lists,
    menus and comment threads have lines of very different lengths.
    """
    if len(spans) < 4 or "\n\n" not in text:
        return False
    inner = [(s, e) for (no, s, e), nxt in zip(spans, spans[1:], strict=False) if nxt[0] == no + 1]
    if len(inner) < 0.5 * len(spans):
        return False
    lengths = [e - s for s, e in inner]
    mean = sum(lengths) / len(lengths)
    spread = (sum((n - mean) ** 2 for n in lengths) / len(lengths)) ** 0.5
    open_share = sum(1 for _, e in inner if text[e - 1] not in _TERMINAL + _CLOSERS) / len(inner)
    return mean >= 30 and spread / mean < 0.25 and open_share > 0.6


def split_blocks(text: str, mode: str = "auto") -> list[Block]:
    r"""Split ``text`` into blocks.

    Args:
        text: The original document text (``\\n`` line endings).
        mode: ``line`` (each non-blank line is a block), ``blank`` (blank lines separate
            blocks; lines inside a block are joined) or ``auto`` (``blank`` for hard-wrapped
            text, else ``line``).

    Returns:
        Blocks in document order; ``text[b.start:b.end] == b.text`` for each.
    """
    if mode not in {"auto", "line", "blank"}:
        raise ValueError(f"preprocess.block_mode must be auto, line or blank, not {mode!r}")
    spans = _line_spans(text)
    if mode == "auto":
        mode = "blank" if _looks_hard_wrapped(text, spans) else "line"
    if mode == "blank":
        merged: list[list[int]] = []
        for no, start, end in spans:
            if merged and no == merged[-1][3] + 1:
                merged[-1][2], merged[-1][3] = end, no
            else:
                merged.append([no, start, end, no])
        spans = [(no, start, end) for no, start, end, _ in merged]
    return [Block(i, no, s, e, text[s:e]) for i, (no, s, e) in enumerate(spans)]


_SENT_END = re.compile(r"[。！？!?…；;]+[”’」』》）)】\"']*|[.](?=\s|$)[”’\"')]*")


def ends_like_sentence(text: str) -> bool:
    """Return whether ``text`` ends with sentence-final punctuation (maybe before a closer)."""
    stripped = text.rstrip()
    if not stripped:
        return False
    return stripped[-1] in _TERMINAL or (
        stripped[-1] in _CLOSERS and len(stripped) > 1 and stripped[-2] in _TERMINAL + "."
    )


def has_sentence_shape(text: str) -> bool:
    """Return whether ``text`` ends like a sentence or holds clause punctuation."""
    if ends_like_sentence(text):
        return True
    return bool(re.search(r"[，,、：:][^，,、]{2,}[，,、。.]", text))
