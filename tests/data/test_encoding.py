"""Encoding detection, binary and empty checks, streamed lines of topics.data.encoding."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from topics.data.encoding import (
    SAMPLE_SIZE,
    EmptyInputError,
    iter_lines,
    normalize_newlines,
    read_text,
)
from topics.data.types import InputError

ZH_HANS = (
    "人工智能正在改变金融业。\n"
    "工商银行发布“工银智涌”大模型矩阵，涵盖算力、算法、数据与安全。\n"
    "摩根大通要求30万员工学习提示工程，以提升效率、控制风险。\n"
)
ZH_HANT = "大模型衝擊金融業：從熱情高漲到理性落地。\n銀行業者表示，人才缺口仍大，算力成本高昂。\n"
# characters outside GBK: only GB18030 (4-byte sequences) can encode them
BEYOND_GBK = "𠮷野家与𡈼的罕用字，还有欧元符号€和ḿ。\n" + ZH_HANS


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("text", "data", "expected_encoding"),
    [
        (ZH_HANS, ZH_HANS.encode("gbk"), "gb18030"),
        (BEYOND_GBK, BEYOND_GBK.encode("gb18030"), "gb18030"),
        (ZH_HANS, ZH_HANS.encode("utf-8"), "utf-8"),
        (ZH_HANS, codecs.BOM_UTF8 + ZH_HANS.encode("utf-8"), "utf-8-sig"),
        (ZH_HANS, codecs.BOM_UTF16_LE + ZH_HANS.encode("utf-16-le"), "utf-16"),
        (ZH_HANS, codecs.BOM_UTF16_BE + ZH_HANS.encode("utf-16-be"), "utf-16"),
        (ZH_HANS, ZH_HANS.encode("utf-32"), "utf-32"),
        (ZH_HANT, ZH_HANT.encode("big5"), "big5"),
        (
            "Größe über Straße, naïve café.\n",
            "Größe über Straße, naïve café.\n".encode("cp1252"),
            "cp1252",
        ),
    ],
    ids=[
        "gbk",
        "gb18030",
        "utf-8",
        "utf-8-bom",
        "utf-16-le-bom",
        "utf-16-be-bom",
        "utf-32",
        "big5",
        "cp1252",
    ],
)
def test_read_text_decodes_exactly(tmp_path, text, data, expected_encoding):
    text_read, encoding = read_text(_write(tmp_path, "doc.txt", data))
    assert text_read == text
    assert encoding == expected_encoding
    assert not text_read.startswith("\ufeff")


def test_gb18030_sample_is_really_beyond_gbk():
    with pytest.raises(UnicodeEncodeError):
        BEYOND_GBK.encode("gbk")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_found_by_nul_pattern(tmp_path, codec):
    text = "Banks adopt large language models.\nRisk, compliance and 金融 teams.\n"
    text_read, encoding = read_text(_write(tmp_path, "doc.txt", text.encode(codec)))
    assert (text_read, encoding) == (text, codec)


def test_line_endings_are_normalised(tmp_path):
    text, _ = read_text(_write(tmp_path, "doc.txt", "一\r\n二\r三\n四".encode("gbk")))
    assert text == "一\n二\n三\n四"
    assert normalize_newlines("a\r\n\r\nb\rc") == "a\n\nb\nc"


def test_forced_encoding(tmp_path):
    path = _write(tmp_path, "doc.txt", ZH_HANS.encode("gbk"))
    assert read_text(path, encoding="gb18030") == (ZH_HANS, "gb18030")
    with pytest.raises(InputError, match=r"doc\.txt: cannot decode.*offset 0 \(0xc8\).*utf-8"):
        read_text(path, encoding="utf-8")


def test_png_header_with_random_bytes_is_binary(tmp_path):
    noise = random.Random(1234).randbytes(4096)
    path = _write(tmp_path, "chart.txt", b"\x89PNG\r\n\x1a\n" + noise)
    with pytest.raises(InputError) as info:
        read_text(path)
    message = str(info.value)
    assert str(path) in message
    assert "binary" in message and "PNG" in message
    assert "Convert it to plain text" in message


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"PK\x03\x04\x14\x00", "ZIP"),
        (b"\x7fELF\x02\x01", "ELF"),
    ],
)
def test_known_magic_numbers_are_binary(tmp_path, head, kind):
    with pytest.raises(InputError, match=f"binary.*{kind}"):
        read_text(_write(tmp_path, "file.txt", head + b"some trailing text\n" * 5))


def test_nul_bytes_and_control_bytes_are_binary(tmp_path):
    with pytest.raises(InputError, match="binary.*NUL bytes; if it is UTF-16"):
        read_text(_write(tmp_path, "a.txt", b"text\x00with\x00\x00\x01nul bytes\x00\x00"))
    with pytest.raises(InputError, match="binary.*control bytes"):
        read_text(_write(tmp_path, "b.txt", b"ab\x01\x02\x03\x04\x05\x06" * 50))


def test_undecodable_names_file_offset_and_encodings(tmp_path):
    path = _write(tmp_path, "bad.txt", "Größe ".encode() + b"\xc3\x28" + b"\x80\xff" * 10)
    with pytest.raises(InputError) as info:
        read_text(path)
    message = str(info.value)
    assert str(path) in message
    assert "offset 8 (0xc3)" in message
    assert "utf-8 (fails at byte 8)" in message


def test_broken_utf16_after_bom_is_undecodable_not_binary(tmp_path):
    data = codecs.BOM_UTF16_LE + "金融".encode("utf-16-le") + b"\x00\xdc"  # lone low surrogate
    with pytest.raises(InputError, match=r"cannot decode.*utf-16 \(fails at byte 6\)"):
        read_text(_write(tmp_path, "broken.txt", data))


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\t\r\n  ", "\u3000 \n".encode(), codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")],
)
def test_empty_and_whitespace_only_files(tmp_path, data):
    path = _write(tmp_path, "empty.txt", data)
    with pytest.raises(
        EmptyInputError, match=r"empty\.txt: file (is empty|is whitespace only|holds only)"
    ):
        read_text(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_text(tmp_path / "nope.txt")


def test_iter_lines_streams_and_reports_bad_line_number(tmp_path):
    ascii_lines = [
        f"line {i} plain ascii text to fill the detection sample\n" for i in range(1, 2001)
    ]
    assert sum(map(len, ascii_lines)) > SAMPLE_SIZE  # the GBK line lies past the sample
    data = codecs.BOM_UTF8 + "".join(ascii_lines).encode() + "第二千零一行\n".encode("gbk")
    path = _write(tmp_path, "mixed.txt", data)
    lines = iter_lines(path)
    assert next(lines) == (1, ascii_lines[0])  # BOM dropped, ending kept
    with pytest.raises(InputError, match=r"mixed\.txt, line 2001: .* not valid utf-8"):
        list(lines)


def test_iter_lines_utf16(tmp_path):
    path = _write(tmp_path, "wide.txt", "第一行\r\n第二行\n".encode("utf-16"))
    assert list(iter_lines(path)) == [(1, "第一行\r\n"), (2, "第二行\n")]


_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\r\t"),
    min_size=1,
    max_size=200,
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("roundtrip") / "doc.txt"


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=_TEXT, codec=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_unicode_round_trip(scratch, text, codec):
    assume(any(not ch.isspace() and ch not in _INVISIBLE for ch in text))
    assume(not text.startswith(("%PDF-", "GIF87a", "GIF89a")))
    scratch.write_bytes(text.encode(codec))
    decoded, _ = read_text(scratch)
    assert decoded == normalize_newlines(text).lstrip("\ufeff")
