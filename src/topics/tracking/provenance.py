"""Provenance tags for a run: source commit, package versions, host."""

from __future__ import annotations

import importlib.metadata
import socket
import subprocess
from functools import lru_cache
from pathlib import Path

import topics

UNKNOWN = "unknown"
TRACKED_DISTRIBUTIONS = (
    "topics",
    "torch",
    "sentence-transformers",
    "bertopic",
    "scikit-learn",
    "mlflow",
    "hydra-core",
)
CORPUS_FINGERPRINT_TAG = "corpus_fingerprint"


def provenance_tags() -> dict[str, str]:
    """Return tags naming the source commit, its dirty flag, package versions and the host.

    Keys: ``git_commit``, ``git_dirty`` (``true``/``false``/``unknown``), ``hostname`` and
    ``version.<distribution>`` for each of :data:`TRACKED_DISTRIBUTIONS`.
    """
    commit, dirty = git_state()
    tags = {"git_commit": commit, "git_dirty": dirty, "hostname": socket.gethostname()}
    if commit != UNKNOWN:
        tags["mlflow.source.git.commit"] = commit
    tags.update({f"version.{name}": version for name, version in package_versions().items()})
    return tags


@lru_cache(maxsize=1)
def git_state() -> tuple[str, str]:
    """Return ``(commit, dirty)`` of the checkout holding the ``topics`` sources.

    Both are ``"unknown"`` when the package is not run from a git checkout (an installed wheel)
    or git is missing.
    """
    repo = _source_dir()
    if repo is None:
        return UNKNOWN, UNKNOWN
    commit = _git(repo, "rev-parse", "HEAD")
    status = _git(repo, "status", "--porcelain")
    dirty = UNKNOWN if status is None else str(bool(status.strip())).lower()
    return (commit.strip() if commit else UNKNOWN), dirty


def _source_dir() -> Path | None:
    package_dir = Path(topics.__file__).resolve().parent
    if "site-packages" in package_dir.parts or "dist-packages" in package_dir.parts:
        return None
    return package_dir


def _git(repo: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Return the installed version of each tracked distribution (``"unknown"`` if absent)."""
    versions = {}
    for name in TRACKED_DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = topics.__version__ if name == "topics" else UNKNOWN
    return versions
