"""A font with Chinese glyphs for pictures that carry words (latent-map legend, GIF captions).

Pillow's bundled default font has Latin glyphs only: Chinese drawn with it is a row of boxes. Debian's
``fonts-wqy-microhei`` (listed in packages.txt, installed by scripts/test.sh) has both; when it is missing, callers
draw English labels instead and say so in one line (``NO_CJK_NOTE`` key of the catalogue).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

CJK_FONTS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian / Ubuntu fonts-wqy-microhei
             Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"))  # Fedora / Arch


@cache
def cjk_path() -> Path | None:
    return next((p for p in CJK_FONTS if p.is_file()), None)


def has_cjk() -> bool:
    return cjk_path() is not None


@cache
def font(size: int, cjk: bool = False) -> ImageFont.ImageFont:
    """Pillow's bundled font (same look everywhere) or, for words in Chinese, the CJK one when installed."""
    path = cjk_path() if cjk else None
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size=size)
