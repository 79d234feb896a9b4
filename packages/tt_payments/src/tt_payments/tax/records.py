"""What the tax context stores and reports."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from tt_tax import NexusTotals


@attrs.frozen(kw_only=True)
class NexusRow:
    state: str
    year: int
    totals: NexusTotals
    crossed_at: dt.datetime | None


@attrs.frozen(kw_only=True)
class StoredForm:
    id: uuid.UUID
    user_id: uuid.UUID
    tax_year: int
    form_data: Mapping[str, Any]
    total_proceeds: int
    total_cost_basis: int
    transaction_count: int
    status: str
    generated_at: dt.datetime
