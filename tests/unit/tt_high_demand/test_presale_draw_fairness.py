"""The pre-sale draw: a permutation anyone can recompute from the published seed."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from hypothesis import given
from hypothesis import strategies as st

from tt_high_demand import draw_key, new_seed, presale_order, queue_id, verify
from tt_high_demand.fairness import POST_SALE_BASE

seeds = st.binary(min_size=32, max_size=32)
queue_ids = st.lists(st.uuids().map(str), unique=True, max_size=200)


@given(seed=seeds, ids=queue_ids)
def test_the_draw_is_a_permutation_of_the_entries(seed: bytes, ids: list[str]) -> None:
    assert sorted(presale_order(seed, ids)) == sorted(ids)


@given(seed=seeds, ids=queue_ids, data=st.data())
def test_the_draw_depends_on_the_seed_and_the_entries_not_on_join_order(
    seed: bytes, ids: list[str], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(ids))
    assert presale_order(seed, shuffled) == presale_order(seed, ids)


@given(seed=seeds, ids=queue_ids)
def test_the_published_seed_verifies_its_own_draw(seed: bytes, ids: list[str]) -> None:
    commitment = hashlib.sha256(seed).hexdigest()
    assert verify(seed.hex(), commitment, presale_order(seed, ids))


@given(seed=seeds, ids=st.lists(st.uuids().map(str), unique=True, min_size=2, max_size=50))
def test_a_tampered_order_is_rejected(seed: bytes, ids: list[str]) -> None:
    commitment = hashlib.sha256(seed).hexdigest()
    order = presale_order(seed, ids)
    order[0], order[-1] = order[-1], order[0]
    assert not verify(seed.hex(), commitment, order)


@given(seed=seeds, other=seeds, ids=queue_ids)
def test_a_seed_other_than_the_committed_one_is_rejected(
    seed: bytes, other: bytes, ids: list[str]
) -> None:
    if seed == other:
        return
    commitment = hashlib.sha256(seed).hexdigest()
    assert not verify(other.hex(), commitment, presale_order(other, ids))


def test_a_seed_that_is_not_hex_is_rejected() -> None:
    assert not verify("not hex", hashlib.sha256(b"").hexdigest(), [])


@given(seed=seeds, entry=st.uuids().map(str))
def test_draw_keys_fit_below_the_post_sale_scores(seed: bytes, entry: str) -> None:
    assert 0 <= draw_key(seed, entry) < POST_SALE_BASE


def test_draw_keys_are_the_first_six_bytes_of_hmac_sha256() -> None:
    # What a verifier in any language computes: HMAC-SHA256(seed, queue_id)[:6], big-endian.
    seed = bytes(range(32))
    digest = hmac.new(seed, b"entry", hashlib.sha256).hexdigest()
    assert draw_key(seed, "entry") == int(digest[:12], 16)


def test_a_user_keeps_one_queue_id_per_event_so_rejoining_cannot_reroll() -> None:
    tenant, event, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert queue_id(tenant, event, user) == queue_id(tenant, event, user)
    assert queue_id(tenant, event, user) != queue_id(tenant, uuid.uuid4(), user)
    assert queue_id(tenant, event, user) != queue_id(tenant, event, uuid.uuid4())
    # Another tenant's event with the same id is another room.
    assert queue_id(tenant, event, user) != queue_id(uuid.uuid4(), event, user)


def test_new_seeds_are_32_random_bytes() -> None:
    assert len(new_seed()) == 32
    assert new_seed() != new_seed()
