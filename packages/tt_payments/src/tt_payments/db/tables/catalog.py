"""Venues and events: the catalog's projections of the ticket service."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from tt_payments.db.metadata import metadata

venues = sa.Table(
    "venues",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("street", sa.Text),
    sa.Column("city", sa.Text, nullable=False),
    sa.Column("state", sa.String(2), nullable=False),
    sa.Column("zip", sa.String(10), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False),
    sa.Column("tier_override", sa.Text),
    sa.Column("platform_fee_bps_override", sa.Integer),
    sa.Column("royalty_venue_bps", sa.Integer, nullable=False),
    sa.Column("royalty_artist_bps", sa.Integer, nullable=False),
    sa.Column("royalty_artist_id", UUID(as_uuid=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


events = sa.Table(
    "events",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("venue_id", UUID(as_uuid=True), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
