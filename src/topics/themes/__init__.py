"""Theme taxonomy, hand-made gold theme labels of the seed corpus and the authored theme set."""

from topics.themes.authored import authored_label_matrix, default_authored_paths, load_authored
from topics.themes.gold import (
    GoldCheck,
    agreement,
    check_gold,
    default_gold_path,
    disagreements,
    label_matrix,
    label_stats,
    load_gold,
)
from topics.themes.taxonomy import Theme, default_taxonomy_path, load_taxonomy, theme_ids

__all__ = [
    "GoldCheck",
    "Theme",
    "agreement",
    "authored_label_matrix",
    "check_gold",
    "default_authored_paths",
    "default_gold_path",
    "default_taxonomy_path",
    "disagreements",
    "label_matrix",
    "label_stats",
    "load_authored",
    "load_gold",
    "load_taxonomy",
    "theme_ids",
]
