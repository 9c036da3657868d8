"""Boilerplate removal on the real seed articles: furniture goes, every article paragraph stays."""

from __future__ import annotations

import pytest

from topics.preprocess.pipeline import preprocess_documents

# Lines (1-based) of each seed file that are article text: the title, headings and paragraphs.
# Everything else in the files is page furniture. Checked by reading the files.
ARTICLE_LINES = {
    "000_899324ef946d4dba": [1, *range(7, 36, 2)],
    "001_06fe89c05da12a16": [1, *range(9, 96, 2)],
    "002_231e353351637161": list(range(1, 41)),
    "003_442bf4bdca060635": [1, *range(6, 51, 2)],
    "004_14193a1684c0973e": list(range(2, 13)),
}
UNITS_PER_DOC = {
    "000_899324ef946d4dba": 15,
    "001_06fe89c05da12a16": 42,
    "002_231e353351637161": 27,
    "003_442bf4bdca060635": 19,
    "004_14193a1684c0973e": 10,
}
FURNITURE = {
    "000_899324ef946d4dba": [
        "Image",
        "2025-10-31AI动态",
        "新媒网(公号: 新媒网跨境发布)",
        "评论(0)",
        "暂无评论,快来抢沙发~",
        "本站原创内容版权归作者",
        "亚马逊热销榜",
        "摩根大通正在对其全球超过30万名员工进行大规模的AI技能培训。该计划",
    ],
    "001_06fe89c05da12a16": [
        "图片来源:界面图库",
        "界面新闻记者 | 何柳颖",
        "新闻热榜",
        "中秋节高速不免费",
        "【#纽约警察地铁追捕逃票者",
        "热门攻略",
        "谷爱凌世界杯第15冠",
    ],
    "003_442bf4bdca060635": [
        "robot",
        "摘要生成中",
        "查看原文",
        "此頁面可能包含第三方內容",
        "• 讚賞",
        "这啥都能卷 炒币都没人家卷的狠",
        "回復0",
        "· 10小時前",
        "掃碼下載 Gate APP",
        "• Español",
        "• Русский",
        "• 简体中文",
        "繁體中文",
    ],
    "004_14193a1684c0973e": ["发布时间:2024-11-25 16:37:23 来源: sp20241125"],
}
ARTICLE_SAMPLES = {
    "001_06fe89c05da12a16": [
        "要继续驰骋于这个新的竞技场,人才配备成为了关键。",
        "复合型人才短缺",
        "一场围绕大模型的行业竞争正在上演。",
    ],
    "002_231e353351637161": ["算力:同业领先的AI算力云", "常见问题解答 (FAQ)", "结论"],
    "003_442bf4bdca060635": [
        "  1. 直接自建算力",
        "人才缺口依然龐大",
        "總的來說,大模型在金融業的應用",
    ],
    "000_899324ef946d4dba": ["面对这样一场由AI技术驱动的全球产业升级浪潮"],
}


@pytest.fixture(scope="module")
def result(seed_documents):
    return preprocess_documents(seed_documents, {"unit": "paragraph", "seed": 0})


def _lines(doc, numbers):
    all_lines = doc.text.split("\n")
    return [all_lines[n - 1].strip() for n in numbers]


def test_counts(result, seed_documents):
    assert len(seed_documents) == 5
    assert result.units.groupby("doc_id").size().to_dict() == UNITS_PER_DOC
    assert len(result.units) == sum(UNITS_PER_DOC.values()) == 113


@pytest.mark.parametrize("doc_id", sorted(ARTICLE_LINES))
def test_exactly_the_article_lines_are_kept(result, doc_id):
    report = next(r for r in result.report if r["doc_id"] == doc_id)
    assert sorted(k["line"] for k in report["kept"]) == ARTICLE_LINES[doc_id]


@pytest.mark.parametrize("doc_id", sorted(FURNITURE))
def test_named_furniture_is_dropped_and_reported(result, doc_id):
    report = next(r for r in result.report if r["doc_id"] == doc_id)
    dropped = [d["text"] for d in report["dropped"]]
    for line in FURNITURE[doc_id]:
        assert any(t.startswith(line.strip()) for t in dropped), line
    assert all(d["reason"] for d in report["dropped"])
    units = " ".join(result.units[result.units.doc_id == doc_id].text)
    for line in FURNITURE[doc_id]:
        assert line.strip() not in units


@pytest.mark.parametrize("doc_id", sorted(ARTICLE_SAMPLES))
def test_named_article_text_is_kept(result, seed_documents, doc_id):
    doc = next(d for d in seed_documents if d.doc_id == doc_id)
    kept_text = " ".join(_lines(doc, ARTICLE_LINES[doc_id]))
    for sample in ARTICLE_SAMPLES[doc_id]:
        assert sample.strip() in kept_text


def test_report_accounts_for_every_line(result, seed_documents):
    for doc, report in zip(seed_documents, result.report, strict=True):
        non_blank = sum(1 for line in doc.text.split("\n") if line.strip())
        assert report["lines_kept"] + report["lines_dropped"] == non_blank


def test_languages_and_dates(result):
    docs = result.documents.set_index("doc_id")
    assert docs.loc["003_442bf4bdca060635", "language"] == "zh-Hant"
    assert set(docs.drop(index="003_442bf4bdca060635").language) == {"zh-Hans"}
    report = {r["doc_id"]: r for r in result.report}
    assert report["004_14193a1684c0973e"]["dates_found"] == ["2024-11-25"]


def test_traditional_is_simplified_for_modeling_but_kept_in_original(result):
    units = result.units[result.units.doc_id == "003_442bf4bdca060635"]
    assert units.text.str.contains("金融業").any()
    assert not units.norm.str.contains("金融業").any()
    assert units.norm.str.contains("金融业").any()


def test_headings_become_sections(result):
    units = result.units[result.units.doc_id == "002_231e353351637161"]
    compute = units[units.section == "算力:同业领先的AI算力云"]
    assert len(compute) == 2 and compute.text.iloc[0].startswith("强大的算力")
