"""The detectors meet their precision and recall goals on traffic they were not tuned on.

Weights were tuned on seeds 1-5; 7 and 11 were chosen before looking at their results.
This can genuinely fail: the generator includes bots and scalpers built to get through.
"""

from __future__ import annotations

import pytest

from tt_fraud import BotDetector, ScalperDetector, generate_traffic, scalper_features


def precision_recall(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    tp = sum(truth and flagged for truth, flagged in pairs)
    fp = sum(flagged and not truth for truth, flagged in pairs)
    fn = sum(truth and not flagged for truth, flagged in pairs)
    return tp / (tp + fp), tp / (tp + fn)


@pytest.mark.parametrize("seed", [7, 11])
def test_goals_on_untuned_seeds(seed: int) -> None:
    traffic = generate_traffic(seed, people=2000, bots=400, scalpers=300)
    bots, scalpers = BotDetector(), ScalperDetector()

    bot_p, bot_r = precision_recall(
        [(s.is_bot, bots.assess(s.session).is_bot) for s in traffic.sessions]
    )
    scalper_p, scalper_r = precision_recall(
        [
            (
                h.is_scalper,
                scalpers.assess(scalper_features(h.user_id, h.history, h.now)).is_scalper,
            )
            for h in traffic.histories
        ]
    )

    assert bot_p >= 0.95, bot_p
    assert bot_r >= 0.90, bot_r
    assert scalper_p >= 0.90, scalper_p
    assert scalper_r >= 0.80, scalper_r


def test_the_same_seed_gives_the_same_traffic() -> None:
    assert generate_traffic(3, 20, 5, 5) == generate_traffic(3, 20, 5, 5)
    assert generate_traffic(3, 20, 5, 5) != generate_traffic(4, 20, 5, 5)
