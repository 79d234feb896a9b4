"""BotDetector: each indicator, the score arithmetic, and the people it must not flag."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from tt_fraud import (
    BOT_INDICATORS,
    DEFAULT_BOT_WEIGHTS,
    BotDetector,
    FraudInputError,
    SessionAction,
    SessionData,
    combine_weights,
)

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0"
BROWSER: dict[str, object] = {
    "webdriver": False,
    "plugins": 5,
    "languages": 2,
    "screen": {"width": 1920, "height": 1080},
    "userAgent": CHROME,
    "touch": False,
}
detector = BotDetector()


def session(actions: list[SessionAction], **features: object) -> SessionData:
    merged = BROWSER | features
    agent = merged.get("userAgent")
    return SessionData(
        actions=tuple(actions),
        browser_features=merged,
        user_agent=agent if isinstance(agent, str) else None,
    )


def hand(seed: int = 1, reaches: int = 6) -> list[SessionAction]:
    """A person: curved, trembling reaches at frame rate, a pause, a click, some typing."""
    rng = random.Random(seed)
    actions: list[SessionAction] = []
    now, x, y = 500, 100, 100
    for _ in range(reaches):
        now += rng.randint(600, 2500)
        tx, ty = rng.randint(100, 1100), rng.randint(100, 700)
        bend = rng.uniform(-80, 80)
        for step in range(1, 31):
            t = step / 30
            now += rng.choice((16, 17, 17, 33))
            x = round(x + (tx - x) * t + bend * math.sin(math.pi * t) + rng.gauss(0, 2))
            y = round(y + (ty - y) * t + rng.gauss(0, 2))
            actions.append(SessionAction(type="mousemove", at_ms=now, x=x, y=y))
        now += round(rng.lognormvariate(math.log(200), 0.6))
        actions.append(SessionAction(type="click", at_ms=now, x=x, y=y))
        for _ in range(rng.randint(3, 10)):
            now += round(rng.lognormvariate(math.log(180), 0.5))
            actions.append(SessionAction(type="keydown", at_ms=now))
    return actions


def keys(gaps: list[int], start: int = 1000) -> list[SessionAction]:
    actions, now = [], start
    for gap in gaps:
        now += gap
        actions.append(SessionAction(type="keydown", at_ms=now))
    return actions


def indicators(data: SessionData) -> tuple[str, ...]:
    return detector.assess(data).indicators


def test_a_person_with_a_mouse_shows_nothing() -> None:
    for seed in range(5):
        assessment = detector.assess(session(hand(seed)))
        assert assessment.indicators == ()
        assert assessment.score == Decimal("0.00")
        assert not assessment.is_bot


def test_webdriver_alone_is_a_bot() -> None:
    assessment = detector.assess(session(hand(), webdriver=True))

    assert assessment.indicators == ("webdriver",)
    assert assessment.score == Decimal("0.90")
    assert assessment.is_bot


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0.0.0",
        "python-requests/2.32.3",
        "curl/8.5.0",
        "Mozilla/5.0 PhantomJS/2.1.1",
    ],
)
def test_a_headless_user_agent_is_a_bot(agent: str) -> None:
    assessment = detector.assess(session(hand(), userAgent=agent))

    assert "headless_user_agent" in assessment.indicators
    assert assessment.is_bot


def test_no_plugins_on_a_desktop_is_a_weak_hint_and_phones_have_none() -> None:
    privacy = detector.assess(session(hand(), plugins=0))
    phone = session([SessionAction(type="touchstart", at_ms=10, x=5, y=5)], plugins=0, touch=True)

    assert privacy.indicators == ("no_plugins",)
    assert privacy.score == Decimal("0.15")
    assert "no_plugins" not in indicators(phone)


def test_no_languages_and_a_headless_screen_are_hints() -> None:
    found = indicators(session(hand(), languages=0, screen={"width": 800, "height": 600}))

    assert found == ("no_languages", "headless_screen")


def test_clicks_without_any_pointer_movement() -> None:
    clicks = [SessionAction(type="click", at_ms=1000 * i, x=300, y=200) for i in range(1, 4)]

    assert indicators(session(clicks)) == ("no_mouse_movement",)


def test_keyboard_only_users_click_at_the_origin_and_are_not_flagged() -> None:
    actions = [*keys([400, 900, 350]), SessionAction(type="click", at_ms=2700, x=0, y=0)]
    actions += [
        *keys([300, 1200, 700], start=2700),
        SessionAction(type="click", at_ms=5000, x=0, y=0),
    ]

    assert indicators(session(actions)) == ()


def test_a_ruler_straight_pointer_is_linear_mouse() -> None:
    actions = [
        SessionAction(type="mousemove", at_ms=1000 + 16 * i, x=100 + 10 * i, y=100 + 5 * i)
        for i in range(30)
    ]
    actions.append(SessionAction(type="click", at_ms=3000, x=390, y=245))

    assert indicators(session(actions)) == ("linear_mouse",)


def test_a_generated_curve_without_tremor_is_smooth_mouse() -> None:
    actions = []
    for i in range(80):
        t = i / 79
        s = t * t * (3 - 2 * t)
        x, y = 100 + 800 * s, 100 + 120 * math.sin(math.pi * s)
        actions.append(SessionAction(type="mousemove", at_ms=1000 + 17 * i, x=round(x), y=round(y)))
    actions.append(SessionAction(type="click", at_ms=3000, x=900, y=100))

    assert indicators(session(actions)) == ("smooth_mouse",)


def test_metronome_timing_is_uniform_timing() -> None:
    assert indicators(session(keys([100] * 12))) == ("uniform_timing",)


def test_human_typing_is_not_uniform() -> None:
    assert indicators(session(keys([180, 95, 240, 130, 410, 160, 88, 300, 150, 220]))) == ()


def test_four_clicks_in_a_burst_are_rapid_clicking_and_a_double_click_is_not() -> None:
    double = [
        *hand(),
        SessionAction(type="click", at_ms=99000, x=5, y=5),
        SessionAction(type="click", at_ms=99090, x=5, y=5),
    ]
    burst = hand() + [
        SessionAction(type="click", at_ms=99_000 + 50 * i, x=5, y=5) for i in range(4)
    ]

    assert "rapid_clicking" not in indicators(session(double))
    assert "rapid_clicking" in indicators(session(burst))


def test_a_pointer_faster_than_a_hand_is_superhuman_speed() -> None:
    actions = [
        SessionAction(type="mousemove", at_ms=1000 + i, x=100 + 40 * i, y=100 + 20 * i + i % 2 * 9)
        for i in range(20)
    ]
    actions.append(SessionAction(type="click", at_ms=1200, x=860, y=480))

    assert "superhuman_speed" in indicators(session(actions))


def test_a_checkout_done_in_under_a_second_and_a_half_is_superhuman_speed() -> None:
    actions = [*keys([100, 300]), SessionAction(type="click", at_ms=1900, x=0, y=0)]

    assert indicators(session(actions)) == ("superhuman_speed",)


def test_clicks_the_instant_the_pointer_arrives_are_instant_click() -> None:
    actions = []
    for reach in hand(3):
        actions.append(reach)
    instant = [
        a if a.type != "click" else SessionAction(type="click", at_ms=a.at_ms, x=a.x, y=a.y)
        for a in actions
    ]
    # Move each click to 2 ms after the move that precedes it.
    for i, action in enumerate(instant):
        if action.type == "click":
            previous = instant[i - 1]
            instant[i] = SessionAction(
                type="click", at_ms=previous.at_ms + 2, x=action.x, y=action.y
            )

    assert "instant_click" in indicators(session(instant))


def test_no_session_data_is_a_weak_hint() -> None:
    assessment = detector.assess(SessionData.empty())

    assert assessment.indicators == ("no_session_data",)
    assert not assessment.is_bot


def test_one_behavioural_indicator_alone_is_not_a_bot_but_two_are() -> None:
    one = detector.assess(session(keys([100] * 12)))
    two = detector.assess(session(keys([100] * 12), webdriver=False, plugins=0, languages=0))
    clicks = [SessionAction(type="click", at_ms=1000 + 100 * i, x=300, y=200) for i in range(12)]
    robotic = detector.assess(session(clicks))

    assert (one.score, one.is_bot) == (Decimal("0.50"), False)
    assert two.score == combine_weights([Decimal("0.50"), Decimal("0.30"), Decimal("0.15")])
    assert not two.is_bot
    assert {"rapid_clicking", "uniform_timing", "no_mouse_movement"} <= set(robotic.indicators)
    assert robotic.is_bot


def test_the_threshold_is_strictly_greater() -> None:
    at_threshold = BotDetector(threshold=Decimal("0.90"))

    assert not at_threshold.assess(session(hand(), webdriver=True)).is_bot


def test_weights_are_data_and_validated() -> None:
    lenient = BotDetector(weights={"webdriver": Decimal("0.5")})

    assert lenient.assess(session(hand(), webdriver=True)).score == Decimal("0.50")
    assert set(BOT_INDICATORS) >= {"rapid_clicking", "linear_mouse", "no_mouse_movement"}
    with pytest.raises(FraudInputError):
        BotDetector(weights={"made_up": Decimal("0.5")})
    with pytest.raises(FraudInputError):
        BotDetector(weights={"webdriver": Decimal("1.5")})


def test_signals_carry_the_weights_and_details() -> None:
    assessment = detector.assess(session(hand(), webdriver=True))

    assert [(s.name, s.weight) for s in assessment.signals] == [("bot.webdriver", Decimal("0.90"))]
    assert assessment.signals[0].detail == "navigator.webdriver is true"


# --- how a hand aims: corrective sub-movements, bell-shaped speed, clicks where the pointer is


def minimum_jerk_reach(
    rng: random.Random,
    start: tuple[int, int],
    target: tuple[int, int],
    now: int,
    *,
    overshoot: float,
    tremor: float = 1.5,
) -> tuple[list[SessionAction], int]:
    """A hand's reach: a minimum-jerk stroke (bell-shaped speed) at 60 Hz with tremor,
    overshooting the target by ``overshoot`` of the distance and correcting back."""
    (x0, y0), (x1, y1) = start, target
    actions = []
    steps = 30
    for step in range(1, steps + 1):
        t = step / steps
        s = 10 * t**3 - 15 * t**4 + 6 * t**5
        s = s * (1 + overshoot) - overshoot * max(0.0, (t - 0.8) / 0.2)
        jitter = (rng.gauss(0, tremor), rng.gauss(0, tremor)) if step < steps else (0.0, 0.0)
        now += rng.choice((16, 17, 17, 17, 33))
        x = round(x0 + (x1 - x0) * s + jitter[0])
        y = round(y0 + (y1 - y0) * s + jitter[1])
        actions.append(SessionAction(type="mousemove", at_ms=now, x=x, y=y))
    return actions, now


def eased_bezier_reach(
    start: tuple[int, int],
    target: tuple[int, int],
    now: int,
    *,
    bend: float,
    steps: int = 30,
    noise: random.Random | None = None,
) -> tuple[list[SessionAction], int]:
    """A ghost-cursor style reach: a cubic Bezier eased with smoothstep, one point a frame,
    arriving exactly at the target (or, with ``noise``, with 1-2 px noise on every point)."""
    (x0, y0), (x1, y1) = start, target
    c1 = (x0 + (x1 - x0) * 0.3 + bend, y0 + (y1 - y0) * 0.3 - bend)
    c2 = (x0 + (x1 - x0) * 0.7 - bend, y0 + (y1 - y0) * 0.7 + bend)
    actions = []
    for step in range(1, steps + 1):
        t = step / steps
        s = t * t * (3 - 2 * t)
        u = 1 - s
        x = u**3 * x0 + 3 * u * u * s * c1[0] + 3 * u * s * s * c2[0] + s**3 * x1
        y = u**3 * y0 + 3 * u * u * s * c1[1] + 3 * u * s * s * c2[1] + s**3 * y1
        if noise is not None:
            x, y = x + noise.gauss(0, 1.5), y + noise.gauss(0, 1.5)
        now += 17
        actions.append(SessionAction(type="mousemove", at_ms=now, x=round(x), y=round(y)))
    return actions, now


TARGETS = [(900, 200), (300, 650), (1100, 600), (200, 150), (700, 400), (150, 700)]


def aimed_session(
    reach: str, *, click_at_target: bool = False, seed: int = 4
) -> list[SessionAction]:
    """Six reaches, each followed by a human pause and a click, then a human pause."""
    rng = random.Random(seed)
    actions: list[SessionAction] = []
    now, position = 1000, (500, 500)
    for index, target in enumerate(TARGETS):
        now += round(rng.lognormvariate(math.log(1400), 0.6))
        if reach == "hand":
            overshoot = (0.03, 0.0, 0.05, 0.02, 0.0, 0.04)[index]
            path, now = minimum_jerk_reach(rng, position, target, now, overshoot=overshoot)
        else:
            bend = (60.0, -90.0, 40.0, -120.0, 80.0, -50.0)[index]
            noisy = rng if reach == "noisy_bezier" else None
            path, now = eased_bezier_reach(position, target, now, bend=bend, noise=noisy)
        actions += path
        now += round(rng.lognormvariate(math.log(180), 0.5))
        last = path[-1]
        x, y = target if click_at_target else (last.x, last.y)
        actions.append(SessionAction(type="click", at_ms=now, x=x, y=y))
        position = target
    return actions


AIMING = ("click_off_pointer", "no_corrective_movement", "unnatural_velocity_profile")


def test_a_hand_that_overshoots_and_corrects_shows_no_aiming_indicator() -> None:
    for seed in range(5):
        found = indicators(session(aimed_session("hand", seed=seed)))

        assert not set(found) & set(AIMING), found


def test_the_existing_human_fixture_shows_no_aiming_indicator() -> None:
    for seed in range(5):
        assert not set(indicators(session(hand(seed)))) & set(AIMING)


def test_reaches_that_land_exactly_every_time_are_no_corrective_movement() -> None:
    found = indicators(session(aimed_session("bezier")))

    assert "no_corrective_movement" in found


def test_a_hand_that_lands_without_overshooting_is_not_flagged_with_few_reaches() -> None:
    rng = random.Random(9)
    actions: list[SessionAction] = []
    now, position = 1000, (500, 500)
    for target in TARGETS[:3]:  # three clean landings are common for a person
        now += 1500
        path, now = minimum_jerk_reach(rng, position, target, now, overshoot=0.0)
        actions += path
        now += 200
        actions.append(SessionAction(type="click", at_ms=now, x=path[-1].x, y=path[-1].y))
        position = target

    assert "no_corrective_movement" not in indicators(session(actions))


def test_an_eased_spline_has_an_unnatural_velocity_profile_and_a_hand_does_not() -> None:
    assert "unnatural_velocity_profile" in indicators(session(aimed_session("bezier")))
    assert "unnatural_velocity_profile" not in indicators(session(aimed_session("hand")))


def test_constant_speed_reaches_have_an_unnatural_velocity_profile() -> None:
    actions: list[SessionAction] = []
    now, (x, y) = 1000, (100, 100)
    for reach in range(4):
        now += 1500
        direction = 1 if reach % 2 == 0 else -1
        for _ in range(20):  # 15 px every frame, start to stop: a flat profile
            now += 17
            x += 15 * direction
            y += 3 + reach % 2
            actions.append(SessionAction(type="mousemove", at_ms=now, x=x, y=y))
        now += 250
        actions.append(SessionAction(type="click", at_ms=now, x=x, y=y))

    assert "unnatural_velocity_profile" in indicators(session(actions))


def test_clicks_away_from_the_pointer_are_click_off_pointer() -> None:
    off = indicators(session(aimed_session("noisy_bezier", click_at_target=True)))
    where_the_pointer_is = indicators(session(aimed_session("noisy_bezier")))

    assert "click_off_pointer" in off
    assert "click_off_pointer" not in where_the_pointer_is


def test_keyboard_clicks_and_a_single_stray_click_are_not_click_off_pointer() -> None:
    actions = aimed_session("hand")
    # Enter on a button reports (0, 0); one click a few px off (a missed mousemove).
    strayed = [
        SessionAction(type="click", at_ms=a.at_ms, x=(a.x or 0) + 4, y=a.y)
        if a.type == "click" and index == len(actions) - 1
        else SessionAction(type="click", at_ms=a.at_ms, x=0, y=0)
        if a.type == "click" and index < 20
        else a
        for index, a in enumerate(actions)
    ]

    assert "click_off_pointer" not in indicators(session(strayed))


def test_one_aiming_indicator_alone_never_makes_a_bot() -> None:
    for name in AIMING:
        assert DEFAULT_BOT_WEIGHTS[name] < Decimal("0.70")
    assessment = detector.assess(session(aimed_session("bezier")))
    assert set(assessment.indicators) <= {
        "no_corrective_movement",
        "unnatural_velocity_profile",
        "smooth_mouse",
    }


def test_a_two_reach_splice_at_a_click_is_two_straight_lines() -> None:
    """A click ends a reach: two straight moves joined by a quick click are linear."""
    actions: list[SessionAction] = []
    now = 1000
    for start, end in (((100, 100), (700, 400)), ((700, 400), (200, 650))):
        for i in range(1, 21):
            now += 2
            x = round(start[0] + (end[0] - start[0]) * i / 20)
            y = round(start[1] + (end[1] - start[1]) * i / 20)
            actions.append(SessionAction(type="mousemove", at_ms=now, x=x, y=y))
        actions.append(SessionAction(type="click", at_ms=now, x=end[0], y=end[1]))
        now += 200

    assert "linear_mouse" in indicators(session(actions))
