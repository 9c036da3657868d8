"""Every option of every config group composes, and experiments stay diff-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from jobcfg import compose_job
from topics.paths import config_dir
from topics.tracking import flatten_config

NOT_GROUPS = {"hydra"}  # Hydra's own group
GROUPS = {
    p.parent.name: sorted(q.stem for q in p.parent.glob("*.yaml"))
    for p in config_dir().glob("*/*.yaml")
    if p.parent.name not in NOT_GROUPS
}
NESTED = {
    f"topic_model/{p.parent.name}": sorted(q.stem for q in p.parent.glob("*.yaml"))
    for p in (config_dir() / "topic_model").glob("*/*.yaml")
}
OPTIONS = [(g, o) for g, opts in {**GROUPS, **NESTED}.items() for o in opts]


def test_the_groups_are_the_pipeline_stages():
    assert {
        "data",
        "preprocess",
        "tokenizer",
        "embedding",
        "topic_model",
        "themes",
        "tracking",
        "paths",
        "debug",
        "experiment",
    } <= set(GROUPS)


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_composes_and_resolves(tmp_path: Path, group, option):
    overrides = [f"{group}={option}"]
    if group == "data" and option in {"folder", "jsonl", "csv", "parquet"}:
        overrides.append(f"data.path={tmp_path}")
    cfg, _ = compose_job(tmp_path, overrides)
    params = flatten_config(cfg)
    assert params["seed"] == "42"
    assert not any(v == "???" for v in params.values()), "a required value is missing"
    container = OmegaConf.to_container(cfg, resolve=True)
    assert container["paths"]["root_dir"] == str(tmp_path)


def test_experiments_are_diff_only():
    for path in (config_dir() / "experiment").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert text.lstrip().startswith("# @package _global_"), path.name
        assert len(text.splitlines()) < 60, f"{path.name} should hold only its differences"


def test_int8_onnx_config_is_the_fp32_one_with_its_own_name_and_quantize(tmp_path):
    """m3e_small_onnx_int8.yaml inherits m3e_small_onnx.yaml through its defaults list."""
    fp32, int8 = (
        OmegaConf.to_container(compose_job(tmp_path, [f"embedding={name}"])[0].embedding)
        for name in ("m3e_small_onnx", "m3e_small_onnx_int8")
    )
    keys = {"name", "backend", "model", "quantize", "onnx_dir", "batch_size", "normalize"}
    keys |= {"max_seq_length", "max_batch_tokens", "intra_op_threads", "cache", "cache_dir"}
    assert set(fp32) == set(int8) == keys
    changed = {k: v for k, v in int8.items() if fp32[k] != v}
    assert changed == {"name": "m3e_small_onnx_int8", "quantize": "int8"}
    assert fp32["quantize"] == "none" and "defaults" not in int8


def test_seeds_everywhere(tmp_path):
    cfg, _ = compose_job(tmp_path)
    for node in ("preprocess", "topic_model"):
        assert cfg[node].seed == cfg.seed
    assert "seed" not in cfg.embedding  # m3e_small: inference takes no seed
    cfg, _ = compose_job(tmp_path, ["seed=7", "embedding=tfidf_svd"])
    assert cfg.topic_model.seed == 7 and cfg.embedding.seed == 7  # the SVD's random_state
