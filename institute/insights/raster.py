"""A chart's SVG as PNG, drawn on the server by resvg (the resvg-py binding: one wheel, no system
library to install, no browser), for slides and documents that take no SVG.

Text is set in the system's fonts (on Debian, fonts-dejavu-core, which the browser tests' chromium
brings). resvg reads the font files itself but not fontconfig's choices: its "sans-serif" is
Arial, which a Linux server seldom has, and text in a missing font is silently left out. So the
sans-serif family is the one fontconfig names, asked once.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

import resvg_py

# Twice the SVG's size: sharp on a high-density screen and on a slide.
ZOOM = 2
FALLBACK_SANS = "DejaVu Sans"


@cache
def sans_serif_family() -> str:
    """The system's sans-serif family as fontconfig resolves it, or DejaVu Sans."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return FALLBACK_SANS
    try:
        found = subprocess.run(
            [fc_match, "--format=%{family[0]}", "sans-serif"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return FALLBACK_SANS
    return found or FALLBACK_SANS


def png(svg: str) -> bytes:
    """The PNG of `svg` (a whole document, as the downloads write it) at ZOOM times its size,
    on white."""
    return bytes(
        resvg_py.svg_to_bytes(
            svg_string=svg,
            zoom=ZOOM,
            background="#ffffff",
            sans_serif_family=sans_serif_family(),
        )
    )
