"""Find a font that lets matplotlib draw Chinese (instead of empty boxes)."""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

from matplotlib import font_manager

log = logging.getLogger(__name__)

#: Families tried in order; the first one matplotlib knows is used.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
#: What to install on Debian/Ubuntu when none is found.
FONT_PACKAGE = "fonts-wqy-microhei"
_FILE_HINT = re.compile(
    r"wqy|cjk|sourcehan|simhei|droidsansfallback|notos[ae]\w*sc|msyh|pingfang", re.I
)


def _known_family() -> str | None:
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in names), None)


@functools.cache
def find_cjk_font() -> str | None:
    """Return the family name of an installed CJK font, or ``None`` (with a logged warning).

    Matplotlib's font cache may predate a font installed later, so when no known family is
    cached, system font files whose names look CJK are registered and the search repeated.
    """
    family = _known_family()
    if family is None:
        for file in font_manager.findSystemFonts():
            if _FILE_HINT.search(Path(file).name):
                try:
                    font_manager.fontManager.addfont(file)
                except (OSError, RuntimeError, ValueError):
                    continue
        family = _known_family()
    if family is None:
        log.warning(
            "no CJK font found for matplotlib, so Chinese renders as boxes in PNG figures; "
            "install one, e.g. `apt-get install %s` (Debian/Ubuntu) or Noto Sans CJK SC",
            FONT_PACKAGE,
        )
    return family


def cjk_rc() -> dict[str, Any]:
    """Return matplotlib rc settings that draw CJK with :func:`find_cjk_font`'s family."""
    family = find_cjk_font()
    fonts = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    return {"font.family": "sans-serif", "font.sans-serif": fonts, "axes.unicode_minus": False}
