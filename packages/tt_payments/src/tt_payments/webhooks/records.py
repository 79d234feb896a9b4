"""What the webhook inbox keeps of each delivery."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class InboxRow:
    provider: str
    webhook_id: str
    event_type: str
    payload: dict[str, Any]
    signature: str
    status: str
    attempts: int
    error_message: str | None
    outcome: str | None
