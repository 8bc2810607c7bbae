"""Ids: unguessable keys (128 random bits, hex-encoded), and the global id a row is shown by.

`global_id` is here, below both, because the API (graph.core.ids, which also
decodes) and the partners' payloads (commerce.outbound.payloads) must show a
row by the same id, and commerce cannot import graph.
"""

import base64
import secrets

__all__ = ["new_secret_id", "global_id"]


def new_secret_id() -> str:
    return secrets.token_hex(16)


def global_id(type_name: str, key: object) -> str:
    """`base64url("Type:key")` without padding: the Relay global id of the row `key` of `type_name`."""
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")
