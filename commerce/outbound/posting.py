"""One attempt at a partner webhook: resolve, check, connect, POST, read the status.

The attempt has one deadline for everything (resolving the host, connecting,
sending, reading the answer), so an endpoint that answers a byte at a time
is cut off at the deadline like one that never answers. The connection goes
to an address `urls.resolve_target` checked, while the `Host` header and
TLS SNI (and certificate check) name the URL's host. Each attempt has a
connection of its own, closed when it ends; proxies from the environment are
ignored. At most `MAX_ANSWER_BYTES` of the answer's body are read: the status
code decides.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from functools import cache

import httpx

from commerce.outbound.urls import UnsafeUrl, WebhookTarget, resolve_target

__all__ = ["Answer", "MAX_ANSWER_BYTES", "post_webhook"]

MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None  # None: a 2xx answer


@cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


async def _post_to(address: str, target: WebhookTarget, body: bytes, headers: dict[str, str]) -> int:
    url = target.url.copy_with(host=address)
    netloc = target.url.netloc.decode("ascii")
    extensions = {"sni_hostname": target.hostname} if url.scheme == "https" else {}
    async with httpx.AsyncClient(verify=_tls(), trust_env=False, follow_redirects=False, timeout=None) as client:
        request = client.build_request("POST", url, content=body, extensions=extensions,
                                       headers={**headers, "host": netloc, "connection": "close"})
        response = await client.send(request, stream=True)
        try:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= MAX_ANSWER_BYTES:
                    break
        finally:
            await response.aclose()
        return response.status_code


async def _attempt(url: str, body: bytes, headers: dict[str, str], allow_private: bool) -> int:
    target = await resolve_target(url, allow_private)
    for address in target.addresses[:-1]:
        try:
            return await _post_to(address, target, body, headers)
        except httpx.ConnectError:
            continue  # the next address of the same host
    return await _post_to(target.addresses[-1], target, body, headers)


async def post_webhook(url: str, body: bytes, headers: dict[str, str], *, deadline: float,
                       allow_private: bool) -> Answer:
    """POSTs `body` to `url`, all of it within `deadline` seconds."""
    try:
        async with asyncio.timeout(deadline):
            status = await _attempt(url, body, headers, allow_private)
    except UnsafeUrl as error:
        return Answer(None, f"refused: {error}")
    except TimeoutError:
        return Answer(None, f"no answer within {deadline:g} s")
    except httpx.HTTPError as error:
        return Answer(None, f"{type(error).__name__}: {error}"[:500])
    return Answer(status, None if 200 <= status < 300 else f"HTTP {status}")
