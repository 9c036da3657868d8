"""The authored theme set: loading, validation, size and variety, and near-duplicates of the seeds.

The near-duplicate checks compare character n-grams of normalized text (NFKC, Traditional to
Simplified with OpenCC ``t2s``, lowercase, whitespace and punctuation dropped):

- against every seed paragraph: the share of an example's 5-grams found in one paragraph
  (containment) must not exceed ``MAX_SEED_CONTAINMENT`` (0.35), and the 3-gram Jaccard
  similarity with any paragraph must not exceed ``MAX_SEED_JACCARD`` (0.30);
- within the authored set: no two examples may have a 3-gram Jaccard above ``MAX_PAIR_JACCARD``
  (0.80). The limits live in ``topics.themes.overlap``.

Thresholds are fixed by hand, not fitted: a paraphrase that keeps a seed sentence's wording shares
most of its 5-grams with the paragraph, while independently written text on the same subject
shares only set phrases (``金融机构``, ``大模型``), well under a third of its 5-grams.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import opencc
import pytest
from omegaconf import OmegaConf

from jobcfg import compose_job
from topics.data.types import InputError
from topics.preprocess.pipeline import preprocess_documents
from topics.themes import (
    authored_label_matrix,
    default_authored_paths,
    load_authored,
    load_taxonomy,
    theme_ids,
)
from topics.themes.authored import default_authored_dir
from topics.themes.overlap import (
    MAX_PAIR_JACCARD,
    MAX_SEED_CONTAINMENT,
    MAX_SEED_JACCARD,
    comparison_key,
    containment,
    jaccard,
)

BOTH_HALVES = ("authored_a.jsonl", "authored_b.jsonl")


def _offenders(ids: list[str], scores: np.ndarray, limit: float) -> list[str]:
    bad = np.flatnonzero(scores > limit)
    return [f"{ids[i]}={scores[i]:.2f}" for i in bad[np.argsort(-scores[bad])]]


@pytest.fixture(scope="module")
def authored():
    return load_authored()


@pytest.fixture(scope="module")
def ids():
    return theme_ids(load_taxonomy())


@pytest.fixture(scope="module")
def seed_keys(seed_documents, tmp_path_factory):
    """Comparison keys of the seed paragraphs, cut by the default preprocess config."""
    cfg, _ = compose_job(tmp_path_factory.mktemp("authored_job"))
    preprocess_cfg = OmegaConf.to_container(cfg.preprocess, resolve=True)
    units = preprocess_documents(list(seed_documents), preprocess_cfg).units
    assert len(units) > 50  # the real seed paragraphs, not an empty corpus
    return [comparison_key(t) for t in units["norm"]]


def test_key_folds_script_case_width_and_punctuation():
    # Traditional script with Taiwan wording folds to mainland words (a copy of a seed paragraph
    # converted with s2twp is still caught)
    assert comparison_key("人工智慧 與 雲端資料，") == comparison_key("人工智能与云数据")
    assert comparison_key("人工智慧与云端资料。") == "人工智慧与云端资料"
    assert comparison_key("ＧＰＵ Cluster!") == "gpucluster"


def test_overlap_scores_on_hand_made_keys():
    a, b = ["abcdefg", "xyz"], ["zzabcdefgzz", "abcxyz"]
    c = containment(a, b, 5)
    assert c[0, 0] == 1.0 and c[0, 1] == 0.0
    assert c[1, 1] == 0.0  # a key shorter than n is one n-gram, found only as a whole n-gram
    j = jaccard(a, a, 3)
    assert np.allclose(np.diag(j), 1.0) and j[0, 1] == j[1, 0] == 0.0
    assert jaccard(["abcd"], ["abce"], 3)[0, 0] == 1 / 3  # {abc, bcd} vs {abc, bce}


def test_detector_flags_a_copied_seed_sentence_in_another_script(seed_keys):
    """A Taiwan-wording copy of a seed passage, with changed punctuation, is caught."""
    longest = max(seed_keys, key=len)
    middle = len(longest) // 2
    copied = longest[middle - 40 : middle + 40]  # a sentence-sized stretch of a paragraph
    disguised = "「" + opencc.OpenCC("s2twp").convert(copied) + "」！"
    keys = [comparison_key(disguised), comparison_key("某農會信用部今年首度舉辦員工旅遊")]
    scores = containment(keys, seed_keys, 5).max(axis=1)
    assert scores[0] > MAX_SEED_CONTAINMENT >= scores[1]


def test_no_example_is_a_near_duplicate_of_a_seed_paragraph(authored, seed_keys):
    keys = [comparison_key(t) for t in authored["text"]]
    contained = containment(keys, seed_keys, 5).max(axis=1)
    similar = jaccard(keys, seed_keys, 3).max(axis=1)
    example_ids = list(authored["id"])
    print(
        f"max 5-gram containment {contained.max():.3f} ({example_ids[contained.argmax()]}), "
        f"max 3-gram Jaccard {similar.max():.3f} ({example_ids[similar.argmax()]}) "
        f"over {len(keys)} examples and {len(seed_keys)} seed paragraphs"
    )
    too_close = _offenders(example_ids, contained, MAX_SEED_CONTAINMENT)
    assert not too_close, f"5-gram containment in a seed paragraph > {MAX_SEED_CONTAINMENT}: " + (
        ", ".join(too_close)
    )
    too_similar = _offenders(example_ids, similar, MAX_SEED_JACCARD)
    assert not too_similar, f"3-gram Jaccard with a seed paragraph > {MAX_SEED_JACCARD}: " + (
        ", ".join(too_similar)
    )


def test_no_two_examples_are_near_duplicates(authored):
    keys = [comparison_key(t) for t in authored["text"]]
    pair = np.triu(jaccard(keys, keys, 3), k=1)
    rows, cols = np.nonzero(pair > MAX_PAIR_JACCARD)
    example_ids = list(authored["id"])
    pairs = [
        f"{example_ids[i]}~{example_ids[j]}={pair[i, j]:.2f}"
        for i, j in zip(rows, cols, strict=True)
    ]
    assert not pairs, f"authored examples with 3-gram Jaccard > {MAX_PAIR_JACCARD}: {pairs}"


def test_every_example_is_authored_and_labels_are_multi_hot(authored, ids):
    assert (authored["source"] == "authored").all()
    assert authored["id"].is_unique
    y = authored_label_matrix(authored, ids)
    assert y.shape == (len(authored), len(ids)) and y.dtype == np.int8
    assert list(y.sum(axis=1)) == [len(t) for t in authored["themes"]]
    assert (y.sum(axis=1) == 0).any() and (y.sum(axis=1) >= 2).any()


def test_each_file_is_varied(authored):
    """Scripts, institutions and two-theme share per file; lengths over the whole set (round 3's
    files hold news-register paragraphs only, by design: see the data card)."""
    lengths = authored["length"].value_counts(normalize=True)
    assert (lengths >= 0.15).all() and len(lengths) == 3, lengths.to_dict()
    for name, part in authored.groupby("file"):
        shares = {key: part[key].value_counts(normalize=True) for key in ("script", "institution")}
        assert shares["script"].get("zh-Hant", 0) >= 0.25, (name, shares["script"].to_dict())
        assert shares["script"].get("en", 0) >= 0.15, (name, shares["script"].to_dict())
        for kind in ("bank", "insurer", "securities", "regulator", "fintech"):
            assert shares["institution"].get(kind, 0) >= 0.10, (name, kind)
        multi = part["themes"].map(len).ge(2).mean()
        assert 0.15 <= multi <= 0.35, (name, multi)


def test_union_meets_the_size_and_script_requirements(authored, ids):
    present = {p.name for p in default_authored_paths()}
    if not set(BOTH_HALVES) <= present:
        pytest.skip("needs both halves of the authored set (authored_a.jsonl, authored_b.jsonl)")
    y = authored_label_matrix(authored, ids)
    per_theme = dict(zip(ids, y.sum(axis=0).tolist(), strict=True))
    assert min(per_theme.values()) >= 80, per_theme
    assert int((y.sum(axis=1) == 0).sum()) >= 80
    assert len(authored) >= 640
    scripts = authored["script"].value_counts(normalize=True)
    assert scripts.get("zh-Hant", 0) >= 0.25 and scripts.get("en", 0) >= 0.15, scripts.to_dict()


# --- validation of bad lines ---------------------------------------------------------------

GOOD = {
    "id": "t-1",
    "text": "某银行扩建GPU集群",
    "themes": ["compute"],
    "script": "zh-Hans",
    "institution": "bank",
    "length": "headline",
    "source": "authored",
}


def _write(path, *records):
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records
        ),
        encoding="utf-8",
    )
    return path


def test_good_file_loads_with_its_name(tmp_path, ids):
    path = _write(tmp_path / "x.jsonl", GOOD, {**GOOD, "id": "t-2", "themes": []})
    frame = load_authored([path])
    assert list(frame.columns) == [
        "id", "text", "themes", "script", "institution", "length", "source", "file"
    ]  # fmt: skip
    assert list(frame["file"]) == ["x.jsonl", "x.jsonl"]
    y = authored_label_matrix(frame, ids)
    assert y[0, ids.index("compute")] == 1 and y.sum() == 1


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"themes": ["compute", "weather"]}, r"x\.jsonl:2: unknown theme id.*weather"),
        ({"themes": "compute"}, r"x\.jsonl:2: 'themes' must be a list"),
        ({"script": "zh-TW"}, r"x\.jsonl:2: 'script' is 'zh-TW'; use one of"),
        ({"length": "long"}, r"x\.jsonl:2: 'length' is 'long'"),
        ({"institution": "broker"}, r"x\.jsonl:2: 'institution' is 'broker'"),
        ({"source": "seed"}, r"x\.jsonl:2: 'source' is 'seed'; use one of \['authored'\]"),
        ({"source": None}, r"x\.jsonl:2: missing field\(s\) \['source'\]"),
        ({"text": "  "}, r"x\.jsonl:2: 'text' must be a non-empty string"),
        ({"id": "t-1"}, r"x\.jsonl:2: 'id' t-1 is already used at .*x\.jsonl:1"),
    ],
)
def test_bad_line_names_file_line_and_key(tmp_path, change, match):
    path = _write(tmp_path / "x.jsonl", GOOD, {**GOOD, "id": "t-2", **change})
    with pytest.raises(InputError, match=match):
        load_authored([path])


def test_missing_key_bad_json_and_ids_across_files(tmp_path):
    record = {k: v for k, v in GOOD.items() if k != "source"}
    with pytest.raises(InputError, match=r"x\.jsonl:1: missing field\(s\) \['source'\]"):
        load_authored([_write(tmp_path / "x.jsonl", record)])
    with pytest.raises(InputError, match=r"x\.jsonl:2: not valid JSON"):
        load_authored([_write(tmp_path / "x.jsonl", GOOD, "{oops")])
    first, second = _write(tmp_path / "a.jsonl", GOOD), _write(tmp_path / "b.jsonl", GOOD)
    with pytest.raises(InputError, match=r"b\.jsonl:1: 'id' t-1 is already used at .*a\.jsonl:1"):
        load_authored([first, second])
    with pytest.raises(InputError, match=r"nope\.jsonl: authored example file not found"):
        load_authored([tmp_path / "nope.jsonl"])


def test_data_card_tables_are_up_to_date():
    """The card's generated tables (counts, overlap scores, round-3 kappa) match the files."""
    script_path = Path(__file__).resolve().parents[2] / "scripts" / "authored_card.py"
    spec = importlib.util.spec_from_file_location("authored_card", script_path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    card = default_authored_dir() / "README.md"
    assert script.main(["--check", "--readme", str(card)]) == 0, (
        "run scripts/authored_card.py to refresh seeds/themes/README.md"
    )
    assert "round3_pass2.jsonl" in card.read_text(encoding="utf-8")
