"""The browser session a payment request carries (the spec's ``sessionData``), parsed strictly.

Bot detection reads behaviour (what the visitor did, and when) and the browser's
self-description. Both come from the client, so the parser trusts nothing: every field is
type-checked (a ``true`` is not a number, ``1.5`` is not a timestamp), timestamps must
not go backwards, and the number of actions is capped so a hostile client cannot make us
score a million events. Unknown browser features are kept, since the client script may
send more than this version reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from tt_fraud.errors import FraudInputError

__all__ = ["MAX_ACTIONS", "SessionAction", "SessionData"]

MAX_ACTIONS: Final = 5000
"""More actions than a checkout page can produce in a real visit; more is refused."""

_MAX_TYPE_LENGTH: Final = 32
_MAX_DETAILS: Final = 20  # enough to fix a client; a flood of them helps nobody
_INT_FEATURES: Final = ("hardwareConcurrency", "maxTouchPoints")
_COUNTED_FEATURES: Final = ("plugins", "languages")
"""Sent as a browser serializes them, or as their count: ``navigator.languages`` is an
array of strings, ``JSON.stringify(navigator.plugins)`` an object with index keys
(``{"0": {...}, "1": {...}}``), and either may be sent as a number. Kept as the count."""
_MAX_COUNTED: Final = 1000
_BOOL_FEATURES: Final = ("webdriver", "touch")
_FIELD = "sessionData"


@attrs.frozen(kw_only=True)
class SessionAction:
    """One thing the visitor did: ``type`` (mousemove, click, keydown, scroll, touchstart...)
    at ``at_ms`` milliseconds (client clock), with pointer coordinates when it has them."""

    type: str
    at_ms: int
    x: int | None = None
    y: int | None = None


def _freeze(features: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(features))


@attrs.frozen(kw_only=True)
class SessionData:
    """The actions in time order, the browser's features and its user agent."""

    actions: tuple[SessionAction, ...] = ()
    browser_features: Mapping[str, object] = attrs.field(
        factory=dict, converter=_freeze, eq=False, hash=False
    )
    user_agent: str | None = None

    @classmethod
    def empty(cls) -> SessionData:
        """No session data: an API client or an old page. Scored as such, not refused."""
        return cls()

    @classmethod
    def from_json(cls, obj: object) -> SessionData:
        """Parse the request's ``sessionData`` (already JSON-decoded); ``None`` is empty.

        Raises ``FraudInputError`` listing each bad field as
        ``("sessionData.actions[3].timestamp", "must be an integer")``.
        """
        if obj is None:
            return cls.empty()
        problems = _Problems()
        if not isinstance(obj, Mapping):
            problems.add(_FIELD, "must be an object")
            problems.raise_if_any()
            return cls.empty()  # unreachable: raise_if_any raised
        actions = _parse_actions(obj.get("actions"), problems)
        features = _parse_features(obj.get("browserFeatures"), problems)
        user_agent = features.get("userAgent", obj.get("userAgent"))
        if user_agent is not None and not isinstance(user_agent, str):
            problems.add(f"{_FIELD}.userAgent", "must be a string")
        problems.raise_if_any()
        return cls(
            actions=actions,
            browser_features=features,
            user_agent=user_agent if isinstance(user_agent, str) else None,
        )

    def feature_bool(self, name: str) -> bool | None:
        """The boolean feature ``name``, or ``None`` when the browser did not say."""
        value = self.browser_features.get(name)
        return value if isinstance(value, bool) else None

    def feature_int(self, name: str) -> int | None:
        """The integer feature ``name``, or ``None`` when the browser did not say."""
        value = self.browser_features.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return value

    @property
    def is_touch_device(self) -> bool:
        """The browser says it has a touch screen, or the visitor actually touched it."""
        if self.feature_bool("touch") or (self.feature_int("maxTouchPoints") or 0) > 0:
            return True
        return any(action.type.startswith("touch") for action in self.actions)


class _Problems:
    def __init__(self) -> None:
        self.details: list[tuple[str, str]] = []

    def add(self, field: str, message: str) -> None:
        if len(self.details) < _MAX_DETAILS:
            self.details.append((field, message))

    def raise_if_any(self) -> None:
        if self.details:
            first_field, first_message = self.details[0]
            raise FraudInputError(
                f"invalid session data: {first_field} {first_message}", details=self.details
            )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_non_negative_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count_of(value: object) -> int | None:
    """How many items a browser list holds: a count as it is, an array's length, an
    array-like object's ``length`` or index keys (``{"0": ..., "1": ...}``); None when it is
    none of these (a string, a negative or fractional number, a boolean, a huge list)."""
    if _is_non_negative_int(value):
        assert isinstance(value, int)
        return value if value <= _MAX_COUNTED else None
    if isinstance(value, list):
        return len(value) if len(value) <= _MAX_COUNTED else None
    if isinstance(value, Mapping):
        length = value.get("length")
        if _is_non_negative_int(length):
            assert isinstance(length, int)
            return length if length <= _MAX_COUNTED else None
        indexes = [key for key in value if isinstance(key, str) and key.isdigit()]
        if len(indexes) == len(value) and len(indexes) <= _MAX_COUNTED:
            return len(indexes)
    return None


def _parse_actions(raw: object, problems: _Problems) -> tuple[SessionAction, ...]:
    field = f"{_FIELD}.actions"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(field, "must be an array")
        return ()
    if len(raw) > MAX_ACTIONS:
        problems.add(field, f"must have at most {MAX_ACTIONS} actions")
        return ()
    actions: list[SessionAction] = []
    previous_ms = 0
    for index, item in enumerate(raw):
        here = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            problems.add(here, "must be an object")
            continue
        kind = item.get("type")
        if not isinstance(kind, str) or not 0 < len(kind) <= _MAX_TYPE_LENGTH:
            problems.add(f"{here}.type", f"must be a string of 1..{_MAX_TYPE_LENGTH} characters")
            continue
        at_ms = item.get("timestamp")
        if not _is_int(at_ms):
            problems.add(f"{here}.timestamp", "must be an integer")
            continue
        assert isinstance(at_ms, int)
        if at_ms < 0:
            problems.add(f"{here}.timestamp", "must not be negative")
            continue
        if at_ms < previous_ms:
            problems.add(f"{here}.timestamp", "must not be earlier than the previous action")
            continue
        previous_ms = at_ms
        coordinates: list[int | None] = []
        for axis in ("x", "y"):
            value = item.get(axis)
            if value is not None and not _is_int(value):
                problems.add(f"{here}.{axis}", "must be an integer")
                value = None
            coordinates.append(value if isinstance(value, int) else None)
        actions.append(SessionAction(type=kind, at_ms=at_ms, x=coordinates[0], y=coordinates[1]))
    return tuple(actions)


def _parse_features(raw: object, problems: _Problems) -> dict[str, object]:
    field = f"{_FIELD}.browserFeatures"
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.add(field, "must be an object")
        return {}
    features: dict[str, object] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        kept = _feature(key, value, f"{field}.{key}", problems)
        if kept is not _DROP:
            features[key] = kept
    return features


_DROP: Final = object()


def _feature(key: str, value: object, here: str, problems: _Problems) -> object:
    """The feature as kept (``_DROP``: refused, with its problem added)."""
    if key in _BOOL_FEATURES and not isinstance(value, bool):
        problems.add(here, "must be a boolean")
    elif key in _INT_FEATURES and not _is_non_negative_int(value):
        problems.add(here, "must be a non-negative integer")
    elif key in _COUNTED_FEATURES:
        counted = _count_of(value)
        if counted is not None:
            return counted
        problems.add(here, "must be an array, an array-like object or a count")
    elif key == "userAgent" and not isinstance(value, str):
        problems.add(here, "must be a string")
    elif key == "screen" and not isinstance(value, Mapping):
        problems.add(here, "must be an object")
    elif key == "screen":
        assert isinstance(value, Mapping)
        return _parse_screen(value, here, problems)
    else:
        return value
    return _DROP


def _parse_screen(raw: Mapping[object, object], field: str, problems: _Problems) -> object:
    screen: dict[str, object] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        if key in ("width", "height", "colorDepth") and not _is_non_negative_int(value):
            problems.add(f"{field}.{key}", "must be a non-negative integer")
            continue
        screen[key] = value
    return MappingProxyType(screen)
