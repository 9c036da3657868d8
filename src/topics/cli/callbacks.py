"""Hydra callbacks of the ``topics-run`` application itself."""

from __future__ import annotations

from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class DriverHydraConfig(Callback):
    """Make ``${hydra:...}`` resolvable in the multirun driver.

    Hydra 1.3 sets its global config inside each job but not in the process that launches a
    sweep, so the sweeper cannot resolve ``hydra.sweep.dir`` when it interpolates
    ``paths.root_dir`` (``${hydra:runtime.cwd}``). This sets it from the sweep's config when no
    job has set one yet; jobs still set their own.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Set Hydra's global config to the sweep's config if nothing set it."""
        from hydra.core.hydra_config import HydraConfig

        if not HydraConfig.initialized() and "hydra" in config:
            HydraConfig.instance().set_config(config)
