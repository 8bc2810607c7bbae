"""The storefront: `/` serves the checkout page, `/storefront/…` its static assets.

The page is plain HTML, CSS and JavaScript in `storefront/` (no build step)
and talks to the shop only through `/graphql`. What it needs from the server's
settings (the Stripe publishable key and where Stripe.js comes from) is put
into `index.html` when it is served: the Stripe.js `<script>` tag and a JSON
config block, both escaped for their HTML context.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from shopgraph.settings import Settings

__all__ = ["STOREFRONT_DIR", "storefront_routes", "render_index"]

STOREFRONT_DIR = Path(__file__).resolve().parents[1] / "storefront"
_PLACEHOLDER = "<!-- shopgraph:config -->"
# Script-safe JSON: nothing in it can close the <script> element or open a comment.
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                   0x2028: "\\u2028", 0x2029: "\\u2029"}
_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _stripe_js_url(settings: Settings) -> str:
    """The configured Stripe.js URL, or "" when it is not an http(s) URL."""
    url = settings.stripe_js_url.strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def render_index(template: str, settings: Settings) -> str:
    """`index.html` with the Stripe.js tag and the page's config in place of the placeholder."""
    stripe_js = _stripe_js_url(settings)
    config = json.dumps(
        {"stripePublishableKey": settings.stripe_publishable_key, "stripeJsUrl": stripe_js},
        ensure_ascii=False,
    ).translate(_SCRIPT_ESCAPES)
    head = f'<script type="application/json" id="shopgraph-config">{config}</script>'
    if stripe_js and settings.stripe_publishable_key:
        head += f'\n  <script src="{escape(stripe_js, quote=True)}"></script>'
    return template.replace(_PLACEHOLDER, head, 1)


def storefront_routes(settings: Settings, directory: Path = STOREFRONT_DIR) -> list[BaseRoute]:
    """`GET /` (the page) and `/storefront/` (its CSS and JavaScript)."""

    async def index(request: Request) -> HTMLResponse:
        template = (directory / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(render_index(template, settings), headers=_HEADERS)

    return [
        Route("/", index, methods=["GET"]),
        Mount("/storefront", app=StaticFiles(directory=directory, check_dir=False), name="storefront"),
    ]
