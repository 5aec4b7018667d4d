"""`{{ url|qr_svg }}`: a QR code of the tailnet URL as inline SVG, made here (no CDN, no script).

So the owner can open the app on a phone that is on the tailnet.
"""

from __future__ import annotations

from functools import lru_cache

import segno
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@lru_cache(maxsize=8)
def _svg(url: str) -> str:
    # The fragment is re-rendered on every change: make each code once.
    code = segno.make(url, error="m")
    return code.svg_inline(scale=4, border=2, omitsize=True, title=f"QR code for {url}")


@register.filter
def qr_svg(url: str) -> SafeString:
    # segno's own markup, and segno escapes the URL in the title.
    return mark_safe(_svg(url))  # noqa: S308
