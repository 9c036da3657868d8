"""Build a single-label classifier from a ``classifier`` config node; blend members by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from topics.classifier.multiclass.base import SingleLabelClassifier
from topics.classifier.multiclass.blend import BlendClassifier
from topics.classifier.multiclass.finetune import FinetuneClassifier
from topics.classifier.multiclass.lexical import LexicalClassifier
from topics.data.types import InputError

#: Single-label method name (config key ``method``) -> class.
SINGLE_LABEL_METHODS: dict[str, type[SingleLabelClassifier]] = {
    cls.method: cls for cls in (LexicalClassifier, FinetuneClassifier, BlendClassifier)
}
_COMMON_KEYS = {"name", "method"}
_INJECTED = {"tokenizer", "builder"}


def is_single_label(cfg: Mapping[str, Any]) -> bool:
    """Whether the config names a single-label (multiclass) method."""
    return cfg.get("method") in SINGLE_LABEL_METHODS


def member_config(name: str, root: Any = None) -> dict[str, Any]:
    """Return ``configs/classifier/<name>.yaml`` resolved against a run config ``root``.

    ``root`` (the composed Hydra config of the run) supplies ``${seed}``, ``${paths...}``; without
    it, only ``seed: null`` is known.

    Raises:
        InputError: No such classifier config.
    """
    from omegaconf import OmegaConf

    from topics.config_schema import load_option
    from topics.paths import config_dir

    path = config_dir() / "classifier" / f"{name}.yaml"
    if not path.is_file():
        raise InputError(
            f"blend member {name!r}: {path} does not exist; use a classifier config name"
        )
    base = OmegaConf.to_container(root, resolve=False) if root is not None else {"seed": None}
    tree = OmegaConf.create(dict(base))  # type: ignore[arg-type]
    tree.classifier = load_option("classifier", name)
    return dict(OmegaConf.to_container(tree.classifier, resolve=True))  # type: ignore[arg-type]


def build_single_label(
    cfg: Mapping[str, Any],
    tokenizer: Callable[[str], list[str]] | None = None,
    root: Any = None,
) -> SingleLabelClassifier:
    """Create the single-label classifier a config node describes (unfitted).

    Args:
        cfg: ``method`` (one of :data:`SINGLE_LABEL_METHODS`), optional ``name``, and the
            method's constructor arguments; a blend's ``members`` are config names or nodes.
        tokenizer: The project tokenizer (word n-grams take its ``classify`` profile).
        root: The run's composed config (resolves members' interpolations).

    Raises:
        InputError: Unknown method or config key.
    """
    from topics.backend_config import plain

    params = plain(cfg)
    method = params.get("method")
    if method not in SINGLE_LABEL_METHODS:
        raise InputError(
            f"classifier.method is {method!r}; use one of {sorted(SINGLE_LABEL_METHODS)}"
        )
    cls = SINGLE_LABEL_METHODS[method]
    accepted = set(list(inspect.signature(cls.__init__).parameters)[1:]) - _INJECTED
    unknown = set(params) - _COMMON_KEYS - accepted
    if unknown:
        raise InputError(
            f"unknown key(s) {sorted(unknown)} in classifier config '{params.get('name')}' "
            f"(method {method}); allowed: {sorted(_COMMON_KEYS | accepted)}"
        )
    kwargs = {k: v for k, v in params.items() if k in accepted}
    if cls is LexicalClassifier:
        kwargs["tokenizer"] = tokenizer
    if cls is BlendClassifier:
        members = [
            member_config(m, root) if isinstance(m, str) else plain(m)
            for m in kwargs.get("members") or ()
        ]
        nested = [str(m.get("name")) for m in members if m.get("method") == "blend"]
        if nested:
            raise InputError(f"blend members {nested} are blends themselves; list plain methods")
        kwargs["members"] = members
        kwargs["builder"] = lambda member: build_single_label(member, tokenizer, root)
    return cls(**kwargs)
