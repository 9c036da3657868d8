"""The logged theme model: models from code, no pickle, same predictions in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from topics.classifier import build_classifier
from topics.classifier.model.pipeline import log_theme_model
from topics.classifier.protocols.authored import LabeledSet, concat
from topics.classifier.protocols.report import authored_set
from topics.config_schema import load_option
from topics.paths import config_dir
from topics.preprocess.normalize import normalize_for_model

TEXTS = [
    "金融機構自建算力集群",
    "银行加快招聘大模型算法人才，并为员工开设提示词工程培训。",
    "The insurer set up a data governance office to clean and label its claims data.",
    "監管機構要求銀行說明演算法決策並保護客戶隱私。",
    "今天天气晴朗。",
]
PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth", ".cloudpickle"}


def _classifier_cfg(name: str | None) -> dict:
    """A ``classifier`` option (``None``: the default of configs/config.yaml), ``${seed}`` resolved."""
    if name is None:
        main = OmegaConf.load(config_dir() / "config.yaml")
        defaults = OmegaConf.to_container(main.defaults)
        name = next(d["classifier"] for d in defaults if isinstance(d, dict) and "classifier" in d)
    node = OmegaConf.merge({"seed": 0}, {"c": load_option("classifier", name)})
    return OmegaConf.to_container(node, resolve=True)["c"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [None, "stacked_mix"],  # the default, and the stack with every kind of part (linear members,
    ids=["default", "stacked_mix"],  # prototypes, keyword rules, stacker) whatever the default
)
def test_logged_model_loads_in_a_fresh_process_without_pickle(
    name, units, gold_y, themes, ids, embedder, tokenizer, tmp_path
):
    gold = LabeledSet(units.norm.tolist(), gold_y, units.doc_id.to_numpy(), units.unit_id.tolist())
    train = concat(authored_set(ids, 5, 0), gold)
    clf = build_classifier(_classifier_cfg(name), themes, tokenizer=tokenizer, embedder=embedder)
    fitted = clf.fit(train.texts, train.Y, groups=train.groups)
    norm = [normalize_for_model(t) for t in TEXTS]
    expected = fitted.predict_proba(norm)

    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(tracking)
    try:
        # No set_experiment: it leaves a process-wide active experiment behind for later tests.
        # an explicit artifact location: the SQLite store's default is ./mlruns in the cwd
        experiment_id = mlflow.create_experiment(
            "theme-model-test", artifact_location=(tmp_path / "artifacts").as_uri()
        )
        with mlflow.start_run(experiment_id=experiment_id) as run:
            vectors = np.asarray(embedder.embed(units.norm.tolist()))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                uri = log_theme_model(
                    fitted,
                    embedder=embedder,
                    embedding_cfg={
                        "backend": "sentence_transformers",
                        "model": "m3e-small",
                        "device": "cpu",
                        "batch_size": 32,
                        "normalize": True,
                        "max_seq_length": 512,
                        "show_progress": False,
                        "seed": 0,
                    },
                    tokenizer_cfg=OmegaConf.to_container(load_option("tokenizer", "jieba")),
                    theme_ids=ids,
                    embeddings=vectors,
                    topics=[0] * len(vectors),
                    topic_labels={0: "all"},
                    run_id=run.info.run_id,
                )
        # the integer outputs' schema hint is not for this model (text is its only input)
        assert not [w for w in caught if "integer column" in str(w.message)]
        local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=str(tmp_path / "model")))
    finally:
        mlflow.set_tracking_uri(None)

    files = [p for p in local.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in PICKLE_SUFFIXES], "a pickle-like file was logged"
    assert any(p.name == "model.safetensors" for p in files)
    assert "theme_model_code.py" in {p.name for p in files}
    mlmodel = (local / "MLmodel").read_text()
    assert "model_code_path" in mlmodel and "python_model.pkl" not in mlmodel

    script = (
        "import json, sys, mlflow, pandas as pd\n"
        "m = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "out = m.predict(pd.DataFrame({'text': json.loads(sys.argv[2])}))\n"
        "print(out.drop(columns=['text']).to_json(orient='records'))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(local), json.dumps(TEXTS, ensure_ascii=False)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = pd.DataFrame(json.loads(proc.stdout.strip().splitlines()[-1]))
    probs = out[[f"p_{t}" for t in ids]].to_numpy()
    np.testing.assert_allclose(probs, expected, atol=1e-5)
    pred = expected >= fitted.thresholds_
    themes_in = [",".join(t for t, on in zip(ids, row, strict=True) if on) for row in pred]
    assert out.themes.fillna("").tolist() == themes_in
    assert "compute" in out.themes[0].split(",")  # 金融機構自建算力集群
    assert "talent" in out.themes[1].split(",")


@pytest.mark.slow
def test_finetune_method_fits_saves_and_loads(themes, ids, tmp_path):
    """The multi-label fine-tuning method on a slice of the authored set (1 short epoch)."""
    from topics.classifier.model.persist import load_classifier, save_classifier

    authored = authored_set(ids, 5, 0)
    small = authored.take(np.arange(0, len(authored), 10))
    cfg = {"method": "finetune", "epochs": 1, "max_length": 32, "device": "cpu", "seed": 0}
    clf = build_classifier(cfg, themes).fit(small.texts, small.Y, groups=small.groups)
    assert clf.thresholds_.shape == (len(ids),) and len(clf.tuning_folds_) == 1
    train, valid = clf.tuning_folds_[0]
    assert not set(train) & set(valid) and len(train) + len(valid) == len(small)
    probs = clf.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), len(ids)) and ((probs >= 0) & (probs <= 1)).all()
    folder = save_classifier(clf, tmp_path / "ft")
    assert any(p.suffix == ".safetensors" for p in folder.rglob("*"))
    assert not [p for p in folder.rglob("*") if p.suffix in PICKLE_SUFFIXES]
    np.testing.assert_allclose(load_classifier(folder).predict_proba(TEXTS), probs, atol=1e-5)
