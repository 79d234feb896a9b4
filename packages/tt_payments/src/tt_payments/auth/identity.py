"""Who is calling: the principal a verified token describes, and what roles may do."""

from __future__ import annotations

import enum
import uuid

import attrs

from tt_money.errors import TicketTokenError


class Role(enum.Enum):
    USER = "user"
    VENUE_MANAGER = "venue_manager"
    ADMIN = "admin"


class ForbiddenError(TicketTokenError):
    """Authenticated, but not allowed to do this."""

    default_code = "FORBIDDEN"


@attrs.frozen(kw_only=True)
class Principal:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    venues: frozenset[uuid.UUID] = frozenset()
    """The venues a venue manager manages; empty for other roles."""

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise ForbiddenError(f"this action needs the role {allowed}")

    def can_manage_venue(self, venue_id: uuid.UUID) -> bool:
        return self.role is Role.ADMIN or (
            self.role is Role.VENUE_MANAGER and venue_id in self.venues
        )
