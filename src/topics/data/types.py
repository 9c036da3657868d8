"""Plain records passed between pipeline stages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    """One document as read from disk, before any cleaning.

    Attributes:
        doc_id: Stable identifier (from the id field, the manifest or the file name).
        text: The decoded original text; all unit offsets point into it.
        title: Title, if the source gives one.
        date: Publication date as an ISO string, if known.
        language: ``zh-Hans``, ``zh-Hant``, ``en`` or ``None`` when unknown.
        label: Gold label for labeled corpora (e.g. THUCNews), else ``None``.
        source: Where it came from: a path, or ``path:line`` for record files.
        meta: Any further fields (encoding, manifest extras, ...).
    """

    doc_id: str
    text: str
    title: str | None = None
    date: str | None = None
    language: str | None = None
    label: str | None = None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


class InputError(ValueError):
    """Bad input: the message names the file, line or field and says what to do."""


def text_list(texts: Sequence[str], where: str) -> list[str]:
    """Return ``texts`` as a list of strings, or raise :class:`InputError` naming ``where``.

    A single string (a common slip for a list of one) and any non-string item are refused.
    """
    if isinstance(texts, str | bytes):
        raise InputError(
            f"{where} got a single string; pass a sequence of texts (wrap one string in a list: "
            "[text])"
        )
    items = list(texts)
    bad = next((i for i, t in enumerate(items) if not isinstance(t, str)), None)
    if bad is not None:
        raise InputError(
            f"{where} #{bad} is {type(items[bad]).__name__}, not str; pass decoded strings only"
        )
    return items
