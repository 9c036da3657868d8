"""`topics-run`: the Hydra application. A thin shell over :func:`topics.runner.run`.

Input and config errors (a missing file, a malformed record, an unknown or missing config key)
print one line naming the file, line or key and the fix, and exit with code 2; with
``HYDRA_FULL_ERROR=1`` they raise with the full traceback, like any other error.
"""

from __future__ import annotations

import os
import re
import sys
from typing import NoReturn

import hydra
from omegaconf import DictConfig

from topics.paths import config_dir

EXIT_INPUT_ERROR = 2
FULL_ERROR_VAR = "HYDRA_FULL_ERROR"
_FORCED_VAR = "TOPICS_FORCED_FULL_ERROR"  # set while main() forces HYDRA_FULL_ERROR itself
# OmegaConf's words for a key that a struct node or a schema (topics.config_schema) lacks
_UNKNOWN_KEY = re.compile(r"is not in struct|Key '[^']+' not in '")


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def _app(cfg: DictConfig) -> float | None:
    from topics.runner import run

    try:
        return run(cfg).objective
    except _input_errors() as err:
        # SystemExit passes Hydra's job runner, which would print its own line first
        if _full_errors():
            raise
        _fail(err)


def _full_errors() -> bool:
    return os.environ.get(FULL_ERROR_VAR) == "1" and not os.environ.get(_FORCED_VAR)


def _fail(err: BaseException) -> NoReturn:
    print(f"topics-run: error: {one_line(err)}", file=sys.stderr)
    raise SystemExit(EXIT_INPUT_ERROR)


def _input_errors() -> tuple[type[BaseException], ...]:
    from hydra.errors import CompactHydraException
    from omegaconf.errors import OmegaConfBaseException

    from topics.data.types import InputError

    return (InputError, CompactHydraException, OmegaConfBaseException)


def one_line(err: BaseException) -> str:
    """The error's message on one line, with what Hydra and OmegaConf add about its cause."""
    parts = [str(err)]
    cause = err.__cause__
    if cause is not None and str(cause) and str(cause) not in parts[0]:
        parts.append(str(cause))
    lines = [line.strip() for part in parts for line in part.splitlines() if line.strip()]
    # OmegaConf appends "full_key: ...", "object_type=..." lines: keep the key, drop the type
    kept = []
    for line in lines:
        if line.startswith("Config search path"):  # then Hydra's search path, one per line
            break
        if not line.startswith(("object_type", "reference_type")):
            kept.append(line)
    if _UNKNOWN_KEY.search(" ".join(lines)):
        kept.append("or check the key's spelling: `topics-run --cfg job` lists every key")
    return " · ".join(dict.fromkeys(kept))


def main() -> None:
    """Console entry point of ``topics-run`` (all Hydra command-line syntax applies)."""
    from topics.reproducibility import pin_cpu_targets

    # before anything imports numpy or umap: the same kernels and numba code on every x86-64 CPU
    pin_cpu_targets()
    # a sweep on the Ray launcher makes this process a Ray driver, which would replace print
    # and break numba's later compilations (see keep_builtin_print)
    from topics.compute.ray_backend import keep_builtin_print

    keep_builtin_print()
    forced = os.environ.get(FULL_ERROR_VAR) != "1"
    if forced:
        # set, Hydra re-raises config errors instead of printing them with a hint and exiting
        # 1, so they can be printed on one line here
        os.environ[FULL_ERROR_VAR] = "1"
        os.environ[_FORCED_VAR] = "1"
    try:
        code = _app()
    except _input_errors() as err:
        if not forced:
            raise
        _fail(err)
    finally:
        if forced:
            os.environ.pop(FULL_ERROR_VAR, None)
            os.environ.pop(_FORCED_VAR, None)
    sys.exit(code)


if __name__ == "__main__":
    main()
