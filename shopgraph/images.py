"""Placeholder product images for the demo catalog: an SVG tile per slug."""

from __future__ import annotations

import hashlib
import re
from html import escape

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["product_image"]

_SLUG = re.compile(r"^[a-z0-9-]{1,120}$")


def _svg(slug: str) -> str:
    digest = hashlib.sha256(slug.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    title = escape(slug.replace("-", " ").title())
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360" viewBox="0 0 480 360">'
        f'<rect width="480" height="360" fill="hsl({hue} 45% 86%)"/>'
        f'<circle cx="240" cy="150" r="70" fill="hsl({hue} 40% 62%)"/>'
        f'<text x="240" y="290" font-family="sans-serif" font-size="28" text-anchor="middle" '
        f'fill="hsl({hue} 35% 25%)">{title}</text></svg>'
    )


async def product_image(request: Request) -> Response:
    slug = request.path_params["slug"]
    if not _SLUG.match(slug):
        return Response(status_code=404)
    return Response(
        _svg(slug),
        media_type="image/svg+xml",
        headers={"cache-control": "public, max-age=86400"},
    )
