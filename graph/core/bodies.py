"""Request bodies read with a cap, for every route that reads one.

A body is refused as soon as it is known to be over the limit: a declared
`Content-Length` above it before a byte is read, and a body sent in chunks
(no length, or a length that lies) the moment the bytes received pass it.
Nothing over the limit is ever held in memory whole.
"""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["BodyTooLarge", "read_capped_body"]


class BodyTooLarge(Exception):
    """The request's body is over `limit` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is over {limit} bytes.")
        self.limit = limit


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk; `BodyTooLarge` once it passes `limit` bytes.

    The body is kept on the request (Starlette's own cache), so `request.body()`
    and `request.json()` read it again afterwards without touching the network.
    """
    declared = request.headers.get("content-length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    request._body = bytes(body)
    return request._body
