"""Load one option of a config group outside Hydra, the way composition would build it."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from topics.config_schema.registry import SCHEMAS


def load_option(group: str, option: str) -> DictConfig:
    """Return ``configs/<group>/<option>.yaml`` with its defaults list applied.

    The schema it extends types and checks the node, sibling options it extends are merged in
    (``m3e_small_onnx_int8`` extends ``m3e_small_onnx``), and subgroups are loaded at their key
    (``topic_model``'s ``reduction`` and ``clustering``). Interpolations are left unresolved, so
    the node works under any root that supplies ``${seed}``, ``${paths...}``.

    Raises:
        omegaconf.errors.OmegaConfBaseException: An unknown key or a value of the wrong type.
    """
    from topics.paths import config_dir

    node = OmegaConf.load(config_dir() / group / f"{option}.yaml")
    if not isinstance(node, DictConfig):
        raise TypeError(f"configs/{group}/{option}.yaml is not a mapping")
    defaults = OmegaConf.to_container(node.pop("defaults", OmegaConf.create([])))
    parts: list[object] = []
    for entry in [*defaults, *([] if "_self_" in defaults else ["_self_"])]:
        if entry == "_self_":
            parts.append(node)
        elif isinstance(entry, str):
            schema = SCHEMAS.get(group, {}).get(entry)
            parts.append(OmegaConf.structured(schema) if schema else load_option(group, entry))
        else:
            ((sub, name),) = entry.items()
            parts.append({sub: load_option(f"{group}/{sub}", name)})
    return OmegaConf.merge(*parts)  # type: ignore[return-value]
