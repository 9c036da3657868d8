"""Locate the project's bundled resources (configs, seed corpus) from a checkout or a wheel."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _resource(name: str) -> Path:
    """Return the folder ``name`` from the wheel bundle, else from the source checkout."""
    bundled = _PKG / "_bundled" / name
    if bundled.is_dir():
        return bundled
    checkout = _PKG.parents[1] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"cannot find the '{name}' folder: looked in {bundled} (installed wheel) and "
        f"{checkout} (source checkout). Reinstall the package with `pip install .`."
    )


def config_dir() -> Path:
    """Return the folder holding the Hydra config groups, their schemas registered.

    The options of the config groups extend the schemas of :mod:`topics.config_schema`, which
    must be in Hydra's ConfigStore before composing: every composer asks for this folder first.
    """
    from topics.config_schema import register_schemas

    register_schemas()
    return _resource("configs")


def seeds_dir() -> Path:
    """Return the folder holding the default seed corpus and its manifest."""
    return _resource("seeds")
