"""The study-plan engine behind ``deckgen plan``: pacing, errors, FSRS reviews, outputs."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deckgen.plan import (
    Plan,
    PlanError,
    PlanSettings,
    make_plan,
    plan_chart,
    plan_csv,
    plan_json,
    plan_table,
    required_new_per_day,
)

TODAY = date(2025, 3, 3)
LECTURES = [("Intro", 7), ("Trees", 12), ("Empty", 0), ("Graphs", 11)]  # 30 cards


def settings(**changes: Any) -> PlanSettings:
    """Ten days of introductions (ready date 2025-03-12), interview on 2025-03-19."""
    base = PlanSettings(today=TODAY, interview=TODAY + timedelta(days=16))
    return replace(base, **changes)


def test_days_cover_today_to_the_day_before_the_interview() -> None:
    plan = make_plan(LECTURES, settings())
    assert [d.date for d in plan.days] == [TODAY + timedelta(days=i) for i in range(16)]
    assert plan.ready_date == date(2025, 3, 12)
    assert plan.total_cards == 30


@pytest.mark.parametrize("pace", [None, 3, 4, 7, 30, 100])
def test_every_card_is_introduced_by_the_ready_date(pace: int | None) -> None:
    plan = make_plan(LECTURES, settings(new_per_day=pace))
    assert sum(d.new for d in plan.days) == 30
    assert all(d.new == 0 for d in plan.days if d.date > plan.ready_date)
    assert all(0 <= d.new <= plan.new_per_day for d in plan.days)
    # In order: full days first, then at most one partial day, then nothing.
    news = [d.new for d in plan.days]
    full = 30 // plan.new_per_day
    assert news[:full] == [plan.new_per_day] * full
    assert sum(news[full:]) == 30 % plan.new_per_day


@pytest.mark.parametrize(
    ("total", "interview_in", "ready_days", "days"),
    [
        (30, 16, 7, 10),  # ready date 2025-03-12: Mar 3 .. Mar 12 inclusive
        (120, 17, 7, 11),
        (1000, 60, 7, 54),
        (5, 7, 7, 1),  # the ready date is today: one day
        (7, 2, 1, 2),
    ],
)
def test_derived_pace_is_ceil_of_cards_over_days(
    total: int, interview_in: int, ready_days: int, days: int
) -> None:
    interview = TODAY + timedelta(days=interview_in)
    # days = (interview - ready_days - today).days + 1: today and the ready date both count.
    assert (interview - timedelta(days=ready_days) - TODAY).days + 1 == days
    needed = required_new_per_day(total, TODAY, interview, ready_days)
    assert needed == math.ceil(total / days)
    plan = make_plan([("All", total)], PlanSettings(TODAY, interview, ready_days=ready_days))
    assert plan.new_per_day == needed
    # One card/day fewer would miss the ready date.
    if needed > 1:
        assert (needed - 1) * days < total


def test_required_pace_hand_checked() -> None:
    assert required_new_per_day(30, TODAY, date(2025, 3, 19), 7) == 3
    assert required_new_per_day(31, TODAY, date(2025, 3, 19), 7) == 4
    assert required_new_per_day(0, TODAY, date(2025, 3, 19), 7) == 0


def test_too_small_pace_says_what_is_needed() -> None:
    with pytest.raises(PlanError) as error:
        make_plan(LECTURES, settings(new_per_day=2))
    message = str(error.value)
    assert "at least 3 new cards/day" in message
    assert "2025-03-12" in message  # the ready date
    # Exactly enough is fine.
    assert make_plan(LECTURES, settings(new_per_day=3)).new_per_day == 3


@pytest.mark.parametrize(
    ("interview", "words"),
    [
        (TODAY - timedelta(days=3), "in the past"),
        (TODAY, "today"),
        (TODAY + timedelta(days=1), "all 30 cards today"),  # ready date long past
        (TODAY + timedelta(days=6), "all 30 cards today"),  # ready date yesterday
    ],
)
def test_past_or_too_close_interview(interview: date, words: str) -> None:
    with pytest.raises(PlanError, match="30 cards") as error:
        make_plan(LECTURES, settings(interview=interview))
    assert words in str(error.value)
    with pytest.raises(PlanError, match="30 cards"):
        required_new_per_day(30, TODAY, interview, 7)


def test_ready_date_today_is_allowed() -> None:
    plan = make_plan(LECTURES, settings(interview=TODAY + timedelta(days=7)))
    assert plan.ready_date == TODAY
    assert plan.new_per_day == 30
    assert [d.new for d in plan.days] == [30] + [0] * 6


@pytest.mark.parametrize(
    "changes",
    [
        {"desired_retention": 0.7},
        {"desired_retention": 0.5},
        {"desired_retention": 0.995},
        {"desired_retention": 1.0},
        {"new_per_day": 0},
        {"new_per_day": -4},
        {"good_rate": 0.0},
        {"good_rate": 1.2},
        {"ready_days": 0},
        {"ready_days": -1},
    ],
)
def test_invalid_settings(changes: dict[str, object]) -> None:
    with pytest.raises(PlanError):
        make_plan(LECTURES, settings(**changes))


def test_valid_edges_of_the_ranges() -> None:
    make_plan(LECTURES, settings(desired_retention=0.99, good_rate=1.0))
    make_plan(LECTURES, settings(desired_retention=0.71, good_rate=0.01))


def test_invalid_lectures() -> None:
    with pytest.raises(PlanError, match="no cards"):
        make_plan([("Empty", 0)], settings())
    with pytest.raises(PlanError):
        make_plan([("Broken", -1)], settings())


def test_lectures_listed_in_order_on_each_day_they_are_introduced() -> None:
    plan = make_plan(LECTURES, settings(new_per_day=5))
    # Cards 0-6 Intro, 7-18 Trees, 19-29 Graphs; five a day.
    assert [d.lectures for d in plan.days[:7]] == [
        ("Intro",),
        ("Intro", "Trees"),
        ("Trees",),
        ("Trees", "Graphs"),
        ("Graphs",),
        ("Graphs",),
        (),
    ]
    assert all(d.lectures == () for d in plan.days[6:])
    assert all("Empty" not in d.lectures for d in plan.days)


def test_one_day_can_span_several_lectures() -> None:
    plan = make_plan([("A", 1), ("B", 1), ("C", 1), ("D", 2)], settings(new_per_day=4))
    assert [d.new for d in plan.days[:3]] == [4, 1, 0]
    assert plan.days[0].lectures == ("A", "B", "C", "D")
    assert plan.days[1].lectures == ("D",)


def test_same_inputs_give_equal_plans_and_the_seed_matters() -> None:
    first = make_plan(LECTURES, settings(seed=7))
    assert make_plan(LECTURES, settings(seed=7)) == first
    other = make_plan(LECTURES, settings(seed=8))
    assert [d.reviews for d in other.days] != [d.reviews for d in first.days]
    assert [d.new for d in other.days] == [d.new for d in first.days]


def test_reviews_are_non_negative_and_grow_after_the_first_day() -> None:
    plan = make_plan(LECTURES, settings())
    reviews = [d.reviews for d in plan.days]
    assert all(r >= 0 for r in reviews)
    # Day one: only the learning steps of the first new cards (at least one review each).
    assert reviews[0] >= plan.days[0].new
    # While new cards keep coming, earlier cards come back due: more reviews than day one.
    intro = [r for d, r in zip(plan.days, reviews, strict=True) if d.date <= plan.ready_date]
    assert max(intro[1:]) > reviews[0]
    # Cards introduced earlier still come back after the last new card.
    assert sum(r for d, r in zip(plan.days, reviews, strict=True) if d.new == 0) > 0


def _direct_reviews(
    starts: list[int], horizon: int, good_rate: float, retention: float, seed: int, passes: int
) -> list[float]:
    """Independent reference: simulate every card separately with fsrs, ``passes`` times."""
    from fsrs import Card, Rating, Scheduler

    scheduler = Scheduler(desired_retention=retention, enable_fuzzing=False)
    rng = random.Random(seed)
    counts = [0] * horizon
    day0 = datetime(2030, 6, 1, tzinfo=UTC)
    for _ in range(passes):
        for number, start in enumerate(starts):
            now = day0 + timedelta(days=start, hours=9)
            card = Card(card_id=number + 1, due=now)
            for day in range(start, horizon):
                morning = day0 + timedelta(days=day, hours=9)
                midnight = day0 + timedelta(days=day + 1)
                while card.due < midnight:
                    when = max(card.due, morning)
                    rating = Rating.Good if rng.random() < good_rate else Rating.Again
                    card, _ = scheduler.review_card(card, rating, when)
                    counts[day] += 1
    return [c / passes for c in counts]


def _starts(plan: Plan) -> list[int]:
    return [index for index, day in enumerate(plan.days) for _ in range(day.new)]


def test_reviews_match_fsrs_exactly_when_every_answer_is_good() -> None:
    plan = make_plan(LECTURES, settings(good_rate=1.0, desired_retention=0.9))
    # Two learning steps (1m, 10m) answered Good: exactly two reviews per new card on day one.
    assert plan.days[0].reviews == 2 * plan.days[0].new
    expected = _direct_reviews(_starts(plan), len(plan.days), 1.0, 0.9, seed=1, passes=1)
    assert [d.reviews for d in plan.days] == pytest.approx(expected)
    assert any(r > 2 * d.new for r, d in zip(expected, plan.days, strict=True))


def test_expected_reviews_agree_with_an_independent_simulation() -> None:
    plan = make_plan(LECTURES, settings(good_rate=0.7, desired_retention=0.85))
    reference = _direct_reviews(_starts(plan), len(plan.days), 0.7, 0.85, seed=99, passes=60)
    assert plan.total_reviews == pytest.approx(sum(reference), rel=0.06)
    for planned, ref in zip(plan.days, reference, strict=True):
        assert planned.reviews == pytest.approx(ref, rel=0.25, abs=2.0)


def test_higher_retention_means_more_reviews() -> None:
    low = make_plan(LECTURES, settings(desired_retention=0.8))
    high = make_plan(LECTURES, settings(desired_retention=0.97))
    assert high.total_reviews > low.total_reviews * 1.2


def test_learning_steps_of_the_preset_are_simulated() -> None:
    short = make_plan(LECTURES, settings(good_rate=1.0))
    day_step = make_plan(LECTURES, settings(good_rate=1.0, learning_steps=(1.0, 10.0, 1440.0)))
    # A one-day learning step adds a review the day after each introduction.
    assert day_step.days[1].reviews > short.days[1].reviews
    assert "1m 10m 1d" in day_step.assumption
    with pytest.raises(PlanError, match="learning_steps"):
        make_plan(LECTURES, settings(learning_steps=(0.0,)))


def test_assumption_states_the_answer_quality() -> None:
    plan = make_plan(LECTURES, settings(good_rate=0.8))
    assert "80%" in plan.assumption
    assert "Good" in plan.assumption and "Again" in plan.assumption


def test_table_lists_every_date() -> None:
    plan = make_plan(LECTURES, settings())
    table = plan_table(plan)
    for day in plan.days:
        assert day.date.isoformat() in table
    assert plan.assumption in table
    assert "30 cards" in table and "3 new/day" in table and "2025-03-12" in table
    row = next(line for line in table.splitlines() if line.startswith("2025-03-03"))
    assert row.split()[:4] == ["2025-03-03", "Mon", "3", str(round(plan.days[0].reviews))]
    assert row.endswith("Intro")


def test_json_round_trips() -> None:
    plan = make_plan(LECTURES, settings(new_per_day=4))
    data = json.loads(plan_json(plan))
    assert data["new_per_day"] == 4
    assert data["ready_date"] == "2025-03-12"
    assert data["total_cards"] == 30
    assert data["assumption"] == plan.assumption
    assert data["settings"]["today"] == "2025-03-03"
    assert data["settings"]["new_per_day"] == 4
    assert [d["date"] for d in data["days"]] == [d.date.isoformat() for d in plan.days]
    assert [d["new"] for d in data["days"]] == [d.new for d in plan.days]
    assert [d["lectures"] for d in data["days"]] == [list(d.lectures) for d in plan.days]
    assert [d["reviews"] for d in data["days"]] == pytest.approx(
        [d.reviews for d in plan.days], abs=0.005
    )


def test_csv_parses() -> None:
    plan = make_plan([("Intro, part 1", 7), ('Trees "deep"', 12)], settings(new_per_day=5))
    rows = list(csv.reader(io.StringIO(plan_csv(plan))))
    assert rows[0] == ["date", "new", "reviews", "lectures"]
    assert [r[0] for r in rows[1:]] == [d.date.isoformat() for d in plan.days]
    assert [int(r[1]) for r in rows[1:]] == [d.new for d in plan.days]
    assert [float(r[2]) for r in rows[1:]] == pytest.approx(
        [d.reviews for d in plan.days], abs=0.01
    )
    assert rows[2][3] == 'Intro, part 1; Trees "deep"'


@pytest.mark.parametrize("name", ["plan.png", "PLAN.PNG"])
def test_chart_png(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    plan_chart(make_plan(LECTURES, settings()), path)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 5000


def test_chart_svg(tmp_path: Path) -> None:
    path = tmp_path / "plan.svg"
    plan_chart(make_plan(LECTURES, settings()), path)
    text = path.read_text("utf-8")
    assert "<svg" in text
    assert "<path" in text


def test_chart_rejects_other_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        plan_chart(make_plan(LECTURES, settings()), tmp_path / "plan.pdf")
    assert not (tmp_path / "plan.pdf").exists()


def test_importing_is_cheap() -> None:
    code = (
        "import sys, deckgen.plan; "
        "print(sorted(m for m in ('matplotlib', 'fsrs', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_thousand_cards_over_sixty_days_is_fast() -> None:
    lectures = [(f"Lecture {i}", 50) for i in range(20)]
    start = time.perf_counter()
    plan = make_plan(lectures, PlanSettings(today=TODAY, interview=TODAY + timedelta(days=60)))
    elapsed = time.perf_counter() - start
    assert sum(d.new for d in plan.days) == 1000
    assert elapsed < 2.0


def test_review_limit_says_what_would_fit() -> None:
    from deckgen.plan import review_limit

    lectures = [(f"L{i}", 40) for i in range(10)]  # 400 cards in 10 days: a heavy plan
    plan = make_plan(lectures, settings())
    peak = max(day.reviews for day in plan.days)
    assert review_limit(plan, lectures, math.ceil(peak)) is None
    limit = int(peak * 0.5)
    over = review_limit(plan, lectures, limit)
    assert over is not None and over.peak == peak and over.limit == limit
    assert over.pace is not None and over.pace < plan.new_per_day
    assert over.start_by is not None and over.interview_from is not None
    assert over.start_by < TODAY < plan.settings.interview < over.interview_from
    assert 0 < over.lectures < len(lectures) and over.cards == 40 * over.lectures

    def busiest(plan: Plan) -> float:
        return max(day.reviews for day in plan.days)

    # Each suggestion, planned for real, stays under the limit (the suggestions come from
    # one longer simulation: allow its sampling noise).
    later = make_plan(lectures, settings(interview=over.interview_from))
    earlier = make_plan(lectures, settings(today=over.start_by))
    fewer = make_plan(lectures[: over.lectures], settings())
    for fitted in (later, earlier, fewer):
        assert busiest(fitted) <= limit * 1.05
    # ... and they are not far off: a week less, or one lecture more, would not fit.
    week = timedelta(days=7)
    assert busiest(make_plan(lectures, settings(interview=over.interview_from - week))) > limit
    assert busiest(make_plan(lectures, settings(today=over.start_by + week))) > limit
    assert busiest(make_plan(lectures[: over.lectures + 1], settings())) > limit
    message = over.message(plan.total_cards, plan.settings.interview)
    assert f"more than the daily review limit of {limit}:" in message
    assert f"start by {over.start_by}" in message
    assert f"move the interview to {over.interview_from} or later" in message
    assert f"the first {over.lectures} lectures ({over.cards} of 400 cards)" in message
