from __future__ import annotations

import json

import mlflow.utils.validation as mlflow_validation
import pytest
from mlflow.exceptions import MlflowException
from omegaconf import OmegaConf

from topics.tracking import params
from topics.tracking.params import flatten_config, sanitize_key, truncate_value


def test_flatten_nested_config_with_lists_none_and_interpolation() -> None:
    cfg = OmegaConf.create(
        {
            "paths": {"root_dir": "/data"},
            "data": {"dir": "${paths.root_dir}/raw", "langs": ["zh-Hans", "en"], "limit": None},
            "model": {"k": 12, "lr": 0.5, "use_gpu": False, "empty": {}, "rows": [{"a": 1}]},
            "hydra": {"run": {"dir": "outputs"}},
        }
    )
    flat = flatten_config(cfg)
    assert flat == {
        "paths.root_dir": "/data",
        "data.dir": "/data/raw",
        "data.langs": '["zh-Hans", "en"]',
        "data.limit": "null",
        "model.k": "12",
        "model.lr": "0.5",
        "model.use_gpu": "false",
        "model.empty": "{}",
        "model.rows": '[{"a": 1}]',
    }
    assert json.loads(flat["data.langs"]) == ["zh-Hans", "en"]


def test_flatten_plain_mapping_with_custom_separator() -> None:
    flat = flatten_config({"a": {"b": {"c": "中文"}}, "n": 1}, sep="/")
    assert flat == {"a/b/c": "中文", "n": "1"}


def test_long_values_are_cut_to_mlflow_limit_with_marker() -> None:
    flat = flatten_config({"text": "x" * 10_000})
    value = flat["text"]
    assert len(value) == params.MAX_PARAM_VALUE_LENGTH
    assert value.endswith("...[truncated 10000 chars]")
    assert truncate_value("short", 10) == "short"


@pytest.mark.parametrize(
    "raw",
    ["a b", "weird:key!", "x//y", "/abs", "trail/", "..", ".", "a/../b", "k" * 400, "", "€uro"],
)
def test_sanitized_keys_pass_mlflow_validation(raw: str) -> None:
    key = sanitize_key(raw)
    # MLflow's own validator raises on a bad name; a clean key passes silently.
    mlflow_validation._validate_param(key, "v")
    assert len(key) <= params.MAX_KEY_LENGTH


def test_mlflow_validation_rejects_raw_bad_key() -> None:
    with pytest.raises(MlflowException):
        mlflow_validation._validate_param("weird:key!", "v")


def test_keys_that_sanitise_alike_stay_distinct() -> None:
    flat = flatten_config({"a:b": 1, "a!b": 2})
    assert len(flat) == 2
    assert sorted(flat.values()) == ["1", "2"]


def test_limits_match_installed_mlflow() -> None:
    assert params.MAX_PARAM_VALUE_LENGTH == mlflow_validation.MAX_PARAM_VAL_LENGTH
    assert params.MAX_TAG_VALUE_LENGTH == mlflow_validation.MAX_TAG_VAL_LENGTH
    assert params.MAX_KEY_LENGTH == mlflow_validation.MAX_ENTITY_KEY_LENGTH
    assert params.MAX_PARAMS_TAGS_PER_BATCH == mlflow_validation.MAX_PARAMS_TAGS_PER_BATCH
    assert params.MAX_METRICS_PER_BATCH == mlflow_validation.MAX_METRICS_PER_BATCH
