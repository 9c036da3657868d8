"""The structured-config schemas: every option extends one; typos and wrong types fail at
composition, naming the key; `topics-run` reports them on one line."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig, OmegaConf

import topics
from topics.cli.run import one_line
from topics.config_schema import SCHEMAS, load_option
from topics.config_schema.data import DATA_SCHEMAS
from topics.data.records import FORMATS, known_keys
from topics.paths import config_dir

#: Groups that are not typed: Hydra's own, and the global-package groups (checked by the root).
UNTYPED = {"hydra", "debug", "experiment"}
OPTIONS = sorted(
    (str(p.parent.relative_to(config_dir())), p.stem)
    for p in config_dir().glob("**/*.yaml")
    if p.parent != config_dir() and p.relative_to(config_dir()).parts[0] not in UNTYPED
)

#: One misspelled key per group, written the way an experiment file would write it.
TYPOS = {
    "preprocess.dedup.treshold": 0.5,
    "preprocess.min_unit_char": 3,
    "data.limt": 10,
    "embedding.batchsize": 8,
    "tokenizer.stopword": "default",
    "topic_model.min_cluster_sise": 3,
    "topic_model.reduction.n_neighbor": 5,
    "topic_model.clustering.min_sample": 2,
    "topic_model.consensus.final.resolutoin": 1.0,
    "compute.chunksize": 10,
    "tracking.enable": False,
    "stability.n_run": 3,
    "coherence.windw": 5,
    "report.max_topic": 5,
    "paths.cach_dir": "x",
    "classifier.saturaton": 2.0,
    "themes.nam": "x",
    "figurs": False,
}


def _compose(overrides: list[str], search: Path | None = None) -> DictConfig:
    extra = [f"hydra.searchpath=[file://{search}]"] if search else []
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return compose(config_name="config", overrides=[*extra, *overrides])


def _experiment(folder: Path, key: str, value: object) -> Path:
    """An experiment file that sets ``key`` (dotted) to ``value``."""
    node = OmegaConf.create()
    OmegaConf.update(node, key, value, force_add=True)
    (folder / "experiment").mkdir(parents=True, exist_ok=True)
    text = "# @package _global_\n" + OmegaConf.to_yaml(node)
    (folder / "experiment" / "typo.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_of_a_covered_group_is_typed_by_a_schema(group, option):
    overrides = [f"{group}={option}"]
    if group == "data" and option in {"folder", "jsonl", "csv", "parquet"}:
        overrides.append("data.path=/x")
    node = OmegaConf.select(_compose(overrides), group.replace("/", "."))
    schemas = {cls for named in SCHEMAS.values() for cls in named.values()}
    assert OmegaConf.get_type(node) in schemas


def test_every_schema_is_extended_by_an_option():
    texts = "".join(p.read_text(encoding="utf-8") for p in config_dir().glob("**/*.yaml"))
    for group, named in SCHEMAS.items():
        for name in named:
            assert f"- {name} " in texts, f"no option of {group} extends {name}"


@pytest.mark.parametrize("key", sorted(TYPOS))
def test_a_misspelled_key_in_a_config_file_fails_at_composition(tmp_path, key):
    search = _experiment(tmp_path, key, TYPOS[key])
    with pytest.raises(ConfigCompositionException) as caught:
        _compose(["experiment=typo"], search)
    line = one_line(caught.value)
    assert f"full_key: {key}" in line and "--cfg job" in line


@pytest.mark.parametrize(
    "override",
    [
        "preprocess.dedup.threshold=abc",
        "preprocess.dedup.enabled=maybe",
        "data.limit=many",
        "topic_model.min_cluster_size=1.5",
        "topic_model.reduction.n_components=ten",
        "embedding.batch_size=big",
        "tokenizer.drop_pos=nr",
        "seed=abc",
    ],
)
def test_a_value_of_the_wrong_type_fails_at_composition(override):
    with pytest.raises(ConfigCompositionException) as caught:
        _compose([override])
    assert f"full_key: {override.split('=')[0]}" in one_line(caught.value)


def test_a_misspelled_key_on_the_command_line_fails_naming_it():
    with pytest.raises(ConfigCompositionException) as caught:
        _compose(["preprocess.dedup.treshold=0.5"])
    line = one_line(caught.value)
    assert "\n" not in line and "preprocess.dedup.treshold" in line and "--cfg job" in line


@pytest.mark.parametrize(
    "override", ["preprocess.dedup.treshold=0.5", "preprocess.dedup.threshold=abc"]
)
def test_topics_run_prints_one_line_naming_the_key(tmp_path, override):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    # this checkout's package first, whatever the working directory
    env["PYTHONPATH"] = str(Path(topics.__file__).parents[1])
    cmd = [sys.executable, "-m", "topics.cli.run", override, "--cfg", "job"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("topics-run: error: ")
    assert override.split("=")[0] in lines[0]


def test_code_side_preprocess_keys_take_the_yaml_defaults_and_the_schema_checks_them():
    from omegaconf.errors import ConfigKeyError, ValidationError

    from topics.preprocess.pipeline import preprocess_config

    whole = preprocess_config({"unit": "sentence"})
    default = OmegaConf.to_container(load_option("preprocess", "default"))
    assert whole["unit"] == "sentence" and whole["seed"] is None
    assert whole["dedup"] == default["dedup"] and whole["window_chars"] == default["window_chars"]
    with pytest.raises(ConfigKeyError, match="treshold"):
        preprocess_config({"dedup": {"treshold": 0.5}})
    with pytest.raises(ValidationError, match="threshold"):
        preprocess_config({"dedup": {"threshold": "abc"}})


def test_load_option_applies_the_defaults_list():
    int8 = load_option("embedding", "m3e_small_onnx_int8")
    assert (int8.backend, int8.quantize, int8.name) == ("onnx", "int8", "m3e_small_onnx_int8")
    tm = load_option("topic_model", "bertopic")
    assert tm.reduction.name == "umap" and tm.clustering.name == "hdbscan"


@pytest.mark.parametrize("option", sorted(p.stem for p in config_dir().glob("classifier/*.yaml")))
def test_classifier_schema_keys_are_arguments_of_the_method(option):
    import inspect

    from topics.classifier.methods.registry import METHODS
    from topics.classifier.multiclass import SINGLE_LABEL_METHODS
    from topics.config_schema import schema_keys
    from topics.config_schema.classifier import (
        BlendConfig,
        LexicalConfig,
        SingleLabelFinetuneConfig,
    )

    node = load_option("classifier", option)
    schema = OmegaConf.get_type(node)
    single = issubclass(schema, BlendConfig | LexicalConfig | SingleLabelFinetuneConfig)
    cls = (SINGLE_LABEL_METHODS if single else METHODS)[node.method]
    arguments = set(inspect.signature(cls.__init__).parameters)
    assert schema_keys(schema) - {"name", "method"} <= arguments


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ([], True),  # the seed corpus: consensus topics by default (rule 12, README)
        (["data=jsonl", "data.path=x.jsonl"], False),
        (["data=thucnews"], False),
        (["experiment=thucnews_topics"], True),
        (["experiment=clustering"], False),
        (["topic_model.consensus.enabled=false"], False),
        (["data=jsonl", "data.path=x.jsonl", "data.topic_consensus=true"], True),
    ],
)
def test_each_corpus_sets_the_consensus_default(overrides, expected):
    cfg = _compose(overrides)
    assert cfg.topic_model.consensus.enabled is expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_readers_accept_every_key_of_their_formats_schema(fmt):
    """The readers list the data keys they accept by hand; a key added to a format's schema
    (as ``topic_consensus`` was) must be among them, or a valid config would be refused."""
    schema = {f.name for f in fields(DATA_SCHEMAS[f"base_{fmt}"])}
    assert schema <= known_keys(fmt), sorted(schema - known_keys(fmt))
