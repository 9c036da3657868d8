"""Turn the bytes of a text file into ``str``: encoding detection, binary and empty-file checks.

Detection order: byte-order mark (UTF-8, UTF-16, UTF-32) → known binary magic numbers → NUL
pattern of BOM-less UTF-16 (otherwise NUL bytes mean binary) → share of control bytes → strict
UTF-8 → ``charset_normalizer``. The GBK family (GB2312, GBK, CP936) is always decoded with its
superset GB18030. When ``charset_normalizer`` rates codecs about as plausible (short texts), the
corpus being Chinese first, GB18030 wins over other East Asian codecs, then Big5 over Japanese
and Korean ones, and cp1252 over other Latin code pages.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from pathlib import Path

from charset_normalizer import from_bytes

from topics.data.types import InputError

__all__ = [
    "EmptyInputError",
    "decode_bytes",
    "detect_encoding",
    "iter_lines",
    "normalize_newlines",
    "read_text",
]

#: Bytes inspected for binary checks, BOM-less UTF-16 and the sample given to streaming readers.
SAMPLE_SIZE = 64 * 1024
#: Share of control bytes (other than tab, newlines, form feed, escape) above which data is binary.
MAX_CONTROL_SHARE = 0.10

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (also .docx/.xlsx/.epub)"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\x7fELF", "ELF executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document (.doc/.xls)"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"MZ\x90\x00", "Windows executable"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz"})
_BIG5_FAMILY = frozenset({"big5", "big5hkscs", "cp950"})
_SHIFT_JIS = frozenset({"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213"})
_EUC_JP = frozenset({"euc_jp", "euc_jis_2004", "euc_jisx0213"})
_EAST_ASIAN = _BIG5_FAMILY | _SHIFT_JIS | _EUC_JP | {"cp949", "euc_kr", "johab"}
_WINDOWS_LATIN = frozenset({"cp1250", "cp1252", "cp1254", "cp1257", "cp1258"})
_DOS_MAC_LATIN = frozenset({"cp437", "cp775", "cp850", "cp858", "mac_latin2", "mac_roman"})
_LATIN = (
    _WINDOWS_LATIN
    | _DOS_MAC_LATIN
    | {"mac_iceland", "mac_turkish"}
    | {f"iso8859_{i}" for i in (1, 2, 3, 4, 9, 10, 13, 14, 15, 16)}
)
#: (codec, names that count as it, codecs it beats when rated about as plausible).
_PREFERRED: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("gb18030", _GB_FAMILY, _EAST_ASIAN),
    ("big5", _BIG5_FAMILY, _EAST_ASIAN - _BIG5_FAMILY),
    ("cp1252", frozenset({"cp1252"}), _LATIN),
)
#: Chaos difference (0..1, from charset_normalizer) under which two guesses count as a tie.
_TIE = 0.05
_NOT_GUESSED = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le", "utf_7"]
_CONTROL = bytes(b for b in [*range(32), 127] if b not in (9, 10, 11, 12, 13, 27))
_INVISIBLE = str.maketrans("", "", "\ufeff\u200b\u200c\u200d\u2060")


class EmptyInputError(InputError):
    """The file is empty or holds only whitespace: there is no text to read."""


def normalize_newlines(text: str) -> str:
    r"""Return ``text`` with CRLF and lone CR line endings turned into ``\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | os.PathLike[str], encoding: str | None = None) -> tuple[str, str]:
    r"""Read a text file, detecting its encoding.

    Line endings are normalised to ``\n`` (CRLF and CR) and a byte-order mark is dropped, so the
    returned text is not byte-for-byte the file: every offset computed later points into the
    returned text, never into the raw file.

    Args:
        path: The file.
        encoding: Force this codec instead of detecting one (decoded strictly).

    Returns:
        ``(text, encoding)`` where ``encoding`` is the Python codec that decodes the raw bytes:
        ``utf-8``, ``utf-8-sig`` (UTF-8 with BOM), ``utf-16`` / ``utf-32`` (with BOM),
        ``utf-16-le`` / ``utf-16-be`` (without BOM), ``gb18030``, ``big5``, ...

    Raises:
        EmptyInputError: The file is empty or whitespace-only.
        InputError: The file is missing, looks binary, or cannot be decoded.

    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; check the path.") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file; use the folder reader.") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read the file ({err.strerror}).") from err
    return decode_bytes(data, source=str(path), encoding=encoding)


def decode_bytes(
    data: bytes, source: str = "<bytes>", encoding: str | None = None
) -> tuple[str, str]:
    """Decode ``data`` like :func:`read_text` decodes a file's content.

    Args:
        data: Raw bytes.
        source: Name used in error messages (a path).
        encoding: Force this codec instead of detecting one.

    Returns:
        ``(text, encoding)``, with newlines normalised and any BOM dropped.

    Raises:
        EmptyInputError: No text in ``data``.
        InputError: Binary or undecodable data.

    """
    if not data.strip():
        what = "empty (0 bytes)" if not data else "whitespace only"
        raise EmptyInputError(f"{source}: file is {what}; there is no text to read. Remove it.")
    if encoding is None:
        encoding = detect_encoding(data, source=source)
    text = _strict_decode(data, encoding, source).lstrip("\ufeff")
    if not text.translate(_INVISIBLE).strip():
        raise EmptyInputError(
            f"{source}: file holds only whitespace ({encoding}); there is no text to read. "
            "Remove it."
        )
    return normalize_newlines(text), encoding


def iter_lines(
    path: str | os.PathLike[str], encoding: str | None = None
) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line)`` of a text file, decoding as it goes (for large files).

    The encoding is detected from the first :data:`SAMPLE_SIZE` bytes unless given. Lines keep
    their line ending; a BOM is dropped. Line numbers start at 1.

    Raises:
        EmptyInputError: The file is empty or whitespace-only.
        InputError: The file looks binary, or a line does not decode (its number is given).

    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_SIZE)
        if not head.strip() and len(head) < SAMPLE_SIZE:
            raise EmptyInputError(f"{path}: file is empty or whitespace only; nothing to read.")
        if encoding is None:
            encoding = detect_encoding(head, source=str(path), truncated=len(head) == SAMPLE_SIZE)
        codec = _codec_name(encoding, path)
        fh.seek(0)
        if codec.startswith(("utf-16", "utf-32")):
            yield from _wide_lines(fh, codec, path)
            return
        decoder = codecs.getdecoder("utf-8" if codec == "utf-8-sig" else codec)
        for number, raw in enumerate(fh, start=1):
            try:
                line = decoder(raw)[0]
            except UnicodeDecodeError as err:
                raise _line_error(path, number, codec, f"byte {err.start} of the line") from None
            yield number, line.lstrip("\ufeff") if number == 1 else line


def _wide_lines(fh: io.BufferedReader, codec: str, path: Path) -> Iterator[tuple[int, str]]:
    number = 0
    try:
        for number, line in enumerate(io.TextIOWrapper(fh, encoding=codec, newline=""), 1):
            yield number, line.lstrip("\ufeff") if number == 1 else line
    except UnicodeDecodeError:
        raise _line_error(path, number + 1, codec, "a byte near this line") from None


def _line_error(path: Path, number: int, codec: str, what: str) -> InputError:
    return InputError(
        f"{path}, line {number}: {what} is not valid {codec} (the encoding was detected from "
        "the start of the file or given). Pass the right encoding (data.encoding=...) or "
        "re-save the file as UTF-8."
    )


def detect_encoding(data: bytes, *, source: str = "<bytes>", truncated: bool = False) -> str:
    """Detect the codec of ``data``, or raise if it is binary or undecodable.

    Args:
        data: The whole content, or its head when ``truncated``.
        source: Name used in error messages.
        truncated: ``data`` is only the first bytes of a longer file (streaming readers): a
            character cut at the end is not an error, and the verdict holds for the head only.

    Returns:
        A Python codec name (see :func:`read_text`).

    Raises:
        InputError: The data looks binary or fits no encoding tried.

    """
    if not data:
        raise EmptyInputError(f"{source}: no bytes; there is no text to read.")
    head = data[:SAMPLE_SIZE]
    bom_attempts = []
    for bom, name in _BOMS:
        if head.startswith(bom):
            error = _decode_error(data, name, final=not truncated)
            if error is None:
                return name
            bom_attempts.append((name, error))
    if bom_attempts:
        raise _undecodable_error(source, bom_attempts, "the file starts with a byte-order mark")
    magic = _binary_magic(head)
    if magic:
        raise _binary_error(source, f"it starts like a {magic}")
    if b"\x00" in head:
        name = _utf16_by_nul_pattern(head)
        if name is None or _decode_error(data, name, final=not truncated) is not None:
            raise _binary_error(source, "NUL bytes; if it is UTF-16 text, pass its encoding")
        return name
    control = (len(head) - len(head.translate(None, _CONTROL))) / len(head)
    if control > MAX_CONTROL_SHARE:
        raise _binary_error(source, f"{control:.0%} of its first bytes are control bytes")
    if truncated:
        data = head[: head.rfind(b"\n") + 1] or head  # cut at a line end: a character boundary
    utf8_error = _decode_error(data, "utf-8", final=not truncated)
    if utf8_error is None:
        return "utf-8"
    guess = _guess_codec(data)
    if guess is None:
        raise _undecodable_error(
            source, [("utf-8", utf8_error)], "charset_normalizer found no other plausible encoding"
        )
    guess_error = _decode_error(data, guess)
    if guess_error is not None:
        raise _undecodable_error(source, [("utf-8", utf8_error), (guess, guess_error)], "")
    return guess


def _binary_magic(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if kind and head.startswith(magic):
            return kind
    return None


def _utf16_by_nul_pattern(head: bytes) -> str | None:
    """Name the UTF-16 byte order when NULs sit (almost) only at odd or only at even offsets."""
    head = head[: len(head) // 2 * 2]
    if not head:
        return None
    half = len(head) / 2
    even = head[0::2].count(0) / half
    odd = head[1::2].count(0) / half
    if odd >= 0.3 and even <= 0.02:
        return "utf-16-le"
    if even >= 0.3 and odd <= 0.02:
        return "utf-16-be"
    return None


def _guess_codec(data: bytes) -> str | None:
    """Ask ``charset_normalizer``; on near-ties prefer gb18030 and cp1252 to their look-alikes."""
    matches = list(from_bytes(data, cp_exclusion=_NOT_GUESSED))
    if not matches:
        return None
    chaos = {_canon(m.encoding): m.chaos for m in reversed(matches)}
    best = _canon(matches[0].encoding)
    if best in _GB_FAMILY:
        return "gb18030"
    for preferred, aliases, beaten in _PREFERRED:
        rivals = [c for name, c in chaos.items() if name in aliases]
        if best in beaten and rivals and min(rivals) <= chaos[best] + _TIE:
            return preferred
    return best


def _canon(name: str) -> str:
    return codecs.lookup(name).name.replace("-", "_")


def _decode_error(data: bytes, encoding: str, final: bool = True) -> UnicodeDecodeError | None:
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(data, final=final)
    except UnicodeDecodeError as err:
        return err
    return None


def _codec_name(encoding: str, source: object) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"{source}: unknown encoding {encoding!r}; use a Python codec name."
        ) from None


def _strict_decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(_codec_name(encoding, source))
    except UnicodeDecodeError as err:
        raise _undecodable_error(source, [(encoding, err)], "") from None


def _binary_error(source: str, reason: str) -> InputError:
    return InputError(
        f"{source}: looks like a binary file, not text ({reason}). Convert it to plain text "
        "(UTF-8) first, or remove it from the corpus / leave its extension out of the reader."
    )


def _undecodable_error(
    source: str, attempts: list[tuple[str, UnicodeDecodeError]], note: str
) -> InputError:
    first = attempts[0][1]
    bad = first.object[first.start : first.start + 1]
    tried = ", ".join(f"{enc} (fails at byte {err.start})" for enc, err in attempts)
    return InputError(
        f"{source}: cannot decode the text: the first bad byte is at offset {first.start} "
        f"(0x{bad.hex()}). Encodings tried: {tried}{'; ' + note if note else ''}. "
        "Re-save the file as UTF-8, pass its encoding explicitly, or remove it."
    )
