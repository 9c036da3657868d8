"""Job and sweep folders: one per launch, even for launches in the same second."""

from __future__ import annotations

from datetime import datetime

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from topics.paths import config_dir


def test_job_and_sweep_folders_are_named_to_the_microsecond():
    # two multiruns launched in the same second used to share their sweep folder: jobs with the
    # same number wrote into one folder and MLflow logged the other sweep's files
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", return_hydra_config=True)
    dirs = OmegaConf.to_container(cfg.hydra, resolve=False)
    patterns = [dirs["run"]["dir"], dirs["sweep"]["dir"]]
    for pattern in patterns:
        assert pattern.endswith("${now:%H-%M-%S-%f}"), pattern
    first, second = datetime(2026, 12, 5, 8, 19, 7, 1), datetime(2026, 12, 5, 8, 19, 7, 2)
    assert first.strftime("%H-%M-%S-%f") != second.strftime("%H-%M-%S-%f")
