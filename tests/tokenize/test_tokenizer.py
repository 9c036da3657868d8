"""Tests of the Chinese tokenizer (topics.tokenize) on real text, offline."""

from __future__ import annotations

import copy
import pickle
import re
from pathlib import Path

import pytest
from sklearn.feature_extraction.text import CountVectorizer

from topics.config_schema import load_option
from topics.data.types import InputError
from topics.tokenize import ChineseTokenizer, build_tokenizer

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))

# Real sentences from the seed corpus (003 is Traditional Chinese).
SIMPLIFIED = "ChatGPT问世后，金融业立即感受到了焦虑。大模型冲击金融业：从热情高涨到理性落地"
TRADITIONAL = "ChatGPT問世後，金融業立即感受到了焦慮。大模型衝擊金融業：從熱情高漲到理性落地"
# What no token may be: only punctuation, symbols, digits or whitespace, or a plain number.
NOT_A_WORD = re.compile(r"[\W\d_]+|[0-9.,%]+")


@pytest.fixture(scope="module")
def tok() -> ChineseTokenizer:
    return ChineseTokenizer()


@pytest.fixture(scope="module")
def seed_texts() -> list[str]:
    assert SEEDS, "the seed corpus is missing"
    return [path.read_text(encoding="utf-8") for path in SEEDS]


# --- segmentation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("金融机构纷纷布局大模型，大模型人才成新宠儿", "大模型"),
        ("重点培养员工如何提出高质量的问题，即所谓的提示词工程", "提示词工程"),
        ("工行建成了同业首个自主可控的千卡规模AI算力云，算力供给充足", "算力"),
        ("银行借助智能风控识别欺诈交易", "智能风控"),
        ("2023年是生成式人工智能的元年", "生成式人工智能"),
        ("“工银智涌”大模型矩阵体系应用于多个业务领域", "工银智涌"),
    ],
)
def test_domain_terms_stay_whole(tok: ChineseTokenizer, text: str, term: str) -> None:
    tokens = tok(text)
    assert term in tokens
    if term == "大模型":
        assert "模型" not in tokens and "大" not in tokens


def test_every_shipped_term_is_one_token(tok: ChineseTokenizer) -> None:
    assert len(tok.terms) >= 80
    for term in tok.terms:
        assert tok(term) == [term.lower()], term
        assert term.lower() in tok(f"我们发展{term}技术"), term


def test_punctuation_whitespace_and_numbers_dropped(tok: ChineseTokenizer) -> None:
    text = "2024年，营收增长12.5%（约30万元）！\t\n  …… 2025-10-31 16:37:23 —— 《报告》 https://example.com/a?b=1"
    assert tok(text) == ["营收", "增长", "报告"]


def test_mixed_letter_digit_words_kept_and_lowercased(tok: ChineseTokenizer) -> None:
    tokens = tok("GPT-4o、Llama3、Qwen2.5-72B和5G网络; a b c 3 sp20241125")
    assert tokens == ["gpt-4o", "llama3", "qwen2.5-72b", "5g", "网络"]


def test_mixed_chinese_english(tok: ChineseTokenizer) -> None:
    assert tok("ChatGPT问世后金融业") == ["chatgpt", "问世", "金融业"]
    assert tok("以AIGC为代表的AI技术, JPMorgan trains its staff") == [
        "aigc",
        "代表",
        "ai",
        "技术",
        "jpmorgan",
        "trains",
        "staff",
    ]


def test_traditional_gives_simplified_tokens(tok: ChineseTokenizer, seed_texts: list[str]) -> None:
    assert tok(TRADITIONAL) == tok(SIMPLIFIED)
    assert "冲击" in tok(TRADITIONAL)
    hant = next(text for text in seed_texts if "衝擊" in text)
    assert all(token == tok.normalize(token) for token in tok(hant))
    raw = ChineseTokenizer(to_simplified=False)
    assert "衝擊" in raw(TRADITIONAL)


def test_non_string_input_is_rejected(tok: ChineseTokenizer) -> None:
    with pytest.raises(TypeError, match="expects str, got float"):
        tok(float("nan"))


# --- stopwords ------------------------------------------------------------------------------


def test_stopwords_and_noise_words_removed(tok: ChineseTokenizer) -> None:
    text = "记者表示，我们认为目前相关机构已经通过大模型进行了一些探索，同时也需要更加谨慎"
    assert tok(text) == ["机构", "大模型", "探索", "谨慎"]
    assert tok("the model is said to be one of the strongest") == ["model", "strongest"]


def test_domain_terms_are_never_stopwords(tok: ChineseTokenizer) -> None:
    assert not {term.lower() for term in tok.terms} & tok.stopword_set
    # 'ai' is an English stopword in stopwordsiso (a country code) but a domain term here.
    assert tok("AI and the GPU") == ["ai", "gpu"]
    forced = ChineseTokenizer(extra_stopwords=["大模型", "算力", "探索"])
    assert forced("大模型需要算力，值得探索") == ["大模型", "算力", "值得"]


def test_stopwords_configurable(tmp_path: Path) -> None:
    words = tmp_path / "stop.txt"
    words.write_text("# mine\n金融\n", encoding="utf-8")
    text = "记者表示金融业的金融创新"
    assert ChineseTokenizer(stopwords=None)(text) == [
        "记者",
        "表示",
        "金融业",
        "的",
        "金融",
        "创新",
    ]
    assert ChineseTokenizer(stopwords=str(words))(text) == ["记者", "表示", "金融业", "的", "创新"]
    custom = ChineseTokenizer(extra_stopwords=["创新"], keep_words=["表示"])
    assert custom(text) == ["表示", "金融业", "金融"]


def test_user_dictionaries_and_extra_terms(tmp_path: Path) -> None:
    extra = tmp_path / "terms.txt"
    extra.write_text("\ufeff# extra\n风险定价模型 3000 n\n", encoding="utf-8")
    text = "风险定价模型与智算中心"
    assert "风险定价模型" not in ChineseTokenizer()(text)
    custom = ChineseTokenizer(user_dict=["default", str(extra)], extra_terms=["智算中心"])
    assert custom(text) == ["风险定价模型", "智算中心"]
    assert "大模型" in custom("大模型")
    plain = ChineseTokenizer(user_dict=None)
    assert "智能风控" not in plain("智能风控")


def test_bad_dictionary_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("大模型 3000 n\n算力 many n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.txt:2: frequency 'many'"):
        ChineseTokenizer(user_dict=str(bad))
    with pytest.raises(InputError, match="does not exist"):
        ChineseTokenizer(stopwords=str(tmp_path / "missing.txt"))
    with pytest.raises(InputError, match="min_chars"):
        ChineseTokenizer(min_chars=0)


def test_min_chars(tok: ChineseTokenizer) -> None:
    text = "懂技术的人才集中在大模型领域"
    assert "懂" in tok(text)
    assert ChineseTokenizer(min_chars=2)(text) == ["技术", "人才", "集中", "大模型", "领域"]


# --- pickling, fingerprint, cache -------------------------------------------------------------


def test_pickle_round_trip(tok: ChineseTokenizer, seed_texts: list[str]) -> None:
    blob = pickle.dumps(tok)
    assert len(blob) < 200_000  # the jieba dictionary is not pickled
    clone = pickle.loads(blob)
    assert clone._jieba is None
    assert clone.fingerprint() == tok.fingerprint()
    for text in seed_texts:
        assert clone(text) == tok(text)
    assert copy.deepcopy(tok)(SIMPLIFIED) == tok(SIMPLIFIED)


def test_fingerprint_tracks_settings(tok: ChineseTokenizer) -> None:
    assert ChineseTokenizer().fingerprint() == tok.fingerprint()
    others = {
        ChineseTokenizer(hmm=False).fingerprint(),
        ChineseTokenizer(extra_stopwords=["银行"]).fingerprint(),
        ChineseTokenizer(extra_terms=["智算中心"]).fingerprint(),
    }
    assert tok.fingerprint() not in others and len(others) == 3


def test_tokenize_many_equals_one_by_one(tok: ChineseTokenizer) -> None:
    texts = [SIMPLIFIED, TRADITIONAL, SIMPLIFIED, "算力云"]
    many = tok.tokenize_many(texts)
    assert many == [tok(text) for text in texts]
    many[0].append("x")  # each list is its own copy, even for a repeated text
    assert many[2] == tok(SIMPLIFIED)


# --- integration ----------------------------------------------------------------------------


def test_count_vectorizer_features_are_words(tok: ChineseTokenizer, seed_texts: list[str]) -> None:
    vectorizer = CountVectorizer(tokenizer=tok, lowercase=False, token_pattern=None)
    counts = vectorizer.fit_transform(seed_texts)
    features = list(vectorizer.get_feature_names_out())
    assert counts.shape == (len(seed_texts), len(features))
    assert {"大模型", "算力", "金融科技", "人工智能", "ai"} <= set(features)
    assert not [f for f in features if NOT_A_WORD.fullmatch(f) or f != f.strip()]
    assert not set(features) & tok.stopword_set
    assert pickle.loads(pickle.dumps(vectorizer)).transform(seed_texts[:1]).sum() > 0


def test_seed_corpus_tokens(tok: ChineseTokenizer, seed_texts: list[str]) -> None:
    docs = tok.tokenize_many(seed_texts)
    vocabulary = {token for doc in docs for token in doc}
    expected = {"大模型", "算力", "金融科技", "人工智能", "生成式人工智能", "提示词工程"}
    expected |= {"智能风控", "工银智涌", "数字化转型", "复合型人才", "自主可控", "chatgpt"}
    assert expected <= vocabulary
    assert all({"大模型", "人工智能"} & set(doc) for doc in docs)
    bad = sorted(t for t in vocabulary if NOT_A_WORD.fullmatch(t) or re.search(r"\s", t))
    assert bad == []
    assert "模型矩阵" not in vocabulary  # 工银智涌大模型矩阵 → 大模型 + 矩阵


def test_build_tokenizer_from_hydra_config(tok: ChineseTokenizer) -> None:
    cfg = load_option("tokenizer", "jieba")  # the YAML with its schema applied, as composed
    # the config's only departure from the constructor's defaults is the person-name filter
    assert (
        build_tokenizer(cfg).fingerprint() == ChineseTokenizer(drop_pos=cfg.drop_pos).fingerprint()
    )
    cfg.extra_terms = ["智算中心"]
    assert build_tokenizer(cfg)("智算中心") == ["智算中心"]
    with pytest.raises(InputError, match="unknown key 'lowercase'"):
        build_tokenizer({"lowercase": True})


def test_list_markers_are_not_words():
    from topics.tokenize import ChineseTokenizer

    tokens = ChineseTokenizer()("Q1:工商银行的AI战略是什么? A1: 5G与GPT-4、llama3")
    assert "q1" not in tokens and "a1" not in tokens
    assert {"5g", "gpt-4", "llama3", "工商银行"} <= set(tokens)


# --- person names ---------------------------------------------------------------------------

NAMES = ("nr", "nrfg", "nrt")


def test_unknown_person_names_are_dropped_and_nothing_else(tok: ChineseTokenizer) -> None:
    named = ChineseTokenizer(drop_pos=NAMES)
    text = "王耀南进一步指出，孙洪军也认同：招联的大模型人才较为稀缺"
    plain, filtered = tok(text), named(text)
    assert {"王耀南", "孙洪军"} <= set(plain)
    assert not {"王耀南", "孙洪军"} & set(filtered)
    # the segmentation is unchanged: only the names are missing
    assert filtered == [w for w in plain if w not in {"王耀南", "孙洪军"}]


def test_dictionary_words_tagged_nr_are_kept(tok: ChineseTokenizer) -> None:
    # jieba's dictionary tags these nr; only words its HMM found are judged by their tag
    text = "智能化与安全性白皮书，华为发布"
    assert ChineseTokenizer(drop_pos=NAMES)(text) == tok(text)


def test_kept_words_and_terms_beat_the_name_filter() -> None:
    named = ChineseTokenizer(drop_pos=NAMES, keep_words=["王耀南"])
    assert "王耀南" in named("王耀南进一步指出")


def test_name_filter_survives_pickling_and_changes_the_fingerprint(tok: ChineseTokenizer) -> None:
    named = ChineseTokenizer(drop_pos=NAMES)
    text = "王耀南进一步指出大模型人才稀缺"
    assert pickle.loads(pickle.dumps(named))(text) == named(text)
    assert named.fingerprint() != tok.fingerprint()
    with pytest.raises(InputError, match="drop_pos"):
        ChineseTokenizer(drop_pos="nr")  # type: ignore[arg-type]
