"""Study plan for an interview date: when to introduce each card, and the reviews that follow.

Cards are introduced in course order (lecture by lecture, each lecture's cards in order) at a
fixed number of new cards per day, starting today, so that every card is introduced on or
before the *ready date* (``ready_days`` days before the interview). The expected number of
reviews on each day comes from simulating cards with the FSRS scheduler (the ``fsrs`` package,
default parameters, the chosen desired retention, no fuzzing).

How the reviews are estimated: a card's review history depends only on how many days have passed
since it was introduced (FSRS works on elapsed time), so every card introduced on the same day has
the same expected review count on each later day. The module therefore simulates many independent
cards from their introduction day up to the longest horizon the plan needs, answering each review
"Good" with probability ``good_rate`` and "Again" otherwise (a ``random.Random(seed)`` makes this
deterministic), averages them into an expected-reviews-per-day-since-introduction curve, and adds
that curve up over the introduction schedule. Learning and relearning steps are reviewed on the
same day they fall due; a card due on a later day is reviewed on that day.

This module is pure: it reads no files (except :func:`plan_chart`, which writes one) and prints
nothing. ``matplotlib`` is imported only by :func:`plan_chart`.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Plan",
    "PlanDay",
    "PlanError",
    "PlanSettings",
    "ReviewLimit",
    "make_plan",
    "plan_chart",
    "plan_csv",
    "plan_json",
    "plan_table",
    "required_new_per_day",
    "review_limit",
]

# Simulation effort: up to _MAX_SAMPLES simulated cards, stopping early once _REVIEW_BUDGET
# reviews have been simulated, but never fewer than _MIN_SAMPLES cards.
_MAX_SAMPLES = 2000
_MIN_SAMPLES = 20
_REVIEW_BUDGET = 40_000
# The simulated day starts at noon UTC: learning steps (minutes long) stay on the same date.
_REVIEW_HOUR = 12
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Bounds that keep date arithmetic and the simulation finite: about ten years.
MAX_READY_DAYS = 3660
MAX_PLAN_DAYS = 3660
_MAX_STEP_MINUTES = MAX_PLAN_DAYS * 24 * 60


class PlanError(ValueError):
    """A plan that cannot be made; the message says why and what would make it possible."""


@dataclass(frozen=True)
class PlanSettings:
    """What the plan is for: the dates, the pace, and the assumptions of the review simulation.

    ``new_per_day`` of ``None`` means "the smallest pace that introduces every card by the ready
    date" (see :func:`required_new_per_day`). ``good_rate`` is an assumption: the probability
    that a review is answered "Good" (otherwise "Again").
    """

    today: datetime.date
    interview: datetime.date
    new_per_day: int | None = None
    ready_days: int = 7
    desired_retention: float = 0.9
    good_rate: float = 0.85
    seed: int = 0
    learning_steps: tuple[float, ...] = (1.0, 10.0)  # minutes, as in the deck preset
    max_interval: int = 36500  # days


@dataclass(frozen=True)
class PlanDay:
    """One day of the plan."""

    date: datetime.date
    new: int
    reviews: float
    lectures: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A study plan: one :class:`PlanDay` per day from today to the day before the interview."""

    settings: PlanSettings
    new_per_day: int
    ready_date: datetime.date
    days: tuple[PlanDay, ...]
    total_cards: int
    assumption: str

    @property
    def last_new_date(self) -> datetime.date | None:
        """The day the last new card is introduced (``None`` for a plan without cards)."""
        introducing = [day.date for day in self.days if day.new]
        return introducing[-1] if introducing else None

    @property
    def total_reviews(self) -> float:
        """Expected number of reviews over the whole plan."""
        return sum(day.reviews for day in self.days)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _check_dates(
    total_cards: int, today: datetime.date, interview: datetime.date, ready_days: int
) -> None:
    for name, value in (("today", today), ("interview", interview)):
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise PlanError(f"{name} must be a date (not {type(value).__name__})")
    if isinstance(ready_days, bool) or not isinstance(ready_days, int) or ready_days < 1:
        raise PlanError(
            f"ready_days must be a whole number of days, at least 1 (got {ready_days!r}): "
            "cards are introduced before the interview day"
        )
    if ready_days > MAX_READY_DAYS:
        raise PlanError(f"ready_days must be at most {MAX_READY_DAYS} (got {ready_days})")
    if isinstance(total_cards, bool) or not isinstance(total_cards, int) or total_cards < 0:
        raise PlanError(f"the number of cards must be a whole number >= 0 (got {total_cards!r})")
    cards = _plural(total_cards, "card")
    if interview < today:
        raise PlanError(
            f"the interview date {interview} is in the past (today is {today}); "
            f"there is no time left to introduce the {cards}: pick a future date"
        )
    if interview == today:
        raise PlanError(
            f"the interview date {interview} is today; there is no time left to introduce "
            f"the {cards}: pick a later date"
        )


def _ready_date(interview: datetime.date, ready_days: int) -> datetime.date:
    try:
        return interview - datetime.timedelta(days=ready_days)
    except OverflowError:
        raise PlanError(
            f"{ready_days} days before the interview on {interview} is before year 1"
        ) from None


def _introduction_days(today: datetime.date, interview: datetime.date, ready_days: int) -> int:
    """Days available for introducing cards: today through the ready date, both included."""
    return (_ready_date(interview, ready_days) - today).days + 1


def required_new_per_day(
    total_cards: int, today: datetime.date, interview: datetime.date, ready_days: int
) -> int:
    """The smallest number of new cards per day that introduces every card by the ready date.

    The ready date is ``interview - ready_days``. Cards can be introduced on every day from
    ``today`` through the ready date, both included, so
    ``days = (interview - ready_days - today).days + 1`` (today counts as day 1; a ready date of
    today gives one day). The result is ``ceil(total_cards / days)`` (0 for no cards).

    Raises :class:`PlanError` when the interview is not after today, when ``ready_days`` is not
    at least 1, or when ``days <= 0`` (the ready date has passed); the message says how many
    cards would have to be introduced and by when.
    """
    _check_dates(total_cards, today, interview, ready_days)
    days = _introduction_days(today, interview, ready_days)
    if days <= 0:
        left = (interview - today).days
        raise PlanError(
            f"the interview on {interview} is only {_plural(left, 'day')} away, but every card "
            f"has to be introduced at least {_plural(ready_days, 'day')} before it (by "
            f"{_ready_date(interview, ready_days)}, already past): that would mean all "
            f"{_plural(total_cards, 'card')} today ({total_cards} new/day) and still too late; "
            f"pick a later interview date or fewer ready days (at most {left - 1})"
        )
    return math.ceil(total_cards / days)


def _check_settings(settings: PlanSettings, total_cards: int) -> None:
    _check_dates(total_cards, settings.today, settings.interview, settings.ready_days)
    if (settings.interview - settings.today).days > MAX_PLAN_DAYS:
        raise PlanError(
            f"the interview on {settings.interview} is more than {MAX_PLAN_DAYS} days after "
            f"{settings.today}; plans cover at most {MAX_PLAN_DAYS} days"
        )
    retention = settings.desired_retention
    if not isinstance(retention, int | float) or not 0.7 < retention <= 0.99:
        raise PlanError(f"desired_retention must be above 0.7 and at most 0.99 (got {retention!r})")
    rate = settings.good_rate
    if not isinstance(rate, int | float) or not 0 < rate <= 1:
        raise PlanError(f"good_rate must be above 0 and at most 1 (got {rate!r})")
    pace = settings.new_per_day
    if pace is not None and (isinstance(pace, bool) or not isinstance(pace, int) or pace < 1):
        raise PlanError(f"new_per_day must be a whole number, at least 1 (got {pace!r})")
    if isinstance(settings.seed, bool) or not isinstance(settings.seed, int):
        raise PlanError(f"seed must be a whole number (got {settings.seed!r})")
    steps = settings.learning_steps
    if not steps or not all(isinstance(m, int | float) and m > 0 for m in steps):
        raise PlanError(f"learning_steps must be positive minutes (got {steps!r})")
    if any(m > _MAX_STEP_MINUTES for m in steps):
        raise PlanError(f"learning steps must be at most {MAX_PLAN_DAYS} days each")
    if (
        isinstance(settings.max_interval, bool)
        or not isinstance(settings.max_interval, int)
        or (settings.max_interval < 1)
    ):
        raise PlanError(f"max_interval must be at least 1 day (got {settings.max_interval!r})")


def _check_lectures(lectures: Sequence[tuple[str, int]]) -> None:
    for entry in lectures:
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise PlanError(f"each lecture must be a (title, number of cards) pair, not {entry!r}")
        title, count = entry
        if not isinstance(title, str):
            raise PlanError(f"lecture title must be text, not {title!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise PlanError(f"lecture {title!r}: number of cards must be >= 0 (got {count!r})")


def _schedule(
    lectures: Sequence[tuple[str, int]], total: int, per_day: int, n_days: int
) -> list[tuple[int, tuple[str, ...]]]:
    """(new cards, lectures introduced) for each of ``n_days`` days, in course order."""
    ends: list[tuple[int, str]] = []  # (index one past the lecture's last card, title)
    position = 0
    for title, count in lectures:
        if count:
            position += count
            ends.append((position, title))
    out: list[tuple[int, tuple[str, ...]]] = []
    lecture = 0
    for day in range(n_days):
        start = min(day * per_day, total)
        stop = min(start + per_day, total)
        titles: list[str] = []
        if stop > start:
            while ends[lecture][0] <= start:
                lecture += 1
            index = lecture
            while index < len(ends):
                first = ends[index - 1][0] if index else 0
                if first >= stop:
                    break
                title = ends[index][1]
                if title not in titles:
                    titles.append(title)
                index += 1
        out.append((stop - start, tuple(titles)))
    return out


def _review_curve(settings: PlanSettings, horizon: int) -> list[float]:
    """Expected reviews of one card on each day since its introduction (day 0 = introduction).

    Simulates independent cards with FSRS (default parameters, no fuzzing) and averages them.
    """
    from fsrs import Card, Rating, Scheduler

    scheduler = Scheduler(
        desired_retention=settings.desired_retention,
        learning_steps=tuple(datetime.timedelta(minutes=m) for m in settings.learning_steps),
        maximum_interval=settings.max_interval,
        enable_fuzzing=False,
    )
    rng = random.Random(settings.seed)
    good_rate = settings.good_rate
    utc = datetime.UTC
    midnight = datetime.datetime(2000, 1, 3, tzinfo=utc)  # any fixed day: only gaps matter
    noons = [midnight + datetime.timedelta(days=day, hours=_REVIEW_HOUR) for day in range(horizon)]
    totals = [0] * horizon
    reviews = 0
    samples = 0
    while samples < _MAX_SAMPLES and (samples < _MIN_SAMPLES or reviews < _REVIEW_BUDGET):
        samples += 1
        card = Card(card_id=samples, due=noons[0])
        while True:
            day = (card.due - midnight).days
            if day >= horizon:
                break
            when = max(card.due, noons[day])
            rating = Rating.Good if rng.random() < good_rate else Rating.Again
            card, _ = scheduler.review_card(card, rating, when)
            totals[day] += 1
            reviews += 1
        if good_rate >= 1:  # every answer is Good: each simulated card is the same
            break
    return [count / samples for count in totals]


def _steps(minutes: Sequence[float]) -> str:
    from deckgen.settings import format_step

    return " ".join(format_step(m) for m in minutes)


def _assumption(settings: PlanSettings) -> str:
    return (
        f"Assumes each review is answered Good with probability {settings.good_rate:.0%} and "
        f"Again otherwise, with FSRS default parameters at {settings.desired_retention:.0%} "
        f"desired retention and learning steps {_steps(settings.learning_steps)}; reviews are "
        "expected values from a seeded simulation."
    )


def make_plan(lectures: Sequence[tuple[str, int]], settings: PlanSettings) -> Plan:
    """Plan when to introduce each card and how many reviews to expect each day.

    ``lectures`` are ``(lecture title, number of cards)`` pairs in course order. Cards are
    introduced in that order, ``new_per_day`` a day from today (the last day may get fewer), and
    the plan has one :class:`PlanDay` for each day from today to the day before the interview.
    A lecture is listed on every day that introduces at least one of its cards.

    With ``settings.new_per_day`` of ``None`` the pace is :func:`required_new_per_day`. A given
    pace that would not introduce every card by the ready date raises :class:`PlanError` naming
    the pace that would be needed; so does any invalid setting or lecture entry.
    """
    _check_lectures(lectures)
    total = sum(count for _, count in lectures)
    _check_settings(settings, total)
    if total == 0:
        raise PlanError("there are no cards to plan (every lecture has 0 cards)")
    needed = required_new_per_day(total, settings.today, settings.interview, settings.ready_days)
    ready = _ready_date(settings.interview, settings.ready_days)
    per_day = needed if settings.new_per_day is None else settings.new_per_day
    if per_day < needed:
        intro_days = math.ceil(total / per_day)
        try:
            finish = f" (until {settings.today + datetime.timedelta(days=intro_days - 1)})"
        except OverflowError:
            finish = ""
        raise PlanError(
            f"at {per_day} new cards/day the {total} cards would take "
            f"{_plural(intro_days, 'day')}{finish}, past the ready date {ready} "
            f"({_plural(settings.ready_days, 'day')} before the interview on "
            f"{settings.interview}): you need at least {needed} new cards/day"
        )

    n_days = (settings.interview - settings.today).days
    schedule = _schedule(lectures, total, per_day, n_days)
    curve = _review_curve(settings, n_days)
    expected = [0.0] * n_days
    for start, (new, _) in enumerate(schedule):
        if new:
            for offset, per_card in enumerate(curve[: n_days - start]):
                if per_card:
                    expected[start + offset] += new * per_card
    days = tuple(
        PlanDay(
            date=settings.today + datetime.timedelta(days=index),
            new=new,
            reviews=round(expected[index], 6),
            lectures=titles,
        )
        for index, (new, titles) in enumerate(schedule)
    )
    return Plan(
        settings=settings,
        new_per_day=per_day,
        ready_date=ready,
        days=days,
        total_cards=total,
        assumption=_assumption(settings),
    )


@dataclass(frozen=True)
class ReviewLimit:
    """A plan whose busiest day expects more reviews than the decks' daily review limit,
    and what would fit under it (each an estimate from one longer simulation).

    ``pace`` is the most new cards/day that keeps every day under ``limit`` (``None``: not
    even one); ``start_by`` the latest start and ``interview_from`` the earliest interview
    (starting today) that introduce every card at that pace; ``cards`` and ``lectures``
    the most cards (whole lectures, in course order) that fit the plan's own dates.
    """

    limit: int
    peak: float
    peak_date: datetime.date
    pace: int | None
    start_by: datetime.date | None
    interview_from: datetime.date | None
    cards: int
    lectures: int

    def message(self, total_cards: int, interview: datetime.date) -> str:
        """The warning, in words: what is wrong, then what would fit (one per line)."""
        lines = [
            f"the plan expects up to {round(self.peak)} reviews on {self.peak_date}, more "
            f"than the daily review limit of {self.limit}: Anki would hold the rest "
            "back and the backlog would grow. Any of these fits under the limit:"
        ]
        if self.pace is not None and self.start_by is not None and self.interview_from:
            lines.append(
                f"  - at most {self.pace} new/day: start by {self.start_by} for the interview "
                f"on {interview}, or move the interview to {self.interview_from} or later"
            )
        if self.lectures:
            lines.append(
                f"  - fewer cards: the first {_plural(self.lectures, 'lecture')} "
                f"({self.cards} of {total_cards} cards) fit these dates"
            )
        lines.append(
            f"  - a higher limit: --reviews-per-day {math.ceil(self.peak)} for `build` "
            "(and `plan`), or reviews-per-day in [tool.deckgen]"
        )
        return "\n".join(lines)


def _peak(
    curve: Sequence[float], cumulative: Sequence[float], total: int, pace: int, n: int
) -> float:
    """The most expected reviews on any of ``n`` days when ``total`` cards are introduced
    ``pace`` a day from day 0: full days add ``pace`` times the curve, the last one the rest."""
    full, rest = divmod(total, pace)
    peak = 0.0
    for day in range(min(n, len(curve))):
        reviews = pace * (cumulative[day] - (cumulative[day - full] if day >= full else 0.0))
        if rest and day >= full:
            reviews += rest * curve[day - full]
        peak = max(peak, reviews)
    return peak


def review_limit(plan: Plan, lectures: Sequence[tuple[str, int]], limit: int) -> ReviewLimit | None:
    """``None`` when no day of ``plan`` expects more than ``limit`` reviews; else how far
    over it goes and what would fit (see :class:`ReviewLimit`)."""
    busiest = max(plan.days, key=lambda day: day.reviews, default=None)
    if busiest is None or busiest.reviews <= limit:
        return None
    s = plan.settings
    # Long enough for the slowest pace (one card a day); a shorter curve samples more cards.
    horizon = min(MAX_PLAN_DAYS, plan.total_cards + s.ready_days)
    curve = _review_curve(s, max(horizon, len(plan.days)))
    cumulative = []
    running = 0.0
    for value in curve:
        running += value
        cumulative.append(running)
    total = plan.total_cards

    def fits(pace: int, cards: int = total) -> bool:
        days = math.ceil(cards / pace) - 1 + s.ready_days  # introductions, then ready days
        return _peak(curve, cumulative, cards, pace, days) <= limit

    # The most new cards/day under the limit (more per day, more reviews every day).
    low, high = 0, max(plan.new_per_day, 1)
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    pace = low or None
    start_by = interview_from = None
    if pace is not None:
        intro_days = math.ceil(total / pace)
        if intro_days + s.ready_days <= MAX_PLAN_DAYS:
            start_by = plan.ready_date - datetime.timedelta(days=intro_days - 1)
            interview_from = s.today + datetime.timedelta(days=intro_days - 1 + s.ready_days)
    # The most cards the plan's own dates can take under the limit.
    n_days = len(plan.days)
    intro = _introduction_days(s.today, s.interview, s.ready_days)
    low, high = 0, total
    while low < high:
        mid = (low + high + 1) // 2
        ok = _peak(curve, cumulative, mid, math.ceil(mid / intro), n_days) <= limit
        low, high = (mid, high) if ok else (low, mid - 1)
    cards = count = 0
    for _, size in lectures:
        if cards + size > low:
            break
        cards += size
        count += 1
    return ReviewLimit(
        limit=limit,
        peak=busiest.reviews,
        peak_date=busiest.date,
        pace=pace,
        start_by=start_by,
        interview_from=interview_from,
        cards=cards,
        lectures=count,
    )


def plan_table(plan: Plan) -> str:
    """The plan as aligned text: a summary header, then one row per day.

    Columns: date (with weekday), new cards, expected reviews (rounded), lectures introduced.
    """
    s = plan.settings
    last = plan.last_new_date
    header = [
        f"Study plan: {plan.total_cards} cards at {plan.new_per_day} new/day, all introduced by "
        f"{last} (ready date {plan.ready_date}, {_plural(s.ready_days, 'day')} before the "
        f"interview on {s.interview}); about {round(plan.total_reviews)} reviews in "
        f"{_plural(len(plan.days), 'day')}.",
        plan.assumption,
        "",
    ]
    rows = [("date", "new", "reviews", "lectures")]
    for day in plan.days:
        mark = "  <- ready date" if day.date == plan.ready_date else ""
        rows.append(
            (
                f"{day.date.isoformat()} {_WEEKDAYS[day.date.weekday()]}",
                str(day.new),
                str(round(day.reviews)),
                "; ".join(day.lectures) + mark,
            )
        )
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    lines = []
    for index, (date, new, reviews, titles) in enumerate(rows):
        line = f"{date:<{widths[0]}}  {new:>{widths[1]}}  {reviews:>{widths[2]}}  {titles}"
        lines.append(line.rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in [*widths, len("lectures")]))
    return "\n".join(header + lines) + "\n"


def plan_json(plan: Plan) -> str:
    """The plan as a JSON document (dates in ISO format, reviews rounded to 2 decimals)."""
    s = plan.settings
    document = {
        "settings": {
            "today": s.today.isoformat(),
            "interview": s.interview.isoformat(),
            "new_per_day": s.new_per_day,
            "ready_days": s.ready_days,
            "desired_retention": s.desired_retention,
            "good_rate": s.good_rate,
            "seed": s.seed,
            "learning_steps_minutes": list(s.learning_steps),
            "max_interval": s.max_interval,
        },
        "new_per_day": plan.new_per_day,
        "ready_date": plan.ready_date.isoformat(),
        "total_cards": plan.total_cards,
        "assumption": plan.assumption,
        "days": [
            {
                "date": day.date.isoformat(),
                "new": day.new,
                "reviews": round(day.reviews, 2),
                "lectures": list(day.lectures),
            }
            for day in plan.days
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def plan_csv(plan: Plan) -> str:
    """The plan as CSV: ``date,new,reviews,lectures`` (lectures joined with ``"; "``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("date", "new", "reviews", "lectures"))
    for day in plan.days:
        writer.writerow(
            (day.date.isoformat(), day.new, f"{day.reviews:.2f}", "; ".join(day.lectures))
        )
    return buffer.getvalue()


def plan_chart(plan: Plan, path: Path) -> None:
    """Draw the plan to ``path``: PNG or SVG, chosen by the file suffix.

    Bars show new cards per day, a line the expected reviews per day, over a dated x-axis, with
    a dashed vertical line at the ready date. Raises :class:`ValueError` for another suffix.
    The file is written whole or not at all (a temporary file beside it, then a rename).
    """
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise ValueError(f"chart file must end in .png or .svg, not {path.name!r}")

    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.figure import Figure
    except ImportError as exc:  # an optional dependency: the `chart` extra
        raise ModuleNotFoundError(
            f"drawing a chart needs matplotlib, which could not be imported ({exc}); "
            "install it with: pip install 'deckgen[chart]'",
            name="matplotlib",
        ) from exc

    from deckgen.atomic import write_atomic

    s = plan.settings
    dates = [day.date for day in plan.days]
    figure = Figure(figsize=(10, 5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(
        dates,  # type: ignore[arg-type]  # (matplotlib's date converter takes dates)
        [day.new for day in plan.days],
        width=0.8,
        color="#4C72B0",
        label=f"new cards ({plan.new_per_day}/day)",
    )
    axes.plot(
        dates,  # type: ignore[arg-type]
        [day.reviews for day in plan.days],
        color="#DD8452",
        marker="o" if len(dates) <= 45 else None,
        markersize=3,
        linewidth=2,
        label="expected reviews",
    )
    axes.axvline(
        plan.ready_date,  # type: ignore[arg-type]
        color="#C44E52",
        linestyle="--",
        linewidth=1.5,
        label=f"ready date ({plan.ready_date.isoformat()})",
    )
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_xlabel("date")
    axes.set_ylabel("cards per day")
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    axes.set_title(
        f"Study plan: {plan.total_cards} cards for the interview on {s.interview.isoformat()}"
    )
    axes.legend(loc="best")
    metadata = {"Date": None} if kind == "svg" else {}
    image = io.BytesIO()
    figure.savefig(image, format=kind, dpi=100, metadata=metadata)
    write_atomic(path, image.getvalue())
