"""Bearer tokens: who is asking, compared in constant time, and remembered for the request.

``authenticate`` reads an ``Authorization`` header against the configured tokens (every one is
compared, with ``hmac.compare_digest``, so the time taken says nothing about which came close).
The HTTP layer sets ``CURRENT_TOKEN`` for the request it serves, so the MCP tools mounted under it
see the same caller's limits.
"""

from __future__ import annotations

import hmac
from contextvars import ContextVar

from reviewvet.service.config import Token

CURRENT_TOKEN: ContextVar[Token | None] = ContextVar("reviewvet_token", default=None)


def authenticate(header: str | None, tokens: tuple[Token, ...]) -> Token | None:
    """The token ``Authorization: Bearer …`` names, or None when it names none of ``tokens``."""
    scheme, _, given = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return None
    offered = given.strip().encode("utf-8", "surrogatepass")
    found: Token | None = None
    for token in tokens:  # no early exit: every token costs the same time
        if hmac.compare_digest(offered, token.secret.encode("utf-8", "surrogatepass")):
            found = token
    return found
