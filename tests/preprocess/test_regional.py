"""Taiwan / Hong Kong wording reaches the models as mainland wording, Simplified text untouched."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from topics.preprocess.normalize import normalize_for_model, to_simplified
from topics.preprocess.regional import REGIONAL_TERMS, to_mainland_terms
from topics.tokenize.tokenizer import build_tokenizer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.mark.parametrize(
    ("traditional", "expected"),
    [
        ("金融機構自建算力叢集", "金融机构自建算力集群"),
        ("資料中心採用雲端運算", "数据中心采用云计算"),
        ("銀行導入軟體與演算法", "银行导入软件与算法"),
        ("人工智慧晶片與伺服器", "人工智能芯片与服务器"),
    ],
)
def test_traditional_text_gets_mainland_words(traditional, expected):
    assert normalize_for_model(traditional) == expected


def test_simplified_text_keeps_its_words():
    # in mainland text 资料 means "materials": only Traditional-script text is remapped
    text = "银行的学习资料、软体开发与核心系统"
    assert to_simplified(text) == text


def test_words_both_regions_share_are_kept():
    # OpenCC's tw2sp would turn these into 内核 / 创建 / 智能; the map leaves them alone
    assert to_simplified("核心系統建立智慧銀行") == "核心系统建立智慧银行"


def test_tw2sp_still_rewrites_shared_words():
    """Why the package keeps its own map: if OpenCC stops this, tw2sp may be reconsidered."""
    assert opencc.OpenCC("tw2sp").convert("建立核心") != "建立核心"


def test_longer_terms_win_and_keys_are_simplified():
    assert to_mainland_terms("资料库与资料") == "数据库与数据"
    t2s = opencc.OpenCC("t2s")
    assert all(t2s.convert(key) == key for key in REGIONAL_TERMS)


def test_the_seeds_are_unchanged_by_the_map():
    t2s = opencc.OpenCC("t2s")
    for path in sorted(SEEDS.glob("0*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert to_simplified(line) == t2s.convert(line), path.name


def test_the_tokenizer_sees_mainland_words_in_taiwan_text():
    tokens = build_tokenizer()(opencc.OpenCC("s2twp").convert("银行建设数据中心和软件平台"))
    assert "数据中心" in tokens
    assert any("软件" in t for t in tokens)
