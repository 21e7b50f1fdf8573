"""The queue pause rules (spec §5.10) in paddles_mongo/domain/queues.py."""
from datetime import datetime, timedelta

import pytest

from paddles_mongo.domain.queues import is_paused, plan_queue_update
from paddles_mongo.exceptions import Forbidden, InvalidInput

NOW = datetime(2026, 1, 2, 3, 4, 5)
PAUSED = {"queue": "smithi", "paused": True, "paused_by": "alice",
          "paused_since": NOW - timedelta(minutes=5), "paused_until": NOW + timedelta(minutes=5)}
EXPIRED = {**PAUSED, "paused_until": NOW - timedelta(seconds=1)}
NEVER_PAUSED = {"queue": "smithi", "paused": False, "paused_by": None, "paused_since": None,
                "paused_until": None}


@pytest.mark.parametrize("queue,paused", [
    (NEVER_PAUSED, False),
    ({"queue": "smithi"}, False),
    (PAUSED, True),
    ({**PAUSED, "paused_until": NOW}, True),  # up to and including its end
    (EXPIRED, False),
])
def test_a_queue_is_paused_until_its_pause_ends(queue, paused):
    assert is_paused(queue, NOW) is paused


@pytest.mark.parametrize("current", [None, NEVER_PAUSED, EXPIRED])
def test_a_pause_runs_from_now_for_its_duration(current):
    fields = plan_queue_update(current, {"pause_duration": 600, "paused_by": "bob"}, NOW)
    assert fields == {"paused_by": "bob", "paused_since": NOW,
                      "paused_until": NOW + timedelta(seconds=600)}


def test_a_paused_queue_cannot_be_paused_again():
    with pytest.raises(Forbidden, match="^Cannot pause an already-paused queue$"):
        plan_queue_update(PAUSED, {"pause_duration": 60, "paused_by": "bob"}, NOW)


@pytest.mark.parametrize("current", [None, NEVER_PAUSED])
@pytest.mark.parametrize("paused_by", [None, ""])
def test_a_pause_needs_paused_by(current, paused_by):
    with pytest.raises(InvalidInput, match="^Cannot pause without specifying paused_by$"):
        plan_queue_update(current, {"pause_duration": 60, "paused_by": paused_by}, NOW)
    with pytest.raises(InvalidInput):
        plan_queue_update(current, {"pause_duration": 60}, NOW)


def test_the_already_paused_check_comes_first():
    with pytest.raises(Forbidden):
        plan_queue_update(PAUSED, {"pause_duration": 60}, NOW)


def test_without_a_duration_the_pause_fields_are_set_as_given_and_nothing_else():
    request = {"queue": "smithi", "paused_by": "carol", "paused_until": NOW, "other": 1}
    assert plan_queue_update(PAUSED, request, NOW) == {"paused_by": "carol",
                                                       "paused_until": NOW}
    assert plan_queue_update(None, {"queue": "smithi"}, NOW) == {}
    # No duration, so no pause rule applies, even to a paused queue.
    assert plan_queue_update(PAUSED, {"paused_since": None}, NOW) == {"paused_since": None}


def test_a_duration_overrides_given_pause_times():
    fields = plan_queue_update(None, {"pause_duration": 0, "paused_by": "bob",
                                      "paused_since": EXPIRED["paused_since"],
                                      "paused_until": EXPIRED["paused_until"]}, NOW)
    assert fields == {"paused_by": "bob", "paused_since": NOW, "paused_until": NOW}
