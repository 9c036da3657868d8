"""Corpus readers of topics.data.readers on real files written into tmp_path (and the seeds)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf

from topics.config_schema import load_option
from topics.data.readers import (
    FORMATS,
    ReadReport,
    read_corpus,
    read_csv,
    read_folder,
    read_jsonl,
    read_parquet,
    read_tsv,
)
from topics.data.records import html_to_text
from topics.data.types import InputError

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
CONFIGS = REPO / "configs" / "data"


def _jsonl(path: Path, records: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- folder


def test_seed_folder_reads_five_documents():
    report = ReadReport()
    docs = list(read_folder(SEEDS, extensions=[".txt"], report=report))
    assert [d.doc_id for d in docs] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert len(docs) == 5
    for doc in docs:
        assert doc.text == (SEEDS / f"{doc.doc_id}.txt").read_text(encoding="utf-8")
        assert doc.meta["encoding"] == "utf-8"
    assert (report.files_read, report.records_read, report.skipped) == (5, 5, [])


def test_folder_order_ids_hidden_and_encodings(tmp_path):
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "z.txt").write_text("最后一篇", encoding="utf-8")
    (tmp_path / "a.md").write_bytes("银行业大模型应用。".encode("gbk"))
    (tmp_path / "b" / "c" / "deep.TXT").write_text("nested text", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (tmp_path / ".git" / "x.txt").write_text("hidden", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("not read", encoding="utf-8")
    docs = list(read_folder(tmp_path, language="zh-Hans"))
    assert [d.doc_id for d in docs] == ["a", "b/c/deep", "z"]
    assert docs[0].text == "银行业大模型应用。"
    assert docs[0].meta["encoding"] == "gb18030"
    assert docs[1].source == str(tmp_path / "b" / "c" / "deep.TXT")
    assert {d.language for d in docs} == {"zh-Hans"}


def test_folder_skips_empty_files_with_report(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    (tmp_path / "real.txt").write_text("金融科技", encoding="utf-8")
    report = ReadReport()
    docs = list(read_folder(tmp_path, report=report))
    assert [d.doc_id for d in docs] == ["real"]
    skipped = {Path(item.source).name: item.reason for item in report.skipped}
    assert set(skipped) == {"empty.txt", "blank.txt"}
    assert "empty (0 bytes)" in skipped["empty.txt"]
    assert "whitespace" in skipped["blank.txt"]
    assert report.to_dict()["records_read"] == 1


def test_folder_binary_file_raises_or_is_skipped(tmp_path):
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    png = tmp_path / "b.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(512))
    with pytest.raises(InputError, match=rf"{png}.*binary"):
        list(read_folder(tmp_path))
    report = ReadReport()
    docs = list(read_folder(tmp_path, on_error="skip", report=report))
    assert [d.doc_id for d in docs] == ["a"]
    assert report.skipped[0].source == str(png) and "binary" in report.skipped[0].reason


def test_folder_duplicate_ids_raise_or_get_suffix(tmp_path):
    (tmp_path / "a.txt").write_text("one", encoding="utf-8")
    (tmp_path / "a.md").write_text("two", encoding="utf-8")
    with pytest.raises(InputError, match=r"duplicate id 'a': at .*a\.md and at .*a\.txt"):
        list(read_folder(tmp_path))
    report = ReadReport()
    docs = list(read_folder(tmp_path, on_duplicate="suffix", report=report))
    assert [(d.doc_id, d.text) for d in docs] == [("a", "two"), ("a#2", "one")]
    assert docs[1].meta["original_id"] == "a"
    assert report.renamed == [(str(tmp_path / "a.txt"), "a#2")]


def test_html_to_text_keeps_blocks_drops_scripts():
    page = """<!doctype html><html><head><title> AI 与 金融 </title>
    <style>p { color: red; }</style><script>var x = "<p>hidden</p>";</script></head>
    <body><h1>大模型</h1><p>第一段   文字&amp;符号</p><div>第二段<br>换行</div>
    <ul><li>一</li><li>二</li></ul><noscript>enable js</noscript><pre>a  b
  c</pre></body></html>"""
    text, title = html_to_text(page)
    assert title == "AI 与 金融"
    assert text == "大模型\n第一段 文字&符号\n第二段\n换行\n一\n二\na  b\nc"


def test_folder_html_pages_become_text(tmp_path):
    page = (
        "<html><head><title>银行与AI</title><script>alert('x')</script></head>"
        "<body><p>第一段</p><div>第二段</div></body></html>"
    )
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    (tmp_path / "empty.htm").write_text("<html><script>x()</script></html>", encoding="utf-8")
    report = ReadReport()
    docs = list(read_folder(tmp_path, extensions=[".html", "htm"], report=report))
    assert [(d.doc_id, d.title, d.text) for d in docs] == [("page", "银行与AI", "第一段\n第二段")]
    assert "no text" in report.skipped[0].reason
    with pytest.raises(InputError, match="no file matches"):
        read_folder(tmp_path)  # .html is not among the default extensions


def test_folder_missing(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_folder(tmp_path / "nowhere")


# ----------------------------------------------------------------------------- JSONL


def test_jsonl_fields_ids_and_meta(tmp_path):
    path = _jsonl(
        tmp_path / "news.jsonl",
        [
            {
                "id": 7,
                "text": "第一篇\r\n正文",
                "title": " 标题 ",
                "date": "2024-11-25",
                "src": "x",
            },
            "",
            {"text": "no id here", "label": 3, "lang": "en"},
        ],
    )
    docs = list(read_jsonl(path, language_field="lang", language="zh-Hans"))
    assert [d.doc_id for d in docs] == ["7", "news:3"]
    first, second = docs
    assert (first.text, first.title, first.date, first.language) == (
        "第一篇\n正文",
        "标题",
        "2024-11-25",
        "zh-Hans",
    )
    assert first.meta == {"src": "x"} and first.source == f"{path}:1"
    assert (second.label, second.language, second.source) == ("3", "en", f"{path}:3")


def test_jsonl_malformed_line_reported_with_number(tmp_path):
    records = [{"id": str(i), "text": f"doc {i}"} for i in range(1, 6)]
    lines: list[object] = [*records[:2], '{"id": "3", "text": "broken', *records[3:]]
    path = _jsonl(tmp_path / "bad.jsonl", lines)
    with pytest.raises(InputError) as info:
        list(read_jsonl(path))
    message = str(info.value)
    assert f"{path}, line 3: not valid JSON" in message
    assert "not valid JSON: Unterminated string starting at (column 21)" in message
    assert "Fix or remove it" in message
    report = ReadReport()
    docs = list(read_jsonl(path, on_error="skip", report=report))
    assert [d.doc_id for d in docs] == ["1", "2", "4", "5"]
    assert len(report.skipped) == 1
    assert report.skipped[0].source == f"{path}, line 3"
    assert "not valid JSON" in report.skipped[0].reason


def test_jsonl_missing_text_field_lists_fields(tmp_path):
    path = _jsonl(tmp_path / "f.jsonl", [{"id": "a", "text": "ok"}, {"id": "b", "body": "x"}])
    with pytest.raises(InputError) as info:
        list(read_jsonl(path))
    message = str(info.value)
    assert f"{path}, line 2" in message
    assert "no field 'text'" in message and "['body', 'id']" in message


def test_jsonl_empty_text_non_object_and_duplicates(tmp_path):
    path = _jsonl(
        tmp_path / "d.jsonl",
        [{"id": "a", "text": "x"}, {"id": "b", "text": "  "}, [1, 2], {"id": "a", "text": "y"}],
    )
    report = ReadReport()
    with pytest.raises(InputError, match=rf"duplicate id 'a': at {path}:1 and at {path}:4"):
        list(read_jsonl(path, on_error="skip", report=report))
    assert [s.reason for s in report.skipped] == ["empty text", "a JSON list, not an object"]
    docs = list(read_jsonl(path, on_error="skip", on_duplicate="suffix"))
    assert [d.doc_id for d in docs] == ["a", "a#2"]


def test_jsonl_streams_lazily(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(20_000):
            fh.write(json.dumps({"id": f"n{i}", "text": f"第{i}篇新闻"}, ensure_ascii=False) + "\n")
        fh.write("{not json}\n")  # line 20001: reading everything first would fail at once
    report = ReadReport()
    docs = read_jsonl(path, report=report)
    first = next(docs)
    assert (first.doc_id, first.text) == ("n0", "第0篇新闻")
    assert report.records_read == 1
    with pytest.raises(InputError, match="line 20001"):
        for _ in docs:
            pass
    assert report.records_read == 20_000


# ----------------------------------------------------------------------------- CSV / TSV


def test_csv_quoted_multiline_and_gbk(tmp_path):
    rows = 'id,text,label\n1,"第一行,带逗号\n第二行",finance\n2,"他说""你好""",tech\n'
    path = tmp_path / "news.csv"
    path.write_bytes(rows.encode("gbk"))
    docs = list(read_csv(path))
    assert [(d.doc_id, d.text, d.label) for d in docs] == [
        ("1", "第一行,带逗号\n第二行", "finance"),
        ("2", '他说"你好"', "tech"),
    ]
    assert docs[1].source == f"{path}:4"


def test_csv_missing_text_column(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,body\n1,hello\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no column 'text' .*the columns are \['id', 'body'\]"):
        list(read_csv(path))
    assert [d.text for d in read_csv(path, text_field="body")] == ["hello"]


def test_csv_malformed_row(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,text\n1,ok\n2,too,many\n3,fine\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{path}, line 3: 3 fields where the header has 2"):
        list(read_csv(path))
    report = ReadReport()
    assert [d.doc_id for d in read_csv(path, on_error="skip", report=report)] == ["1", "3"]
    assert report.skipped[0].source == f"{path}, line 3"


def test_tsv_thucnews_style(tmp_path):
    path = tmp_path / "thucnews_train.txt"
    path.write_text(
        '央行发布"数字人民币"试点进展\t3\n\n股市收盘：银行股领涨\t1\n', encoding="utf-8"
    )
    docs = list(read_tsv(path, id_field=None, title_field=None, language="zh-Hans"))
    assert [(d.doc_id, d.text, d.label, d.language) for d in docs] == [
        ("thucnews_train:1", '央行发布"数字人民币"试点进展', "3", "zh-Hans"),
        ("thucnews_train:3", "股市收盘：银行股领涨", "1", "zh-Hans"),
    ]
    with pytest.raises(InputError, match="needs columns"):
        read_tsv(path, columns=None)


# ----------------------------------------------------------------------------- Parquet


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame(
        {
            "doc": ["p1", "p2", None, "p4", "p5"],
            "content": ["第一篇", "Second one", "第三篇", "", "第五篇"],
            "published": [dt.date(2024, 1, 2)] * 5,
            "topic": [1, 2, 3, 4, 5],
        }
    )
    path = tmp_path / "corpus.parquet"
    frame.to_parquet(path, engine="pyarrow", index=False)
    report = ReadReport()
    docs = list(
        read_parquet(
            path,
            "doc",
            "content",
            date_field="published",
            label_field="topic",
            batch_size=2,
            report=report,
        )
    )
    assert [(d.doc_id, d.text, d.label) for d in docs] == [
        ("p1", "第一篇", "1"),
        ("p2", "Second one", "2"),
        ("corpus:3", "第三篇", "3"),
        ("p5", "第五篇", "5"),
    ]
    assert docs[0].date == "2024-01-02" and docs[0].source == f"{path}:1"
    assert [s.source for s in report.skipped] == [f"{path}, row 4"]
    with pytest.raises(InputError, match=r"no column 'text' .*'content'"):
        list(read_parquet(path))


def test_parquet_unreadable(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_text("not parquet at all", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        list(read_parquet(path))


def test_parquet_takes_no_encoding(tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame([{"id": "a", "text": "文档"}]).to_parquet(path, index=False)
    with pytest.raises(InputError, match=r"c\.parquet: encoding does not apply to Parquet"):
        read_parquet(path, encoding="gb18030")
    with pytest.raises(InputError, match=r"unknown key\(s\) \['encoding'\] for format parquet"):
        read_corpus({"format": "parquet", "path": str(path), "encoding": "utf-8"})
    assert [d.text for d in read_parquet(path, encoding=None)] == ["文档"]


# ----------------------------------------------------------------------------- read_corpus


def _config(fmt: str, **overrides):
    cfg = load_option("data", fmt)
    for key, value in overrides.items():
        cfg[key] = value
    return cfg


def test_config_files_are_consistent():
    required = {"name", "format", "path", "id_field", "text_field", "title_field", "date_field"}
    required |= {"label_field", "language", "on_error", "limit"}
    for fmt in ("folder", "jsonl", "csv", "parquet"):
        cfg = load_option("data", fmt)
        assert required <= set(cfg), fmt
        assert (cfg.name, cfg.format, cfg.on_error, cfg.limit) == (fmt, fmt, "raise", None)
        assert OmegaConf.is_missing(cfg, "path")
        assert cfg.language is None


def test_read_corpus_dispatches_every_config(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.txt").write_text(f"文档{i}", encoding="utf-8")
    records = [{"id": f"r{i}", "text": f"文档{i}"} for i in range(3)]
    _jsonl(tmp_path / "c.jsonl", records)
    pd.DataFrame(records).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame(records).to_parquet(tmp_path / "c.parquet", index=False)
    paths = {"folder": folder, "jsonl": "c.jsonl", "csv": "c.csv", "parquet": "c.parquet"}
    for fmt, rel in paths.items():
        cfg = _config(fmt, path=str(tmp_path / rel), limit=2)
        assert [d.text for d in read_corpus(cfg)] == ["文档0", "文档1"], fmt
    tsv = tmp_path / "t.tsv"
    tsv.write_text("甲\t0\n乙\t1\n", encoding="utf-8")
    cfg = {"format": "tsv", "path": str(tsv), "columns": ["text", "label"], "id_field": None}
    assert [d.label for d in read_corpus(cfg)] == ["0", "1"]


def test_read_corpus_errors(tmp_path):
    with pytest.raises(InputError, match=r"data\.path is not set.*data\.path="):
        read_corpus(_config("jsonl"))
    with pytest.raises(InputError, match=r"data\.path is not set"):
        read_corpus({"format": "csv", "path": "???"})
    with pytest.raises(InputError, match=r"'xml' is not supported; use one of \['folder', 'jsonl'"):
        read_corpus({"format": "xml", "path": str(tmp_path)})
    assert set(FORMATS) == {"folder", "jsonl", "csv", "tsv", "parquet"}
    with pytest.raises(InputError, match=r"does not exist"):
        read_corpus(_config("csv", path=str(tmp_path / "missing.csv")))
    with pytest.raises(InputError, match=r"unknown key\(s\) \['text_feild'\]"):
        read_corpus({"format": "jsonl", "path": str(tmp_path), "text_feild": "body"})
    with pytest.raises(InputError, match=r"data\.limit=-1"):
        read_corpus({"format": "folder", "path": str(tmp_path), "limit": -1})
    with pytest.raises(InputError, match=r"on_error='ignore': use one of"):
        read_corpus({"format": "folder", "path": str(SEEDS), "on_error": "ignore"})
