"""Theme taxonomy and hand-made gold theme labels of the seed corpus."""

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
    "check_gold",
    "default_gold_path",
    "default_taxonomy_path",
    "disagreements",
    "label_matrix",
    "label_stats",
    "load_gold",
    "load_taxonomy",
    "theme_ids",
]
