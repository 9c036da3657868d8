r"""Corpus readers: a folder of text files, JSONL, CSV, TSV or Parquet, read lazily as Documents.

Every reader returns an iterator, so large files stream; a missing path raises at the call,
problems inside the files when iteration reaches them. Conventions shared by all readers:

* Text is decoded (see :mod:`topics.data.encoding`) and its line endings become ``\n``.
* A document whose text is empty or whitespace-only is skipped and recorded in the report (with
  a logged warning); it never stops the run.
* A malformed item (bad JSON line, record without text, wrong field count, a binary or
  undecodable file in a folder) raises :class:`InputError` naming the file and line; with
  ``on_error="skip"`` it is skipped and recorded in the report instead. Problems of a whole file
  (missing text column, undecodable bytes, unreadable file) always raise.
* Ids are unique within one reader call: a repeated id raises :class:`InputError` naming both
  places (``on_duplicate="raise"``, the default) or, with ``on_duplicate="suffix"``, the later
  document becomes ``"<id>#2"``, ``"<id>#3"``, ... (the original id goes to
  ``meta["original_id"]`` and the report's ``renamed``).

Record readers (JSONL, CSV, TSV, Parquet) share the field arguments ``id_field``, ``text_field``,
``title_field``, ``date_field``, ``label_field`` and ``language_field``: the record fields that
fill the Document (``None``: not present). Only the text field is required; a missing id becomes
``"<file stem>:<line>"`` (``:<row>`` for Parquet); other fields go to ``Document.meta``. All
readers take the keyword options of :class:`~topics.data.records.ReadOptions`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Unpack

from topics.data.encoding import EmptyInputError, iter_lines, read_text
from topics.data.records import (
    FORMATS,
    ReadCall,
    ReadOptions,
    ReadReport,
    SkippedItem,
    data_config_arguments,
    html_to_text,
    limited,
    make_read_call,
    record_document,
    require_column,
    unique_ids,
)
from topics.data.types import Document, InputError

__all__ = [
    "FORMATS",
    "ReadOptions",
    "ReadReport",
    "SkippedItem",
    "read_corpus",
    "read_csv",
    "read_folder",
    "read_jsonl",
    "read_parquet",
    "read_tsv",
]


def read_folder(
    path: str | Path,
    pattern: str = "**/*",
    extensions: Sequence[str] = (".txt", ".md"),
    **options: Unpack[ReadOptions],
) -> Iterator[Document]:
    """Read one document per file under a folder, sorted by relative path.

    Hidden files and folders (name starting with ``.``) are left out. ``.html``/``.htm`` files,
    when listed in ``extensions``, are reduced to their text (``html_to_text``) and their
    ``<title>`` becomes the title. Empty and whitespace-only files are skipped and reported;
    binary or undecodable files raise, or are skipped and reported under ``on_error="skip"``.

    Args:
        path: The folder.
        pattern: Glob pattern relative to the folder.
        extensions: File suffixes to read (case-insensitive).
        **options: See :class:`~topics.data.records.ReadOptions` (``encoding`` applies to all
            files; ids collide when two files differ only by suffix).

    Returns:
        Documents whose ``doc_id`` is the relative path without suffix (``/``-separated).

    Raises:
        InputError: When the folder is missing or no file matches.

    """
    root = _existing(path, folder=True)
    suffixes = {s.lower() if s.startswith(".") else f".{s.lower()}" for s in extensions}
    files = sorted(
        (p.relative_to(root).as_posix(), p)
        for p in root.glob(pattern)
        if p.suffix.lower() in suffixes
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.is_file()
    )
    if not files:
        raise InputError(
            f"{root}: no file matches {pattern!r} with extensions {sorted(suffixes)}; "
            "check data.path and data.extensions."
        )
    call = make_read_call(**options)
    return unique_ids(_folder_docs(files, call), call)


def read_jsonl(
    path: str | Path,
    id_field: str | None = "id",
    text_field: str = "text",
    title_field: str | None = "title",
    date_field: str | None = "date",
    label_field: str | None = "label",
    language_field: str | None = None,
    **options: Unpack[ReadOptions],
) -> Iterator[Document]:
    """Read one document per JSON line; blank lines are skipped.

    Args:
        path: The JSON Lines file (normally UTF-8; other encodings are detected).
        id_field: Id field (see the module notes on field arguments).
        text_field: Text field; every record needs it.
        title_field: Title field.
        date_field: Date field.
        label_field: Gold-label field.
        language_field: Language field.
        **options: See :class:`~topics.data.records.ReadOptions`.

    Returns:
        Documents whose ``source`` is ``"<path>:<line>"``.

    Raises:
        InputError: On a missing file, a malformed line or a record without the text field.

    """
    fields = (id_field, text_field, title_field, date_field, label_field, language_field)
    call = make_read_call(fields, **options)
    return unique_ids(_jsonl_docs(_existing(path), call), call)


def read_csv(
    path: str | Path,
    id_field: str | None = "id",
    text_field: str = "text",
    title_field: str | None = "title",
    date_field: str | None = "date",
    label_field: str | None = "label",
    language_field: str | None = None,
    *,
    delimiter: str = ",",
    columns: Sequence[str] | None = None,
    has_header: bool = True,
    quoting: int = csv.QUOTE_MINIMAL,
    **options: Unpack[ReadOptions],
) -> Iterator[Document]:
    """Read one document per row of a delimited file, row by row with the ``csv`` module.

    Quoted fields may span lines; line numbers are the file's (the header is line 1). Unless
    given, the encoding is detected from the first 64 KiB. Raises the process-wide
    ``csv.field_size_limit`` so that long articles fit in one field.

    Args:
        path: The file.
        id_field: Id column (see the module notes on field arguments).
        text_field: Text column; the file must have it.
        title_field: Title column.
        date_field: Date column.
        label_field: Gold-label column.
        language_field: Language column.
        delimiter: Field separator.
        columns: Column names: required without header, else they replace the header's.
        has_header: Whether the first row names the columns.
        quoting: A ``csv.QUOTE_*`` constant.
        **options: See :class:`~topics.data.records.ReadOptions`; ``on_error="skip"`` skips
            rows with a wrong number of fields.

    Returns:
        Documents whose ``source`` is ``"<path>:<line>"`` (the row's first line).

    Raises:
        InputError: On a missing file or text column, or a malformed row.

    """
    file = _existing(path)
    if not has_header and not columns:
        raise InputError(f"{file}: a file without header needs columns=[...] naming its columns.")
    fields = (id_field, text_field, title_field, date_field, label_field, language_field)
    call = make_read_call(fields, **options)
    dialect = {"delimiter": delimiter, "quoting": quoting}
    names = tuple(columns) if columns else None
    return unique_ids(_delimited_docs(file, dialect, names, has_header, call), call)


def read_tsv(
    path: str | Path,
    columns: Sequence[str] | None = ("text", "label"),
    has_header: bool = False,
    **kwargs: Any,
) -> Iterator[Document]:
    """Read a tab-separated file, by default THUCNews style: ``text<TAB>label``, no header.

    Quotes are ordinary characters here (``csv.QUOTE_NONE``), so the text may contain them.

    Args:
        path: The file.
        columns: Column names (with a header, ``None`` keeps the header's).
        has_header: Whether the first row names the columns.
        **kwargs: Other arguments of :func:`read_csv` (field names, options).

    Returns:
        Documents, as :func:`read_csv` gives them.

    """
    kwargs.setdefault("quoting", csv.QUOTE_NONE)
    return read_csv(path, delimiter="\t", columns=columns, has_header=has_header, **kwargs)


def read_parquet(
    path: str | Path,
    id_field: str | None = "id",
    text_field: str = "text",
    title_field: str | None = "title",
    date_field: str | None = "date",
    label_field: str | None = "label",
    language_field: str | None = None,
    *,
    batch_size: int = 1024,
    **options: Unpack[ReadOptions],
) -> Iterator[Document]:
    """Read one document per row of a Parquet file, ``batch_size`` rows at a time.

    Args:
        path: The Parquet file.
        id_field: Id column (see the module notes on field arguments).
        text_field: Text column; the file must have it.
        title_field: Title column.
        date_field: Date column; dates and timestamps become ISO strings.
        label_field: Gold-label column.
        language_field: Language column.
        batch_size: Rows decoded at a time.
        **options: See :class:`~topics.data.records.ReadOptions` (``encoding`` does not apply:
            a value other than ``None`` raises); ``on_error="skip"`` skips rows whose text is
            not a string.

    Returns:
        Documents whose ``source`` is ``"<path>:<row>"`` (1-based).

    Raises:
        InputError: On a missing or unreadable file, or a missing text column.

    """
    if options.pop("encoding", None) is not None:
        raise InputError(
            f"{path}: encoding does not apply to Parquet (its strings are UTF-8); leave it out."
        )
    fields = (id_field, text_field, title_field, date_field, label_field, language_field)
    call = make_read_call(fields, **options)
    return unique_ids(_parquet_docs(_existing(path), batch_size, call), call)


def read_corpus(cfg: Mapping[str, Any]) -> Iterator[Document]:
    """Read the corpus a ``data`` config describes (see ``configs/data/*.yaml``).

    Keys: ``format`` (one of :data:`FORMATS`); ``path``; the field keys (``id_field``, ...,
    ``language_field``; not used by ``folder``); ``language``, ``on_error``, ``on_duplicate``;
    ``encoding`` (not parquet); ``limit`` (most documents to yield; ``null``: all); per format
    ``pattern`` and ``extensions`` (folder), ``delimiter`` (csv), ``columns`` and ``has_header``
    (csv, tsv), ``batch_size`` (parquet). Not used: ``name``, ``description``, ``theme_mode``,
    ``topic_consensus`` and the keys of labeled corpora (``eval_path``, ``label_names_path``,
    ``label_texts``; see :func:`topics.data.load_documents`). A key set to ``null`` takes the
    reader's default, except field keys (``null``: no such field). Any other key is an error, so
    that a misspelt key does not pass unnoticed.

    Args:
        cfg: The ``data`` config (a dict or an OmegaConf ``DictConfig``).

    Returns:
        Documents, at most ``limit``.

    Raises:
        InputError: On an unknown format or key, a missing ``path`` or a bad value.

    """
    fmt, path, kwargs, limit = data_config_arguments(cfg)
    return limited(_READERS[fmt](path, **kwargs), limit)


_READERS = {
    "folder": read_folder,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "tsv": read_tsv,
    "parquet": read_parquet,
}


def _existing(path: str | Path, folder: bool = False) -> Path:
    path = Path(path)
    if path.is_dir() if folder else path.is_file():
        return path
    kind = "folder" if folder else "file"
    what = f"is not a {kind}" if path.exists() else "does not exist"
    raise InputError(f"{path}: {what}; give the corpus {kind}.")


def _folder_docs(files: list[tuple[str, Path]], call: ReadCall) -> Iterator[Document]:
    for rel, file in files:
        try:
            text, encoding = read_text(file, call.encoding)
            title = None
            if file.suffix.lower() in (".html", ".htm"):
                text, title = html_to_text(text)
                if not text:
                    raise EmptyInputError(f"{file}: the page has no text outside its tags.")
        except EmptyInputError as err:
            call.report.skip(str(file), str(err))
            continue
        except InputError as err:
            call.problem(str(file), str(err).removeprefix(f"{file}: "))
            continue
        call.report.files_read += 1
        doc_id = str(PurePosixPath(rel).with_suffix(""))
        meta = {"encoding": encoding, "path": rel}
        yield Document(
            doc_id, text, title=title, language=call.language, source=str(file), meta=meta
        )


def _jsonl_docs(file: Path, call: ReadCall) -> Iterator[Document]:
    call.report.files_read += 1
    for number, line in iter_lines(file, call.encoding):
        if not line.strip():
            continue
        try:
            record = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as err:
            call.problem(
                f"{file}, line {number}", f"not valid JSON: {err.msg} (column {err.colno})"
            )
            continue
        if not isinstance(record, dict):
            call.problem(f"{file}, line {number}", f"a JSON {type(record).__name__}, not an object")
            continue
        if (doc := record_document(record, file, "line", number, call)) is not None:
            yield doc


def _delimited_docs(
    file: Path, dialect: dict[str, Any], names: tuple[str, ...] | None, header: bool, call: ReadCall
) -> Iterator[Document]:
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
    call.report.files_read += 1
    reader = csv.reader((line for _, line in iter_lines(file, call.encoding)), **dialect)
    try:
        first = next(reader, []) if header else []
        names = names or tuple(first)
        require_column(file, call.fields[1], names)
        last = reader.line_num
        for row in reader:
            start, last = last + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip() and len(names) > 1):
                continue
            if len(row) != len(names):
                reason = f"{len(row)} fields where the header has {len(names)}"
                call.problem(f"{file}, line {start}", reason)
                continue
            record = dict(zip(names, row, strict=True))
            if (doc := record_document(record, file, "line", start, call)) is not None:
                yield doc
    except csv.Error as err:
        raise InputError(f"{file}, line {reader.line_num}: unreadable ({err}); fix it.") from err


def _parquet_docs(file: Path, batch_size: int, call: ReadCall) -> Iterator[Document]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(file)
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"{file}: not a readable Parquet file ({err}).") from err
    with parquet:
        require_column(file, call.fields[1], parquet.schema_arrow.names)
        call.report.files_read += 1
        row = 0
        for batch in parquet.iter_batches(batch_size=batch_size):
            for record in batch.to_pylist():
                row += 1
                if (doc := record_document(record, file, "row", row, call)) is not None:
                    yield doc
