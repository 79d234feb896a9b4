"""A seeded generator of labelled checkout traffic, to measure the detectors honestly.

Actors are people, bots and scalpers; each produces what production would see (a
``SessionData`` for bot detection, a ``PurchaseHistory`` for scalper detection) plus the
truth label, which only the benchmark reads. The detectors never see the actor kind or
the generator's knobs. The population is deliberately hard:

* people include keyboard-only and voice-control users (no mouse), phones (no mouse, no
  plugins), privacy browsers (no plugins, letterboxed screens), power users (fast,
  autofilled), a few visits with no session data, families buying 4 tickets on a shared
  tablet, tour fans buying many high-demand shows, on-sale-day buyers making several
  purchases in an hour, office or library computers with many accounts, and fans who
  resell a ticket they cannot use at a profit;
* bots range from naive (headless user agent, webdriver, no pointer, metronome timing)
  through scripted (straight pointer lines dispatched at machine speed, spoofed
  plugins) to stealthy (Bezier pointer paths at frame rate, jittered delays, some with
  added pointer noise and human-like delays, which are meant to get through);
* scalpers range from device farms (many accounts, cards and addresses, bursts on
  on-sale day, big resale markups) to careful ones (one account, one card, spread
  purchases) and new ones with no resales yet.

Everything is drawn from one ``random.Random(seed)``: the same seed gives the same
traffic, and nothing reads the global random state or the clock.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

import attrs

from tt_fraud.scalper import PastPurchase, PastResale, PurchaseHistory
from tt_fraud.session import SessionAction, SessionData

__all__ = ["LabelledHistory", "LabelledSession", "Traffic", "generate_traffic"]

T = TypeVar("T")

BASE_NOW: Final = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)

_CHROME_UA: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
)
_MAC_UA: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Safari/605.1.15"
)
_FIREFOX_UA: Final = "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
_IPHONE_UA: Final = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
_ANDROID_UA: Final = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36"
)
_HEADLESS_UA: Final = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) HeadlessChrome/{v}.0.0.0 Safari/537.36"
)
_DESKTOP_SCREENS: Final = ((1920, 1080), (2560, 1440), (1366, 768), (1536, 864), (1440, 900))
_PHONE_SCREENS: Final = ((390, 844), (393, 852), (412, 915), (360, 800))


@attrs.frozen(kw_only=True)
class LabelledSession:
    """A session and whether a bot produced it (``kind`` names the actor, for reports)."""

    session: SessionData
    is_bot: bool
    kind: str


@attrs.frozen(kw_only=True)
class LabelledHistory:
    """The input of ``scalper_features`` and whether the user is a scalper."""

    user_id: str
    history: PurchaseHistory
    now: datetime
    is_scalper: bool
    kind: str


@attrs.frozen(kw_only=True)
class Traffic:
    """Everything one seed generated."""

    seed: int
    sessions: tuple[LabelledSession, ...]
    histories: tuple[LabelledHistory, ...]


def generate_traffic(seed: int, people: int, bots: int, scalpers: int) -> Traffic:
    """Generate ``people`` + ``bots`` + ``scalpers`` actors from ``seed``, shuffled.

    People yield a session and a history; bots a session; scalpers a history and the
    session of whoever (a person) sits at the keyboard. Deterministic per seed.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    sessions: list[LabelledSession] = []
    histories: list[LabelledHistory] = []
    for index in range(people):
        kind, make_session = _pick(rng, _PERSON_SESSIONS)
        sessions.append(LabelledSession(session=make_session(rng), is_bot=False, kind=kind))
        history_kind, make_history = _pick(rng, _PERSON_HISTORIES)
        histories.append(make_history(rng, f"person-{seed}-{index}", False, history_kind))
    for _ in range(bots):
        kind, make_session = _pick(rng, _BOT_SESSIONS)
        sessions.append(LabelledSession(session=make_session(rng), is_bot=True, kind=kind))
    for index in range(scalpers):
        kind, make_history = _pick(rng, _SCALPER_HISTORIES)
        histories.append(make_history(rng, f"scalper-{seed}-{index}", True, kind))
        sessions.append(
            LabelledSession(session=_desktop_person(rng), is_bot=False, kind="scalper_at_keyboard")
        )
    rng.shuffle(sessions)
    rng.shuffle(histories)
    return Traffic(seed=seed, sessions=tuple(sessions), histories=tuple(histories))


def _pick(rng: random.Random, table: tuple[tuple[str, float, T], ...]) -> tuple[str, T]:
    kind, _, value = rng.choices(table, weights=[weight for _, weight, _ in table])[0]
    return kind, value


# --- sessions -----------------------------------------------------------------------------


class _Recorder:
    """Builds an action list in time order, as a page script would record it."""

    def __init__(self, rng: random.Random, start_ms: int) -> None:
        self.rng = rng
        self.now = start_ms
        self.x = rng.randint(100, 900)
        self.y = rng.randint(100, 600)
        self.actions: list[SessionAction] = []

    def emit(self, kind: str, x: int | None = None, y: int | None = None) -> None:
        self.actions.append(SessionAction(type=kind, at_ms=self.now, x=x, y=y))

    def wait(self, ms: float) -> None:
        self.now += max(0, round(ms))

    def human_pause(self, median_ms: float, sigma: float = 0.7) -> None:
        self.wait(self.rng.lognormvariate(math.log(median_ms), sigma))

    def move(
        self,
        tx: int,
        ty: int,
        path: Callable[[float], tuple[float, float]],
        steps: int,
        interval: Callable[[], float],
    ) -> None:
        for step in range(1, steps + 1):
            self.wait(interval())
            px, py = path(step / steps)
            self.x, self.y = round(px), round(py)
            self.emit("mousemove", self.x, self.y)
        self.x, self.y = tx, ty

    def session(self, features: dict[str, object]) -> SessionData:
        agent = features.get("userAgent")
        return SessionData(
            actions=tuple(self.actions),
            browser_features=features,
            user_agent=agent if isinstance(agent, str) else None,
        )


def _frame_interval(rng: random.Random) -> Callable[[], float]:
    """Real browsers deliver mousemove once per display frame, dropping one now and then."""
    frame = rng.choice((16.7, 16.7, 16.7, 8.3, 6.9))
    return lambda: frame * (1 if rng.random() > 0.08 else 2) + rng.uniform(-1.5, 1.5)


def _human_path(
    rng: random.Random, x0: int, y0: int, x1: int, y1: int
) -> tuple[Callable[[float], tuple[float, float]], int]:
    """A hand: a curved, minimum-jerk reach with tremor and a correction near the end."""
    distance = math.hypot(x1 - x0, y1 - y0) + 1
    bend = rng.gauss(0, 0.12) * distance
    nx, ny = -(y1 - y0) / distance, (x1 - x0) / distance
    overshoot = rng.uniform(0, 0.06) if rng.random() < 0.5 else 0.0
    tremor = rng.uniform(0.6, 2.2)
    duration_ms = 180 + 120 * math.log2(1 + distance / 20) * rng.uniform(0.7, 1.6)
    steps = max(4, round(duration_ms / 16.7))
    noise = [(rng.gauss(0, tremor), rng.gauss(0, tremor)) for _ in range(steps + 1)]

    def at(t: float) -> tuple[float, float]:
        s = 10 * t**3 - 15 * t**4 + 6 * t**5
        s = s * (1 + overshoot) - overshoot * max(0.0, (t - 0.8) / 0.2)
        arc = bend * 4 * s * (1 - s)
        jx, jy = noise[min(steps, round(t * steps))] if t < 1 else (0.0, 0.0)
        return x0 + (x1 - x0) * s + nx * arc + jx, y0 + (y1 - y0) * s + ny * arc + jy

    return at, steps


def _desktop_features(rng: random.Random, *, privacy: bool = False) -> dict[str, object]:
    browser = rng.choice(("chrome", "chrome", "chrome", "safari", "firefox"))
    version = rng.randint(128, 132)
    agent = {"chrome": _CHROME_UA, "safari": _MAC_UA, "firefox": _FIREFOX_UA}[browser]
    width, height = rng.choice(_DESKTOP_SCREENS)
    features: dict[str, object] = {
        "webdriver": False,
        "plugins": 5,
        "languages": rng.choice((1, 1, 2, 2, 3)),
        "hardwareConcurrency": rng.choice((4, 8, 8, 12, 16)),
        "screen": {"width": width, "height": height, "colorDepth": 24},
        "userAgent": agent.format(v=version),
        "touch": False,
    }
    if privacy:
        features |= {
            "plugins": rng.choice((0, 0, 5)),
            "languages": 1,
            "hardwareConcurrency": 2,
            "screen": {"width": rng.choice((1000, 1400, 1600)), "height": rng.choice((900, 800))},
            "userAgent": _FIREFOX_UA.format(v=128),
        }
    return features


def _type_text(rec: _Recorder, keys: int, median_ms: float, sigma: float) -> None:
    for _ in range(keys):
        rec.human_pause(median_ms, sigma)
        if rec.rng.random() < 0.06:
            rec.human_pause(700, 0.6)  # thinking, or looking at the card
        rec.emit("keydown")


def _desktop_person(
    rng: random.Random, *, privacy: bool = False, power: bool = False
) -> SessionData:
    rec = _Recorder(rng, rng.randint(300, 4000))
    interval = _frame_interval(rng)
    targets = rng.randint(2, 4) if power else rng.randint(3, 8)
    for _ in range(targets):
        rec.human_pause(350 if power else 1400, 0.8)
        tx, ty = rng.randint(40, 1200), rng.randint(40, 800)
        path, steps = _human_path(rng, rec.x, rec.y, tx, ty)
        if power:
            steps = max(4, steps * 2 // 3)
        rec.move(tx, ty, path, steps, interval)
        rec.human_pause(90 if power else 180, 0.5)
        rec.emit("click", rec.x, rec.y)
        if power and rng.random() < 0.3:
            rec.wait(rng.uniform(70, 160))
            rec.emit("click", rec.x, rec.y)  # a double click
        if rng.random() < 0.5:
            autofilled = power and rng.random() < 0.7
            _type_text(
                rec,
                rng.randint(1, 3) if autofilled else rng.randint(4, 20),
                110 if power else 190,
                0.45,
            )
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, 6)):
                rec.human_pause(60, 0.6)
                rec.emit("scroll")
    return rec.session(_desktop_features(rng, privacy=privacy))


def _keyboard_person(rng: random.Random) -> SessionData:
    """Keyboard only (motor impairment, screen reader, habit): Tab, type, Enter."""
    rec = _Recorder(rng, rng.randint(300, 4000))
    switch_scanning = rng.random() < 0.25  # switch access steps at a fixed scan rate
    scan_ms = rng.uniform(700, 1500)
    for _ in range(rng.randint(3, 8)):
        for _ in range(rng.randint(1, 5)):
            if switch_scanning:
                rec.wait(scan_ms * rng.uniform(0.97, 1.03))
            else:
                rec.human_pause(450, 0.7)
            rec.emit("keydown")
        if rng.random() < 0.5:
            _type_text(rec, rng.randint(3, 16), 230, 0.5)
        rec.wait(rng.randint(0, 3))
        rec.emit("click", 0, 0)  # Enter on a button: a click with no pointer position
    return rec.session(_desktop_features(rng, privacy=rng.random() < 0.2))


def _voice_person(rng: random.Random) -> SessionData:
    """Voice control clicks named elements where they are; the pointer never travels."""
    rec = _Recorder(rng, rng.randint(300, 4000))
    for _ in range(rng.randint(3, 7)):
        rec.human_pause(2500, 0.5)
        rec.emit("click", rng.randint(40, 1200), rng.randint(40, 800))
        if rng.random() < 0.4:
            rec.human_pause(1200, 0.4)
            for _ in range(rng.randint(2, 5)):
                rec.human_pause(120, 0.3)
                rec.emit("keydown")  # dictated text arrives as a burst of keys
    return rec.session(_desktop_features(rng))


def _mobile_person(rng: random.Random) -> SessionData:
    rec = _Recorder(rng, rng.randint(300, 4000))
    for _ in range(rng.randint(3, 9)):
        rec.human_pause(1200, 0.8)
        if rng.random() < 0.4:  # a swipe to scroll
            x, y = rng.randint(50, 350), rng.randint(300, 700)
            rec.emit("touchstart", x, y)
            for _ in range(rng.randint(3, 12)):
                rec.wait(rng.uniform(14, 19))
                y -= rng.randint(5, 40)
                rec.emit("touchmove", x + rng.randint(-3, 3), y)
            rec.emit("touchend", x, y)
            rec.emit("scroll")
        x, y = rng.randint(20, 370), rng.randint(60, 800)
        rec.emit("touchstart", x, y)
        rec.wait(rng.uniform(40, 140))
        rec.emit("touchend", x, y)
        rec.emit("click", x, y)
        if rng.random() < 0.5:
            _type_text(rec, rng.randint(3, 16), 260, 0.5)
    width, height = rng.choice(_PHONE_SCREENS)
    agent = rng.choice((_IPHONE_UA, _ANDROID_UA)).format(v=rng.randint(128, 132))
    return rec.session(
        {
            "webdriver": False,
            "plugins": 0,
            "languages": rng.choice((1, 2)),
            "hardwareConcurrency": rng.choice((4, 6, 8)),
            "screen": {"width": width, "height": height},
            "userAgent": agent,
            "touch": True,
            "maxTouchPoints": 5,
        }
    )


def _no_session_person(rng: random.Random) -> SessionData:
    """Scripts blocked, or the mobile app's checkout: nothing recorded."""
    return SessionData(actions=(), browser_features={}, user_agent=_CHROME_UA.format(v=131))


_PERSON_SESSIONS: Final[tuple[tuple[str, float, Callable[[random.Random], SessionData]], ...]] = (
    ("desktop", 0.50, _desktop_person),
    ("privacy_browser", 0.08, lambda rng: _desktop_person(rng, privacy=True)),
    ("power_user", 0.08, lambda rng: _desktop_person(rng, power=True)),
    ("keyboard_only", 0.06, _keyboard_person),
    ("voice_control", 0.02, _voice_person),
    ("mobile", 0.24, _mobile_person),
    ("no_session_data", 0.02, _no_session_person),
)


def _naive_bot(rng: random.Random) -> SessionData:
    """Puppeteer/Selenium out of the box, or a plain HTTP client."""
    rec = _Recorder(rng, rng.randint(0, 50))
    if rng.random() < 0.15:
        return SessionData(
            actions=(),
            browser_features={},
            user_agent=rng.choice(("python-requests/2.32", "curl/8.5.0")),
        )
    delay = rng.choice((0, 10, 50, 100))
    for _ in range(rng.randint(3, 8)):
        rec.wait(delay)
        rec.emit("click", rng.randint(40, 1200), rng.randint(40, 800))
        for _ in range(rng.randint(0, 16)):
            rec.wait(delay)
            rec.emit("keydown")
    headless = rng.random() < 0.6
    version = rng.randint(120, 132)
    return rec.session(
        {
            "webdriver": rng.random() < 0.7,
            "plugins": 0,
            "languages": rng.choice((0, 1)),
            "hardwareConcurrency": rng.choice((2, 4)),
            "screen": {"width": 800, "height": 600}
            if headless
            else {"width": 1920, "height": 1080},
            "userAgent": (_HEADLESS_UA if headless else _CHROME_UA).format(v=version),
            "touch": False,
        }
    )


def _spoofed_features(rng: random.Random) -> dict[str, object]:
    features = _desktop_features(rng)
    features["userAgent"] = _CHROME_UA.format(v=rng.randint(126, 132))
    return features


def _scripted_bot(rng: random.Random) -> SessionData:
    """Stealth plugins hide the browser; the pointer moves in straight lines, fast."""
    rec = _Recorder(rng, rng.randint(0, 500))
    steps_per_move = rng.choice((5, 10, 20, 25))
    dispatch = rng.choice((0.5, 1.5, 3.0, 10.0))
    pause = rng.choice((200, 500, 1000))
    for _ in range(rng.randint(3, 8)):
        rec.wait(pause * rng.uniform(0.9, 1.1))
        tx, ty = rng.randint(40, 1200), rng.randint(40, 800)
        x0, y0 = rec.x, rec.y
        rec.move(
            tx,
            ty,
            _bezier(rng, (x0, y0), (x0, y0), (tx, ty), (tx, ty), noise=0.0),  # a straight line
            steps_per_move,
            lambda: dispatch * rng.uniform(0.8, 1.2),
        )
        rec.emit("click", tx, ty)
        if rng.random() < 0.6:
            low, high = rng.choice(((50, 150), (30, 90), (100, 200)))
            for _ in range(rng.randint(4, 16)):
                rec.wait(rng.uniform(low, high))
                rec.emit("keydown")
    return rec.session(_spoofed_features(rng))


def _stealthy_bot(rng: random.Random) -> SessionData:
    """ghost-cursor style: Bezier paths with Fitts-law timing and jittered delays."""
    rec = _Recorder(rng, rng.randint(200, 3000))
    humanized_pointer = rng.random() < 0.25  # adds per-point noise on top of the curve
    human_delays = rng.random() < 0.25  # lognormal delays copied from human recordings
    cv = rng.uniform(0.05, 0.35)
    frame_paced = rng.random() < 0.5
    for _ in range(rng.randint(3, 8)):
        rec.wait(_bot_delay(rng, 1200, cv, human_delays))
        tx, ty = rng.randint(40, 1200), rng.randint(40, 800)
        x0, y0 = rec.x, rec.y
        distance = math.hypot(tx - x0, ty - y0) + 1
        c1 = (
            x0 + (tx - x0) * 0.3 + rng.gauss(0, 0.2) * distance,
            y0 + (ty - y0) * 0.3 + rng.gauss(0, 0.2) * distance,
        )
        c2 = (
            x0 + (tx - x0) * 0.7 + rng.gauss(0, 0.2) * distance,
            y0 + (ty - y0) * 0.7 + rng.gauss(0, 0.2) * distance,
        )
        noise = 1.2 if humanized_pointer else 0.0

        bezier = _bezier(rng, (x0, y0), c1, c2, (tx, ty), noise=noise)
        duration = 250 + 140 * math.log2(1 + distance / 20)
        if frame_paced:
            steps = max(6, round(duration / 16.7))
            interval = _frame_interval(rng)
        else:
            steps = rng.randint(25, 100)
            interval = lambda: rng.uniform(0.5, 4.0)  # noqa: E731 - CDP dispatch
        rec.move(tx, ty, bezier, steps, interval)
        rec.wait(_bot_delay(rng, 150, cv, human_delays))
        rec.emit("click", tx, ty)
        if rng.random() < 0.6:
            for _ in range(rng.randint(4, 16)):
                rec.wait(_bot_delay(rng, 140, cv, human_delays))
                rec.emit("keydown")
    return rec.session(_spoofed_features(rng))


Point = tuple[float, float]


def _bezier(
    rng: random.Random, start: Point, c1: Point, c2: Point, end: Point, *, noise: float
) -> Callable[[float], Point]:
    """A cubic Bezier from ``start`` to ``end``, eased in and out, with optional noise."""

    def at(t: float) -> Point:
        s = t * t * (3 - 2 * t)
        u = 1 - s
        x = u**3 * start[0] + 3 * u * u * s * c1[0] + 3 * u * s * s * c2[0] + s**3 * end[0]
        y = u**3 * start[1] + 3 * u * u * s * c1[1] + 3 * u * s * s * c2[1] + s**3 * end[1]
        if noise:
            return x + rng.gauss(0, noise), y + rng.gauss(0, noise)
        return x, y

    return at


def _bot_delay(rng: random.Random, mean: float, cv: float, human_like: bool) -> float:
    if human_like:
        return rng.lognormvariate(math.log(mean), 0.5)
    return max(5.0, rng.gauss(mean, mean * cv))


_BOT_SESSIONS: Final[tuple[tuple[str, float, Callable[[random.Random], SessionData]], ...]] = (
    ("naive_bot", 0.40, _naive_bot),
    ("scripted_bot", 0.35, _scripted_bot),
    ("stealthy_bot", 0.25, _stealthy_bot),
)


# --- purchase histories --------------------------------------------------------------------

_HistoryMaker = Callable[[random.Random, str, bool, str], LabelledHistory]


@attrs.define
class _Buyer:
    """Accumulates one user's (and their device's) purchases and resales."""

    rng: random.Random
    user_id: str
    now: datetime
    devices: list[str]
    cards: list[str]
    addresses: list[str]
    purchases: list[PastPurchase] = attrs.field(factory=list)
    resales: list[PastResale] = attrs.field(factory=list)

    def buy(
        self,
        at: datetime,
        *,
        tickets: int,
        high_demand: bool,
        user_id: str | None = None,
        device: str | None = None,
    ) -> None:
        rng = self.rng
        self.purchases.append(
            PastPurchase(
                user_id=user_id or self.user_id,
                event_id=f"event-{rng.randint(1, 400 if high_demand else 5000)}",
                device_fingerprint=device or rng.choice(self.devices),
                payment_method=rng.choice(self.cards),
                address=rng.choice(self.addresses),
                tickets=tickets,
                high_demand=high_demand,
                at=at,
            )
        )

    def resell(self, count: int, low_bps: int, high_bps: int) -> None:
        for _ in range(count):
            price = self.rng.choice((4500, 7500, 12000, 25000))
            markup = self.rng.randint(low_bps, high_bps)
            self.resales.append(
                PastResale(
                    ticket_price_minor=price,
                    resale_price_minor=max(0, price + price * markup // 10_000),
                    at=self.ago(days=self.rng.uniform(0, 29)),
                )
            )

    def ago(self, *, days: float = 0, minutes: float = 0) -> datetime:
        return self.now - timedelta(days=days, minutes=minutes)

    def labelled(
        self, *, accounts_on_device: int, known: bool, is_scalper: bool, kind: str
    ) -> LabelledHistory:
        return LabelledHistory(
            user_id=self.user_id,
            history=PurchaseHistory(
                purchases=tuple(self.purchases),
                resales=tuple(self.resales),
                accounts_on_device=accounts_on_device,
                known_scalper=known,
            ),
            now=self.now,
            is_scalper=is_scalper,
            kind=kind,
        )


def _buyer(rng: random.Random, user_id: str, *, devices: int, cards: int, addresses: int) -> _Buyer:
    now = BASE_NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 7))
    return _Buyer(
        rng=rng,
        user_id=user_id,
        now=now,
        devices=[f"dev-{user_id}-{i}" for i in range(devices)],
        cards=[f"card-{user_id}-{i}" for i in range(cards)],
        addresses=[f"addr-{user_id}-{i}" for i in range(addresses)],
    )


def _mistaken_listing(rng: random.Random) -> bool:
    """known_scalpers lists devices; a second-hand laptop inherits its old owner's entry."""
    return rng.random() < 0.003


def _casual(rng: random.Random, user_id: str, is_scalper: bool, kind: str) -> LabelledHistory:
    b = _buyer(
        rng, user_id, devices=rng.choice((1, 1, 2)), cards=1 + (rng.random() < 0.1), addresses=1
    )
    for _ in range(rng.randint(0, 3)):
        b.buy(
            b.ago(days=rng.uniform(0, 29)),
            tickets=rng.choice((1, 2, 2)),
            high_demand=rng.random() < 0.3,
        )
    if rng.random() < 0.05:
        b.resell(1, -2000, 2000)
    accounts = 2 if rng.random() < 0.15 else 1
    return b.labelled(
        accounts_on_device=accounts, known=_mistaken_listing(rng), is_scalper=False, kind=kind
    )


def _family(rng: random.Random, user_id: str, is_scalper: bool, kind: str) -> LabelledHistory:
    b = _buyer(rng, user_id, devices=1, cards=rng.choice((1, 2)), addresses=1)
    members = rng.choice((2, 3, 4))
    for _ in range(rng.randint(1, 4)):
        b.buy(b.ago(days=rng.uniform(0, 29)), tickets=4, high_demand=rng.random() < 0.5)
    for member in range(1, members):  # the others in the family use the same tablet
        if rng.random() < 0.5:
            b.buy(
                b.ago(days=rng.uniform(0, 29)),
                tickets=rng.choice((1, 2)),
                high_demand=False,
                user_id=f"{user_id}-family-{member}",
                device=b.devices[0],
            )
    return b.labelled(
        accounts_on_device=members, known=_mistaken_listing(rng), is_scalper=False, kind=kind
    )


def _tour_fan(rng: random.Random, user_id: str, is_scalper: bool, kind: str) -> LabelledHistory:
    b = _buyer(
        rng,
        user_id,
        devices=rng.choice((1, 2)),
        cards=rng.choice((1, 1, 2)),
        addresses=rng.choice((1, 2)),
    )
    for _ in range(rng.randint(6, 15)):
        b.buy(
            b.ago(days=rng.uniform(0, 29)),
            tickets=rng.choice((1, 2)),
            high_demand=rng.random() < 0.9,
        )
    b.resell(rng.randint(0, 3), -1000, 4000)
    return b.labelled(
        accounts_on_device=1, known=_mistaken_listing(rng), is_scalper=False, kind=kind
    )


def _on_sale_day_buyer(
    rng: random.Random, user_id: str, is_scalper: bool, kind: str
) -> LabelledHistory:
    """Buying several dates of a tour for friends the hour it goes on sale."""
    b = _buyer(rng, user_id, devices=1, cards=rng.choice((1, 2)), addresses=1)
    for _ in range(rng.randint(3, 7)):
        b.buy(b.ago(minutes=rng.uniform(0, 55)), tickets=rng.choice((2, 4, 4)), high_demand=True)
    for _ in range(rng.randint(0, 2)):
        b.buy(b.ago(days=rng.uniform(1, 29)), tickets=2, high_demand=rng.random() < 0.5)
    return b.labelled(
        accounts_on_device=1, known=_mistaken_listing(rng), is_scalper=False, kind=kind
    )


def _shared_computer(
    rng: random.Random, user_id: str, is_scalper: bool, kind: str
) -> LabelledHistory:
    """An office, library or venue box-office computer: many accounts, one device."""
    b = _buyer(rng, user_id, devices=1, cards=1, addresses=1)
    for _ in range(rng.randint(1, 3)):
        b.buy(
            b.ago(days=rng.uniform(0, 29)),
            tickets=rng.choice((1, 2)),
            high_demand=rng.random() < 0.3,
        )
    others = rng.randint(4, 20)
    for other in range(others):
        if rng.random() < 0.3:
            b.buy(
                b.ago(days=rng.uniform(0, 29)),
                tickets=1,
                high_demand=False,
                user_id=f"{user_id}-colleague-{other}",
                device=b.devices[0],
            )
    return b.labelled(
        accounts_on_device=others + 1, known=_mistaken_listing(rng), is_scalper=False, kind=kind
    )


def _lucky_reseller(
    rng: random.Random, user_id: str, is_scalper: bool, kind: str
) -> LabelledHistory:
    """A fan who could not go and sold at what the market paid, within the venue's cap."""
    b = _buyer(rng, user_id, devices=1, cards=1, addresses=1)
    for _ in range(rng.randint(2, 5)):
        b.buy(b.ago(days=rng.uniform(0, 29)), tickets=2, high_demand=rng.random() < 0.8)
    b.resell(rng.randint(1, 3), 2000, 15000)
    return b.labelled(
        accounts_on_device=1, known=_mistaken_listing(rng), is_scalper=False, kind=kind
    )


_PERSON_HISTORIES: Final[tuple[tuple[str, float, _HistoryMaker], ...]] = (
    ("casual", 0.50, _casual),
    ("family", 0.15, _family),
    ("tour_fan", 0.14, _tour_fan),
    ("on_sale_day_buyer", 0.08, _on_sale_day_buyer),
    ("shared_computer", 0.05, _shared_computer),
    ("lucky_reseller", 0.08, _lucky_reseller),
)


def _drop_burst(rng: random.Random, b: _Buyer, count: int, tickets: tuple[int, ...]) -> None:
    for _ in range(count):
        b.buy(b.ago(minutes=rng.uniform(0, 58)), tickets=rng.choice(tickets), high_demand=True)


def _device_farm(rng: random.Random, user_id: str, is_scalper: bool, kind: str) -> LabelledHistory:
    b = _buyer(
        rng,
        user_id,
        devices=rng.randint(1, 3),
        cards=rng.randint(3, 10),
        addresses=rng.randint(2, 8),
    )
    accounts = rng.randint(5, 30)
    for _ in range(rng.randint(5, 40)):
        b.buy(
            b.ago(days=rng.uniform(0, 29)),
            tickets=rng.choice((2, 4, 6, 8)),
            high_demand=rng.random() < 0.92,
        )
    if rng.random() < 0.6:
        _drop_burst(rng, b, rng.randint(4, 15), (2, 4, 6, 8))
    for other in range(1, accounts):
        if rng.random() < 0.5:
            b.buy(
                b.ago(days=rng.uniform(0, 29)),
                tickets=4,
                high_demand=True,
                user_id=f"{user_id}-sock-{other}",
                device=b.devices[0],
            )
    b.resell(rng.randint(3, 40), 3000, 25000)
    return b.labelled(
        accounts_on_device=accounts, known=rng.random() < 0.15, is_scalper=True, kind=kind
    )


def _card_cycler(rng: random.Random, user_id: str, is_scalper: bool, kind: str) -> LabelledHistory:
    """One account per device (fresh VMs), many cards, bursts on on-sale day."""
    b = _buyer(rng, user_id, devices=1, cards=rng.randint(3, 6), addresses=rng.randint(1, 3))
    for _ in range(rng.randint(4, 20)):
        b.buy(
            b.ago(days=rng.uniform(0, 29)),
            tickets=rng.choice((2, 4)),
            high_demand=rng.random() < 0.85,
        )
    _drop_burst(rng, b, rng.randint(2, 10), (2, 4))
    b.resell(rng.randint(1, 20), 2000, 20000)
    return b.labelled(
        accounts_on_device=rng.choice((1, 1, 2)),
        known=rng.random() < 0.15,
        is_scalper=True,
        kind=kind,
    )


def _careful_scalper(
    rng: random.Random, user_id: str, is_scalper: bool, kind: str
) -> LabelledHistory:
    """One account, one or two cards, never more than a few purchases an hour."""
    b = _buyer(rng, user_id, devices=1, cards=rng.choice((1, 2)), addresses=1)
    for _ in range(rng.randint(5, 15)):
        b.buy(b.ago(days=rng.uniform(0, 29)), tickets=4, high_demand=rng.random() < 0.95)
    b.resell(rng.randint(2, 15), 2500, 15000)
    return b.labelled(accounts_on_device=1, known=rng.random() < 0.15, is_scalper=True, kind=kind)


def _new_scalper(rng: random.Random, user_id: str, is_scalper: bool, kind: str) -> LabelledHistory:
    """Started this month: buying hard, nothing resold yet."""
    b = _buyer(rng, user_id, devices=1, cards=rng.choice((1, 2, 3)), addresses=rng.choice((1, 2)))
    for _ in range(rng.randint(2, 8)):
        b.buy(b.ago(days=rng.uniform(0, 20)), tickets=rng.choice((4, 6, 8)), high_demand=True)
    _drop_burst(rng, b, rng.randint(2, 8), (4, 6, 8))
    return b.labelled(
        accounts_on_device=rng.choice((1, 2, 3)), known=False, is_scalper=True, kind=kind
    )


_SCALPER_HISTORIES: Final[tuple[tuple[str, float, _HistoryMaker], ...]] = (
    ("device_farm", 0.45, _device_farm),
    ("card_cycler", 0.25, _card_cycler),
    ("careful_scalper", 0.20, _careful_scalper),
    ("new_scalper", 0.10, _new_scalper),
)
