"""`topics-run`: the Hydra application. A thin shell over :func:`topics.runner.run`."""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from topics.paths import config_dir


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def _app(cfg: DictConfig) -> float | None:
    from topics.runner import run

    return run(cfg).objective


def main() -> None:
    """Console entry point of ``topics-run`` (all Hydra command-line syntax applies)."""
    from topics.reproducibility import pin_numba_target

    # before anything imports umap: numba then compiles the same code on every x86-64 CPU
    pin_numba_target()
    sys.exit(_app())


if __name__ == "__main__":
    main()
