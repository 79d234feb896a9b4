"""The pre-sale draw: a verifiable shuffle of everyone who joined before the on-sale.

Joining early must not be a race (a bot always wins a race), so entries that arrive before
the on-sale are ordered by ``draw_key``: HMAC-SHA256 keyed with the event's secret seed.
The seed's SHA-256 is published before the sale and the seed after it; with the seed and
the list of queue ids anyone can recompute the order with ``presale_order`` and check it
with ``verify``. Everything here is pure, so the checker can be this very module.

A queue id is derived from (event, user) alone: leaving and re-joining before the sale
gives the same id and therefore the same draw, so nobody can re-roll a bad number.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Sequence

# Draw keys stay below 2**48 so they are exact as Redis sorted-set scores (doubles hold
# 53 bits) and every post-sale join, scored 2**48 + its sequence number, sorts after them.
DRAW_KEY_BITS = 48
POST_SALE_BASE = 2**DRAW_KEY_BITS

_QUEUE_NAMESPACE = uuid.UUID("6f1c2b7e-3d7a-5a43-9c1e-7b9f0d2e4a61")


def queue_id(tenant_id: uuid.UUID, event_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The user's place-holder id in one event's room: UUIDv5, the same on every join.
    The tenant is part of it: event ids are chosen by each tenant and may collide."""
    return str(uuid.uuid5(_QUEUE_NAMESPACE, f"{tenant_id}:{event_id}:{user_id}"))


def draw_key(seed: bytes, queue_id: str) -> int:
    """The first 6 bytes of HMAC-SHA256(seed, queue_id), big-endian: below 2**48."""
    digest = hmac.new(seed, queue_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[: DRAW_KEY_BITS // 8], "big")


def presale_order(seed: bytes, queue_ids: Iterable[str]) -> list[str]:
    """The drawn order: by draw key, ties (1 in 2**48) broken by the queue id itself, which
    is also how Redis orders equal scores, so the store's order and this one agree."""
    return sorted(queue_ids, key=lambda member: (draw_key(seed, member), member))


def verify(seed_hex: str, commitment: str, ordered_queue_ids: Sequence[str]) -> bool:
    """True when ``seed_hex`` is the seed committed to and the order is its draw."""
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        return False
    if not hmac.compare_digest(hashlib.sha256(seed).hexdigest(), commitment.lower()):
        return False
    return presale_order(seed, ordered_queue_ids) == list(ordered_queue_ids)
