"""The theme taxonomy: seven multi-label themes read from ``configs/themes/*.yaml``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topics.data.types import InputError
from topics.paths import config_dir

#: Fields every theme entry must carry, with the type they must have.
_TEXT_FIELDS = ("id", "name_zh", "name_en", "definition", "description_zh")
_LIST_FIELDS = ("includes", "excludes")
_KEYWORD_LANGS = ("zh", "en")


@dataclass(frozen=True)
class Theme:
    """One theme of the taxonomy.

    Attributes:
        id: English snake-case id used in gold files and predictions.
        name_zh: Chinese display name.
        name_en: English display name.
        definition: What the theme covers (English, with the Chinese terms).
        includes: Sub-topics that belong to the theme.
        excludes: Look-alikes that do not belong to it.
        keywords_zh: Chinese (Simplified) seed keywords.
        keywords_en: English seed keywords.
        description_zh: One Chinese sentence for zero-shot embedding similarity.
    """

    id: str
    name_zh: str
    name_en: str
    definition: str
    includes: tuple[str, ...]
    excludes: tuple[str, ...]
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    description_zh: str

    @property
    def keywords(self) -> tuple[str, ...]:
        """All seed keywords, Chinese first."""
        return self.keywords_zh + self.keywords_en


def default_taxonomy_path() -> Path:
    """Return the path of the bundled default taxonomy (``configs/themes/default.yaml``)."""
    return config_dir() / "themes" / "default.yaml"


def _to_plain(node: Any) -> Any:
    """Return an OmegaConf node as plain containers; other objects unchanged."""
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(node, DictConfig | ListConfig):
        return OmegaConf.to_container(node, resolve=True)
    return node


def _read_yaml(path: Path) -> Any:
    """Read a YAML file into plain containers."""
    from omegaconf import OmegaConf

    if not path.is_file():
        raise InputError(
            f"{path}: taxonomy file not found; pass a themes config node or a YAML path."
        )
    try:
        return OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    except Exception as err:  # omegaconf / yaml raise several types
        raise InputError(f"{path}: cannot read the taxonomy YAML ({err}); fix the file.") from err


def _text_list(value: Any, where: str) -> tuple[str, ...]:
    """Return ``value`` as a tuple of non-empty strings, or raise naming ``where``."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise InputError(f"{where} must be a list of strings, got {type(value).__name__}.")
    items = tuple(str(v).strip() for v in value)
    if not items or any(not v for v in items):
        raise InputError(f"{where} must be a non-empty list of non-empty strings.")
    return items


def _parse_theme(entry: Any, position: int, origin: str) -> Theme:
    """Validate one theme entry and build its :class:`Theme`."""
    if not isinstance(entry, Mapping):
        raise InputError(
            f"{origin}: themes[{position}] must be a mapping, got {type(entry).__name__}."
        )
    label = f"{origin}: theme '{entry.get('id', f'#{position}')}'"
    missing = [f for f in (*_TEXT_FIELDS, *_LIST_FIELDS, "keywords") if entry.get(f) in (None, "")]
    if missing:
        raise InputError(
            f"{label} lacks field(s) {missing}; every theme needs "
            f"{[*_TEXT_FIELDS, *_LIST_FIELDS, 'keywords']}."
        )
    for f in _TEXT_FIELDS:
        if not isinstance(entry[f], str) or not entry[f].strip():
            raise InputError(f"{label}: field '{f}' must be a non-empty string.")
    keywords = entry["keywords"]
    if not isinstance(keywords, Mapping) or any(lang not in keywords for lang in _KEYWORD_LANGS):
        raise InputError(f"{label}: field 'keywords' must be a mapping with lists 'zh' and 'en'.")
    return Theme(
        id=entry["id"].strip(),
        name_zh=entry["name_zh"].strip(),
        name_en=entry["name_en"].strip(),
        definition=entry["definition"].strip(),
        includes=_text_list(entry["includes"], f"{label}: field 'includes'"),
        excludes=_text_list(entry["excludes"], f"{label}: field 'excludes'"),
        keywords_zh=_text_list(keywords["zh"], f"{label}: field 'keywords.zh'"),
        keywords_en=_text_list(keywords["en"], f"{label}: field 'keywords.en'"),
        description_zh=entry["description_zh"].strip(),
    )


def load_taxonomy(cfg_or_path: Mapping[str, Any] | str | Path | None = None) -> list[Theme]:
    """Load and validate a theme taxonomy.

    Args:
        cfg_or_path: The ``themes`` Hydra config node (a mapping with key ``themes``), a path to a
            taxonomy YAML file, or ``None`` for the bundled ``configs/themes/default.yaml``.

    Returns:
        The themes in config order.

    Raises:
        InputError: Missing file, no ``themes`` list, a theme lacking a field or with a wrong
            type (the message names the theme and the field), or duplicate ids.
    """
    if cfg_or_path is None:
        cfg_or_path = default_taxonomy_path()
    if isinstance(cfg_or_path, str | Path):
        origin = str(cfg_or_path)
        data = _read_yaml(Path(cfg_or_path))
    else:
        origin = f"themes config '{cfg_or_path.get('name', '?')}'"
        data = _to_plain(cfg_or_path)
    entries = data.get("themes") if isinstance(data, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{origin}: needs a non-empty list under 'themes'.")
    themes = [_parse_theme(_to_plain(e), i, origin) for i, e in enumerate(entries)]
    seen: set[str] = set()
    for theme in themes:
        if theme.id in seen:
            raise InputError(f"{origin}: theme id '{theme.id}' is used twice; ids must be unique.")
        if not theme.id.isidentifier() or theme.id != theme.id.lower():
            raise InputError(f"{origin}: theme id '{theme.id}' must be lower snake_case.")
        seen.add(theme.id)
    return themes


def theme_ids(themes: Sequence[Theme]) -> list[str]:
    """Return the ids of ``themes`` in order."""
    return [t.id for t in themes]
