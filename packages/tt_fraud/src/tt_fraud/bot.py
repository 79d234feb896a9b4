"""Bot detection from a checkout session: behaviour (pointer, timing) and the browser itself.

Each indicator is evidence with a weight (data, overridable per deployment) and the score
is their noisy-OR (``signals.combine_weights``). The weights encode one rule learnt the
hard way: real people include keyboard-only and switch-access users (no mouse, sometimes
metronome-regular timing), privacy browsers (no plugins, spoofed screens), phones (no
mouse, no plugins) and fast power users. So only evidence a person cannot produce
(``navigator.webdriver``, a headless user agent) is decisive alone; behavioural evidence
needs a second, independent indicator to cross the 0.70 threshold; and weak hints (zero
plugins, a short visit) never can, even together.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

import attrs

from tt_fraud.session import SessionAction, SessionData
from tt_fraud.signals import Signal, combine_weights, signals_of, validate_weights

__all__ = ["BOT_INDICATORS", "DEFAULT_BOT_WEIGHTS", "BotAssessment", "BotDetector"]

DEFAULT_BOT_WEIGHTS: Final[Mapping[str, Decimal]] = {
    # Decisive alone: no person's browser says these.
    "webdriver": Decimal("0.90"),
    "headless_user_agent": Decimal("0.90"),
    # Behaviour: strong, but each needs company to cross 0.70.
    "rapid_clicking": Decimal("0.50"),
    "linear_mouse": Decimal("0.55"),
    "smooth_mouse": Decimal("0.55"),
    "uniform_timing": Decimal("0.50"),
    "no_mouse_movement": Decimal("0.45"),
    "superhuman_speed": Decimal("0.45"),
    "instant_click": Decimal("0.40"),
    # How a hand aims (each alone is common in people, so weighted to need company).
    "click_off_pointer": Decimal("0.40"),
    "no_corrective_movement": Decimal("0.40"),
    "unnatural_velocity_profile": Decimal("0.40"),
    # Browser hints: what privacy tools, phones and old pages also produce.
    "no_session_data": Decimal("0.30"),
    "no_languages": Decimal("0.30"),
    "headless_screen": Decimal("0.25"),
    "no_plugins": Decimal("0.15"),
}
"""Indicator -> weight; the spec's ``bot_detections.indicators`` use these names."""

BOT_INDICATORS: Final = tuple(DEFAULT_BOT_WEIGHTS)

_HEADLESS_AGENT: Final = re.compile(
    r"headless|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver|electron|"
    r"python-requests|python-urllib|aiohttp|httpx|curl/|wget/|okhttp|go-http-client|"
    r"java/|libwww|scrapy|\bbot\b|crawler|spider",
    re.IGNORECASE,
)
_DISCRETE: Final = frozenset({"click", "keydown", "scroll", "touchstart", "wheel", "mousedown"})
_SEGMENT_GAP_MS: Final = 250  # a pause this long ends one pointer movement
_MIN_SEGMENT_POINTS: Final = 4
_MIN_TIMING_INTERVALS: Final = 8
_UNIFORM_TIMING_CV: Final = 0.25  # people's gaps between keys/clicks vary far more
_UNIFORM_TYPING_CV: Final = 0.25  # people's keystroke gaps and pauses vary by 0.3+
_TYPING_PAUSE_MS: Final = 1000
_MIN_CHORD_PX: Final = 50
_LINEAR_STRAY_PX: Final = 2.0  # a ruler, not a hand (rounding to pixels strays < 1)
_SMOOTH_WOBBLE_PX: Final = 1.5  # hands wobble 2+ px per sample
_FASTEST_HAND_PX_PER_MS: Final = 5.0  # a fast flick averages 2-3 px/ms
_FASTEST_FRAME_MS: Final = 4  # browsers send pointer moves once per frame (144 Hz: 7 ms)
_INSTANT_CLICK_MS: Final = 15  # people settle on a target before pressing
_MIN_DWELLS: Final = 2
_MIN_DWELLS_FOR_CV: Final = 5  # a spread of four is too noisy to call uniform
_RAPID_CLICK_GAP_MS: Final = 120
_RAPID_CLICK_RUN: Final = 4  # a double click is 2, a triple click 3
_FASTEST_HUMAN_CHECKOUT_MS: Final = 1500
_CLICK_OFF_POINTER_PX: Final = 2.0  # a browser reports a click where the pointer is
_MIN_OFF_POINTER_CLICKS: Final = 2
_AIMED_REACH_PX: Final = 100  # long enough for a hand to overshoot or correct
_MIN_AIMED_REACHES: Final = 4
_OVERSHOOT_PX: Final = 3.0  # past the landing point along the reach, then back
_PROFILE_POINTS: Final = 10
_FLAT_PEAK_TO_MEAN: Final = 1.6  # one smooth stroke: ~1.9 (minimum jerk 1.875)
_MIN_UNBELL_REACHES: Final = 2
_UNBELL_SHARE: Final = 0.3
_HEADLESS_SCREENS: Final = frozenset({(800, 600), (0, 0)})


@attrs.frozen(kw_only=True)
class BotAssessment:
    """The bot score (0..1 at 0.01), whether it is above the threshold, and why."""

    score: Decimal
    is_bot: bool
    indicators: tuple[str, ...]
    signals: tuple[Signal, ...] = ()


def _bot_weights(weights: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    return validate_weights(weights, BOT_INDICATORS)


@attrs.frozen
class BotDetector:
    """Scores sessions; ``is_bot`` when the score is above ``threshold`` (spec: > 0.7)."""

    threshold: Decimal = Decimal("0.70")
    weights: Mapping[str, Decimal] = attrs.field(
        default=DEFAULT_BOT_WEIGHTS,
        converter=_bot_weights,
    )

    def assess(self, session: SessionData) -> BotAssessment:
        """Score ``session``. Pure: the same session always gets the same assessment."""
        fired = {
            name: detail
            for name, detail in bot_evidence(session).items()
            if self.weights.get(name, Decimal(0)) > 0
        }
        score = combine_weights(self.weights[name] for name in fired)
        return BotAssessment(
            score=score,
            is_bot=score > self.threshold,
            indicators=tuple(fired),
            signals=signals_of("bot", fired, self.weights),
        )


def bot_evidence(session: SessionData) -> dict[str, str]:
    """Every indicator the session shows, with a sentence of detail, in BOT_INDICATORS order."""
    found: dict[str, str] = {}
    if session.feature_bool("webdriver"):
        found["webdriver"] = "navigator.webdriver is true"
    agent = session.user_agent
    if agent is not None and _HEADLESS_AGENT.search(agent):
        found["headless_user_agent"] = f"user agent {agent[:80]!r} is an automation tool"
    if not session.actions:
        found["no_session_data"] = "no actions were recorded on the page"
    else:
        found.update(_behaviour(session))
    found.update(_browser(session))
    return {name: found[name] for name in BOT_INDICATORS if name in found}


def _browser(session: SessionData) -> dict[str, str]:
    found: dict[str, str] = {}
    if session.feature_int("languages") == 0:
        found["no_languages"] = "navigator.languages is empty"
    if session.feature_int("plugins") == 0 and not session.is_touch_device:
        found["no_plugins"] = "a desktop browser with no plugins"
    screen = session.browser_features.get("screen")
    if isinstance(screen, Mapping):
        size = (screen.get("width"), screen.get("height"))
        if size in _HEADLESS_SCREENS and not session.is_touch_device:
            found["headless_screen"] = f"screen {size[0]}x{size[1]} is a headless default"
    return found


def _behaviour(session: SessionData) -> dict[str, str]:
    found: dict[str, str] = {}
    actions = session.actions
    moves = [a for a in actions if a.type == "mousemove" and a.x is not None and a.y is not None]
    clicks = [a for a in actions if a.type == "click"]
    touched = any(a.type.startswith("touch") for a in actions)
    pointer_clicks = [a for a in clicks if a.x is not None and (a.x, a.y) != (0, 0)]
    if pointer_clicks and not moves and not touched:
        # Keyboard activation clicks at (0, 0); a pointer click needs a pointer that moved.
        found["no_mouse_movement"] = f"{len(pointer_clicks)} pointer clicks, no pointer movement"
    reaches = _reaches(actions)
    found.update(_aiming(reaches))
    segments = _segments(reaches)
    if segments:
        stray = statistics.median(_deviation(segment) for segment in segments)
        wobble = statistics.median(_wobble(segment) for segment in segments)
        if stray <= _LINEAR_STRAY_PX:
            found["linear_mouse"] = f"pointer paths stray {stray:.1f} px from a straight line"
        elif wobble <= _SMOOTH_WOBBLE_PX:
            found["smooth_mouse"] = f"pointer paths wobble {wobble:.1f} px per sample"
    cv = _timing_cv([a for a in actions if a.type in _DISCRETE])
    typing_cv = _timing_cv(_longest_typing_burst(actions))
    dwells = _click_dwells(actions)
    dwell_cv = _cv(dwells) if len(dwells) >= _MIN_DWELLS_FOR_CV else None
    if cv is not None and cv < _UNIFORM_TIMING_CV:
        found["uniform_timing"] = f"gaps between actions vary by {cv:.2f} of their mean"
    elif typing_cv is not None and typing_cv < _UNIFORM_TYPING_CV:
        found["uniform_timing"] = f"gaps between keystrokes vary by {typing_cv:.2f} of their mean"
    elif dwell_cv is not None and dwell_cv < _UNIFORM_TYPING_CV:
        found["uniform_timing"] = f"pauses before clicks vary by {dwell_cv:.2f} of their mean"
    dwell = int(statistics.median(dwells)) if len(dwells) >= _MIN_DWELLS else None
    if dwell is not None and dwell < _INSTANT_CLICK_MS:
        found["instant_click"] = f"clicks land {dwell} ms after the pointer arrives"
    if _longest_rapid_run(clicks) >= _RAPID_CLICK_RUN:
        found["rapid_clicking"] = f"{_RAPID_CLICK_RUN}+ clicks under {_RAPID_CLICK_GAP_MS} ms apart"
    speed = _pointer_speed(moves)
    sampling = _median_gap(moves)
    if speed is not None and speed > _FASTEST_HAND_PX_PER_MS:
        found["superhuman_speed"] = f"the pointer travels {speed:.1f} px/ms"
    elif sampling is not None and sampling < _FASTEST_FRAME_MS:
        found["superhuman_speed"] = f"pointer events {sampling} ms apart, faster than a display"
    elif clicks and clicks[-1].at_ms - actions[0].at_ms < _FASTEST_HUMAN_CHECKOUT_MS:
        found["superhuman_speed"] = (
            f"checkout finished {clicks[-1].at_ms - actions[0].at_ms} ms after the first action"
        )
    return found


def _aiming(reaches: Sequence[_Reach]) -> dict[str, str]:
    """How the pointer was aimed: where clicks land, corrections, the speed profile."""
    found: dict[str, str] = {}
    off_pointer = _clicks_off_pointer(reaches)
    if off_pointer:
        found["click_off_pointer"] = (
            f"{off_pointer} clicks landed {_CLICK_OFF_POINTER_PX:.0f}+ px from where the"
            " pointer last was, with no movement between"
        )
    aimed = [path for path, _ in reaches if _is_aimed(path)]
    if len(aimed) >= _MIN_AIMED_REACHES and not any(_overshoots(path) for path in aimed):
        found["no_corrective_movement"] = (
            f"none of {len(aimed)} reaches overshot or corrected near its target"
        )
    profiles = [_peak_to_mean_speed(path) for path in aimed if len(path) >= _PROFILE_POINTS]
    unbell = sum(ratio < _FLAT_PEAK_TO_MEAN for ratio in profiles)
    if unbell >= _MIN_UNBELL_REACHES and unbell >= _UNBELL_SHARE * len(profiles):
        found["unnatural_velocity_profile"] = (
            f"{unbell} of {len(profiles)} reaches move at a flat, not bell-shaped, speed"
        )
    return found


def _split_at_pauses(moves: Sequence[SessionAction]) -> list[list[SessionAction]]:
    """Split pointer movement into reaches at pauses longer than _SEGMENT_GAP_MS."""
    reaches: list[list[SessionAction]] = []
    for move in moves:
        if not reaches or move.at_ms - reaches[-1][-1].at_ms > _SEGMENT_GAP_MS:
            reaches.append([])
        reaches[-1].append(move)
    return reaches


_Reach = tuple[list[SessionAction], SessionAction | None]


def _reaches(actions: Sequence[SessionAction]) -> list[_Reach]:
    """Pointer movement as reaches, each with the click that ended it (or ``None``).

    A reach ends at a click (the aim was reached) or at a pause longer than
    _SEGMENT_GAP_MS (the hand stopped); two reaches joined by a quick click are two
    movements, not one bent path.
    """
    reaches: list[_Reach] = []
    current: list[SessionAction] = []
    for action in actions:
        if action.type == "mousemove" and action.x is not None and action.y is not None:
            if current and action.at_ms - current[-1].at_ms > _SEGMENT_GAP_MS:
                reaches.append((current, None))
                current = []
            current.append(action)
        elif action.type == "click" and current:
            reaches.append((current, action))
            current = []
    if current:
        reaches.append((current, None))
    return reaches


def _segments(reaches: Sequence[_Reach]) -> list[list[tuple[int, int]]]:
    """The reaches long enough to judge their shape, as pixel paths."""
    paths = [[(move.x or 0, move.y or 0) for move in path] for path, _ in reaches]
    return [p for p in paths if len(p) >= _MIN_SEGMENT_POINTS and _chord(p) >= _MIN_CHORD_PX]


def _clicks_off_pointer(reaches: Sequence[_Reach]) -> int:
    """How many clicks landed away from the pointer's last reported position, if telling.

    A browser reports a click where the pointer is, and the pointer cannot get anywhere
    without a mousemove; a click a few pixels from the last move was dispatched at an
    element's coordinates by a script that drew a noisy path toward it. Keyboard
    activation (a click at 0, 0) is not a pointer click. Telling only when it happens at
    least twice and for at least half of the clicks that end a reach.
    """
    offsets = [
        math.hypot(click.x - path[-1].x, click.y - path[-1].y)
        for path, click in reaches
        if click is not None
        and click.x is not None
        and click.y is not None
        and (click.x, click.y) != (0, 0)
        and path[-1].x is not None
        and path[-1].y is not None
    ]
    off = sum(offset >= _CLICK_OFF_POINTER_PX for offset in offsets)
    return off if off >= _MIN_OFF_POINTER_CLICKS and 2 * off >= len(offsets) else 0


def _xy(action: SessionAction) -> tuple[int, int]:
    return action.x or 0, action.y or 0


def _is_aimed(path: Sequence[SessionAction]) -> bool:
    """A reach long enough, in samples and pixels, to show how it was aimed."""
    return len(path) >= _MIN_SEGMENT_POINTS + 2 and _chord([_xy(a) for a in path]) >= (
        _AIMED_REACH_PX
    )


def _overshoots(path: Sequence[SessionAction]) -> bool:
    """Whether the reach went past where it ended, along its direction, and came back.

    Aimed hand movements end with a corrective sub-movement: the primary stroke
    overshoots or falls short and a second, slower one homes in. A curve computed from
    start to target arrives exactly, never beyond.
    """
    points = [_xy(a) for a in path]
    (x0, y0), (x1, y1) = points[0], points[-1]
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    return max((x - x0) * ux + (y - y0) * uy for x, y in points) - length >= _OVERSHOOT_PX


def _peak_to_mean_speed(path: Sequence[SessionAction]) -> float:
    """The reach's peak speed over its mean speed (3-sample moving average).

    A single aimed stroke accelerates and decelerates smoothly: a bell-shaped speed
    profile whose peak is about 1.9 times its mean (minimum jerk gives 1.875). A constant
    parameter step gives a flat profile (near 1) and a smoothstep-eased curve 1.5. Only a
    flat profile counts: a long, slow homing phase after the primary stroke raises the
    ratio in people, so a high ratio says nothing.
    """
    speeds = [
        math.hypot((b.x or 0) - (a.x or 0), (b.y or 0) - (a.y or 0)) / max(1, b.at_ms - a.at_ms)
        for a, b in itertools.pairwise(path)
    ]
    smooth = [statistics.fmean(speeds[max(0, i - 1) : i + 2]) for i in range(len(speeds))]
    mean = statistics.fmean(smooth)
    return max(smooth) / mean if mean > 0 else 0.0


def _chord(points: Sequence[tuple[int, int]]) -> float:
    (x0, y0), (x1, y1) = points[0], points[-1]
    return math.hypot(x1 - x0, y1 - y0)


def _deviation(points: Sequence[tuple[int, int]]) -> float:
    """The largest distance in pixels of the path from its chord."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    return max(abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) for x, y in points) / _chord(points)


def _wobble(points: Sequence[tuple[int, int]]) -> float:
    """The median second difference of the path, in pixels.

    A hand trembles, so consecutive samples jitter by a few pixels; a generated curve
    (Bezier, spline) changes direction so gradually that, once rounded to whole pixels,
    its second differences are 0 or 1 pixel.
    """
    return statistics.median(
        math.hypot(ax - 2 * bx + cx, ay - 2 * by + cy)
        for (ax, ay), (bx, by), (cx, cy) in zip(points, points[1:], points[2:], strict=False)
    )


def _pointer_speed(moves: Sequence[SessionAction]) -> float | None:
    """The median speed of the pointer's reaches, in pixels per millisecond."""
    speeds = []
    for reach in _split_at_pauses(moves):
        if len(reach) < 3:
            continue
        length = sum(
            math.hypot((b.x or 0) - (a.x or 0), (b.y or 0) - (a.y or 0))
            for a, b in itertools.pairwise(reach)
        )
        if length >= _MIN_CHORD_PX:
            speeds.append(length / max(1, reach[-1].at_ms - reach[0].at_ms))
    return statistics.median(speeds) if speeds else None


def _median_gap(moves: Sequence[SessionAction]) -> int | None:
    """The median time between pointer moves within reaches, in ms."""
    gaps = [
        b.at_ms - a.at_ms for reach in _split_at_pauses(moves) for a, b in itertools.pairwise(reach)
    ]
    return int(statistics.median(gaps)) if len(gaps) >= _MIN_SEGMENT_POINTS else None


def _click_dwells(actions: Sequence[SessionAction]) -> list[int]:
    """The time from the pointer's last move to each click that follows one, in ms."""
    dwells = []
    last_move: SessionAction | None = None
    for action in actions:
        if action.type == "mousemove":
            last_move = action
        elif action.type == "click" and last_move is not None:
            dwells.append(action.at_ms - last_move.at_ms)
            last_move = None
    return dwells


def _longest_typing_burst(actions: Sequence[SessionAction]) -> list[SessionAction]:
    """Keystrokes of the longest typing burst (keys under a second apart)."""
    bursts: list[list[SessionAction]] = []
    for action in actions:
        if action.type != "keydown":
            continue
        if not bursts or action.at_ms - bursts[-1][-1].at_ms > _TYPING_PAUSE_MS:
            bursts.append([])
        bursts[-1].append(action)
    return max(bursts, key=len, default=[])


def _timing_cv(actions: Sequence[SessionAction]) -> float | None:
    """Coefficient of variation of the gaps between discrete actions (clicks, keys...)."""
    gaps = [b.at_ms - a.at_ms for a, b in itertools.pairwise(actions)]
    return _cv(gaps) if len(gaps) >= _MIN_TIMING_INTERVALS else None


def _cv(gaps: Sequence[int]) -> float:
    mean = statistics.fmean(gaps)
    if mean <= 0:
        return 0.0
    return statistics.pstdev(gaps) / mean


def _longest_rapid_run(clicks: Sequence[SessionAction]) -> int:
    longest = run = 1 if clicks else 0
    for previous, click in itertools.pairwise(clicks):
        run = run + 1 if click.at_ms - previous.at_ms < _RAPID_CLICK_GAP_MS else 1
        longest = max(longest, run)
    return longest
