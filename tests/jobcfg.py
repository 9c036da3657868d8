"""Compose the real configs the way `topics-run` does, with every path inside a test folder."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf, open_dict

from topics.paths import config_dir


def compose_job(root: Path, overrides: list[str] | None = None, job: str = "job"):
    """Compose the root config for a job whose root, cache and MLflow store live under ``root``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[f"paths.root_dir={root}", *(overrides or [])],
            return_hydra_config=True,
        )
    out = root / "outputs" / job
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(out)
        cfg.hydra.runtime.cwd = str(root)
        cfg.hydra.job.num = 0
    HydraConfig().set_config(cfg)
    # what Hydra's job runner writes into every job folder
    hydra_dir = out / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    task_cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    OmegaConf.save(task_cfg, hydra_dir / "config.yaml")
    OmegaConf.save({"hydra": cfg.hydra}, hydra_dir / "hydra.yaml")
    OmegaConf.save(OmegaConf.create(list(overrides or [])), hydra_dir / "overrides.yaml")
    return cfg, out
