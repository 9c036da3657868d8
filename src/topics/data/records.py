"""Shared machinery of the corpus readers: report, options, record-to-Document mapping, ids, HTML.

Used by :mod:`topics.data.readers`; see its module notes for the conventions.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal, TypedDict

from topics.data.encoding import normalize_newlines
from topics.data.types import Document, InputError

__all__ = [
    "FORMATS",
    "ReadOptions",
    "ReadReport",
    "SkippedItem",
    "data_config_arguments",
    "html_to_text",
]

logger = logging.getLogger(__name__)

#: The values of ``format`` that :func:`topics.data.readers.read_corpus` accepts.
FORMATS = ("folder", "jsonl", "csv", "tsv", "parquet")
OnError = Literal["raise", "skip"]
OnDuplicate = Literal["raise", "suffix"]
_CHOICES = {"on_error": ("raise", "skip"), "on_duplicate": ("raise", "suffix")}
_SKIP_HINT = "Fix or remove it, or set on_error='skip' (data.on_error=skip) to skip bad items."
_MISSING = object()  # Hydra's ``???``
_FIELD_KEYS = frozenset(
    {"id_field", "text_field", "title_field", "date_field", "label_field", "language_field"}
)
_PASSED_KEYS = frozenset({"language", "encoding", "on_error", "on_duplicate"})
#: keys of a data config that are not the readers': theme_mode (what the theme stage does),
#: topic_consensus (topic_model.consensus.enabled's default) and eval_path, label_names_path,
#: label_texts (read by topics.data.load_documents). A test checks this list against the schemas.
_OTHER_KEYS = frozenset(
    {
        "name",
        "description",
        "theme_mode",
        "topic_consensus",
        "eval_path",
        "label_names_path",
        "label_texts",
    }
)
_COMMON_KEYS = _FIELD_KEYS | _PASSED_KEYS - {"encoding"} | _OTHER_KEYS | {"format", "path", "limit"}
_FORMAT_KEYS = {  # encoding: not for Parquet, which stores its strings as UTF-8
    "folder": frozenset({"pattern", "extensions", "encoding"}),
    "jsonl": frozenset({"encoding"}),
    "csv": frozenset({"delimiter", "columns", "has_header", "encoding"}),
    "tsv": frozenset({"columns", "has_header", "encoding"}),
    "parquet": frozenset({"batch_size"}),
}


@dataclass
class SkippedItem:
    """One file or record left out, and why."""

    source: str
    reason: str


@dataclass
class ReadReport:
    """What a reader did; read it once the iterator is exhausted.

    Attributes:
        files_read: Files read.
        records_read: Documents yielded.
        skipped: Files or records left out (empty text, or bad input under ``on_error="skip"``).
        renamed: ``(source, new_id)`` of ids suffixed under ``on_duplicate="suffix"``.
    """

    files_read: int = 0
    records_read: int = 0
    skipped: list[SkippedItem] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, source: str, reason: str) -> None:
        """Record a skipped item and log a warning."""
        self.skipped.append(SkippedItem(source, reason))
        logger.warning("skipped %s: %s", source, reason)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary (for logs or tracking)."""
        return asdict(self)


class ReadOptions(TypedDict, total=False):
    """Keyword options every reader takes (all optional).

    Attributes:
        language: Language of documents that state none (``None``: detected later).
        encoding: Codec to decode with instead of detecting one (not for Parquet).
        on_error: ``"raise"`` (default) or ``"skip"``: skip and report malformed items.
        on_duplicate: ``"raise"`` (default) or ``"suffix"``: rename repeated ids ``<id>#2``, ...
        report: A :class:`ReadReport` to fill while reading.
    """

    language: str | None
    encoding: str | None
    on_error: OnError
    on_duplicate: OnDuplicate
    report: ReadReport | None


@dataclass(frozen=True)
class ReadCall:
    """One reader call: how it maps fields to Documents, handles problems, and what it reported.

    Not the job context of :mod:`topics.runner`; it lives only while one file or folder is read.
    """

    fields: tuple[str | None, ...]  # id, text, title, date, label, language
    language: str | None
    encoding: str | None
    on_error: OnError
    on_duplicate: OnDuplicate
    report: ReadReport

    def problem(self, where: str, reason: str) -> None:
        """Raise for a bad item, or record it as skipped under ``on_error="skip"``."""
        if self.on_error != "skip":
            raise InputError(f"{where}: {reason}. {_SKIP_HINT}")
        self.report.skip(where, reason)


def make_read_call(
    fields: tuple[str | None, ...] = (),
    *,
    language: str | None = None,
    encoding: str | None = None,
    on_error: OnError = "raise",
    on_duplicate: OnDuplicate = "raise",
    report: ReadReport | None = None,
) -> ReadCall:
    """Check a reader's options and bundle them (a fresh report when none is given)."""
    check_choice("on_error", on_error)
    check_choice("on_duplicate", on_duplicate)
    if fields and not fields[1]:
        raise InputError("text_field is not set; name the field that holds the text.")
    report = report if report is not None else ReadReport()
    return ReadCall(fields, language, encoding, on_error, on_duplicate, report)


def known_keys(fmt: str) -> frozenset[str]:
    """Return the data-config keys accepted for ``fmt`` (one of :data:`FORMATS`).

    ``tests/config/test_schemas.py`` checks that every key of the format's schema in
    ``topics.config_schema.data`` is among them, so a new schema key cannot be refused here.
    """
    return _COMMON_KEYS | _FORMAT_KEYS[fmt]


def data_config_arguments(cfg: Mapping[str, Any]) -> tuple[str, str, dict[str, Any], int | None]:
    """Check a ``data`` config and turn it into reader arguments.

    See :func:`topics.data.readers.read_corpus` for the keys.

    Returns:
        ``(format, path, keyword arguments of the format's reader, limit)``.

    Raises:
        InputError: On an unknown format or key, a missing ``path`` or a bad value.

    """
    values = {str(key): _cfg_value(cfg, str(key)) for key in cfg}
    fmt = values.get("format")
    if fmt not in FORMATS:
        raise InputError(f"data.format={fmt!r} is not supported; use one of {list(FORMATS)}.")
    allowed = known_keys(fmt)
    if unknown := sorted(set(values) - allowed):
        raise InputError(
            f"data: unknown key(s) {unknown} for format {fmt}; known: {sorted(allowed)}."
        )
    path = values.get("path")
    if path is _MISSING or path is None or not str(path).strip():
        raise InputError(
            f"data.path is not set; give the corpus location: data.path=/path/to/{fmt}"
        )
    if not Path(path).exists():
        raise InputError(f"data.path={path} does not exist (cwd: {Path.cwd()}); fix data.path=...")
    limit = values.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InputError(f"data.limit={limit!r}: use a whole number >= 0, or null for no limit.")
    kwargs = {
        key: tuple(value) if key in ("extensions", "columns") else value
        for key, value in values.items()
        if (key in _FIELD_KEYS and fmt != "folder")
        or (key in _PASSED_KEYS | _FORMAT_KEYS[fmt] and value is not None)
    }
    return fmt, str(path), kwargs, limit


def _cfg_value(cfg: Mapping[str, Any], key: str) -> Any:
    """Return ``cfg[key]``, or ``_MISSING`` for Hydra's ``???``."""
    from omegaconf.errors import MissingMandatoryValue

    try:
        value = cfg[key]
    except MissingMandatoryValue:
        return _MISSING
    return _MISSING if value == "???" else value


def check_choice(key: str, value: Any) -> None:
    """Raise unless ``value`` is a valid choice for option ``key``."""
    if value not in _CHOICES[key]:
        raise InputError(f"{key}={value!r}: use one of {list(_CHOICES[key])}.")


def close(docs: Iterator[Any]) -> None:
    """Close ``docs`` when it is a generator (so that its open file is closed)."""
    if isinstance(docs, Generator):
        docs.close()


def limited(docs: Iterator[Document], limit: int | None) -> Iterator[Document]:
    """Yield at most ``limit`` documents (``None``: all), then close ``docs``."""
    try:
        for count, doc in enumerate(docs):
            if limit is not None and count >= limit:
                return
            yield doc
    finally:
        close(docs)


def unique_ids(docs: Iterator[Document], call: ReadCall) -> Iterator[Document]:
    """Count the documents in the report and make their ids unique per ``call.on_duplicate``."""
    seen: dict[str, str] = {}
    try:
        for doc in docs:
            if doc.doc_id in seen:
                if call.on_duplicate == "raise":
                    raise InputError(
                        f"duplicate id {doc.doc_id!r}: at {seen[doc.doc_id]} and at {doc.source}. "
                        "Make the ids unique, or set data.on_duplicate=suffix to rename repeats."
                    )
                k = 2
                while f"{doc.doc_id}#{k}" in seen:
                    k += 1
                doc.meta["original_id"], doc.doc_id = doc.doc_id, f"{doc.doc_id}#{k}"
                call.report.renamed.append((doc.source, doc.doc_id))
            seen[doc.doc_id] = doc.source
            call.report.records_read += 1
            yield doc
    finally:
        close(docs)


def require_column(file: object, column: str | None, names: Sequence[str]) -> None:
    """Raise unless the text column ``column`` is among the file's column ``names``."""
    if column not in names:
        raise InputError(
            f"{file}: no column {column!r} (text_field); the columns are {list(names)}. "
            "Set data.text_field to the column that holds the text."
        )


def record_document(
    record: Mapping[str, Any], file: object, unit: str, number: int, call: ReadCall
) -> Document | None:
    """Turn record ``number`` (a ``unit``: line or row) of ``file`` into a Document.

    Returns ``None`` for a record left out: empty text (always reported) or a bad record under
    ``on_error="skip"``; a bad record otherwise raises :class:`InputError`.
    """
    where = f"{file}, {unit} {number}"
    try:
        doc = _to_document(record, call.fields, call.language)
    except ValueError as err:
        call.problem(where, str(err))
        return None
    if doc is None:
        call.report.skip(where, "empty text")
        return None
    doc.doc_id = doc.doc_id or f"{getattr(file, 'stem', file)}:{number}"
    doc.source = f"{file}:{number}"
    return doc


def _to_document(
    record: Mapping[str, Any], fields: tuple[str | None, ...], language: str | None
) -> Document | None:
    id_f, text_f, title_f, date_f, label_f, lang_f = fields
    if text_f not in record:
        raise ValueError(
            f"no field {text_f!r} (text_field); this record has {sorted(record)}. Set "
            "data.text_field to the field that holds the text"
        )
    text = record[text_f]
    if text is not None and not isinstance(text, str):
        raise ValueError(f"field {text_f!r} holds a {type(text).__name__}, not text")
    if text is None or not text.strip():
        return None
    return Document(
        doc_id=_as_str(record, id_f) or "",
        text=normalize_newlines(text),
        title=_as_str(record, title_f),
        date=_as_str(record, date_f),
        language=_as_str(record, lang_f) or language,
        label=_as_str(record, label_f),
        meta={k: v for k, v in record.items() if k not in set(fields)},
    )


def _as_str(record: Mapping[str, Any], key: str | None) -> str | None:
    """Return ``record[key]`` as a stripped string; ``None`` when absent, null, NaN or blank."""
    value = record.get(key) if key else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() or None


class _TextExtractor(HTMLParser):
    """Collect the text of an HTML page: block elements on their own lines, no script/style."""

    BLOCKS = frozenset(
        {"address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt"}
        | {"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6"}
        | {"header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td"}
        | {"th", "tr", "ul"}
    )
    HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, +1)

    def handle_endtag(self, tag: str) -> None:
        self._tag(tag, -1)

    def _tag(self, tag: str, step: int) -> None:
        if tag == "title" and not self._hidden:
            self._in_title = step > 0
        elif tag in self.HIDDEN:
            self._hidden = max(0, self._hidden + step)
        if tag == "pre":
            self._pre = max(0, self._pre + step)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._hidden:
            self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Reduce an HTML page to its text with the standard library's ``html.parser``.

    Text of block elements (``p``, ``div``, ``li``, headings, table cells, ``br``...) goes on
    separate lines; ``script``, ``style`` and similar are dropped; entities are
    decoded; runs of white space become one space; blank lines are removed.

    Args:
        markup: The page.

    Returns:
        ``(text, title)``: the text, and the ``<title>`` (``None`` when absent or empty).

    """
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    title = re.sub(r"\s+", " ", "".join(parser.title)).strip()
    return "\n".join(line for line in lines if line), title or None
