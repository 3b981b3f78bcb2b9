"""Study order and deck options, as real Anki applies them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ankicol import import_apkg, open_collection
from deckgen.build import BuildOptions, InterviewTarget, build
from deckgen.cli import main
from deckgen.discover import discover
from deckgen.settings import DeckSettings, SettingsError, apply, parse_steps

LECTURE = """\
---
title: {title}
{extra}
---

# {title}

## Key Concepts
### 1. {title} First
- **Definition**: The first idea of {title}.

### 2. {title} Second
- **Definition**: The second idea of {title}.

## Interview Tips
- Lead with the outcome of {title}.
- Quantify the result in numbers.
"""


def _lecture(folder: Path, name: str, title: str, extra: str = "") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LECTURE.format(title=title, extra=extra), "utf-8")
    return path


def test_course_order(tmp_path: Path) -> None:
    root = tmp_path / "lectures"
    _lecture(root, "b-intro.md", "Zeta", "order: 1")
    _lecture(root, "10-late.md", "Late")
    _lecture(root, "2-early.md", "Early")
    _lecture(root, "notes.md", "Unnumbered")
    _lecture(root, "sub/1-a.md", "Sub")
    names = [j.path.name for j in discover([root], tmp_path / "out")]
    assert names == ["b-intro.md", "2-early.md", "10-late.md", "notes.md", "1-a.md"]


def test_presets_and_queue_order_in_anki(tmp_path: Path) -> None:
    root = tmp_path / "lectures"
    _lecture(root, "02-second.md", "Second")
    _lecture(root, "01-first.md", "First", "desired-retention: 0.85")
    bundle = tmp_path / "course.apkg"
    options = BuildOptions(
        out=tmp_path / "decks",
        bundle=bundle,
        flags={
            "new-per-day": 7,
            "reviews-per-day": 70,
            "learning-steps": "2m 15m 1d",
            "max-interval": 400,
        },
    )
    report = build([root], options)
    assert report.errors == 0

    # With "Import any deck presets": each deck uses the shipped preset with our values.
    col = open_collection(tmp_path / "with")
    import_apkg(col, bundle, with_deck_configs=True)
    first = col.decks.by_name("First")
    second = col.decks.by_name("Second")
    conf_first = col.decks.config_dict_for_deck_id(first["id"])
    conf_second = col.decks.config_dict_for_deck_id(second["id"])
    assert conf_first["id"] != 1 and conf_second["id"] != 1
    assert conf_second["new"]["perDay"] == 7 and conf_second["rev"]["perDay"] == 70
    assert conf_second["new"]["delays"] == [2.0, 15.0, 1440.0]
    assert conf_second["rev"]["maxIvl"] == 400
    assert conf_first["desiredRetention"] == pytest.approx(0.85)  # front matter
    assert conf_second["desiredRetention"] == pytest.approx(0.9)

    # The v3 queue serves new cards in course order, then document order.
    for conf in col.decks.all_config():
        conf["new"]["perDay"] = 9999
        col.decks.update_config(conf)
    col.decks.select(col.decks.id_for_name("First"))
    order_first = [
        col.get_card(q.card.id).note()["Source"]
        for q in col.sched.get_queued_cards(fetch_limit=100).cards
    ]
    assert order_first and all(s.startswith("01-first.md") for s in order_first)
    lines = [int(s.rsplit(":", 1)[1]) for s in order_first]
    assert lines == sorted(lines)
    cards = sorted(
        (c for c in (col.get_card(i) for i in col.find_cards(""))), key=lambda c: (c.due, c.ord)
    )
    sources = [c.note()["Source"].split(":")[0] for c in cards]
    assert sources == sorted(sources, key=lambda s: s != "01-first.md")  # first lecture first
    col.close()

    # Without it: the default preset, but the per-deck desired retention is still set.
    col = open_collection(tmp_path / "without")
    import_apkg(col, bundle, with_deck_configs=False)
    deck = col.decks.by_name("First")
    assert col.decks.config_dict_for_deck_id(deck["id"])["id"] == 1
    # The legacy deck JSON keeps the override as a percentage; the backend reads it as 0.85.
    assert deck["desiredRetention"] == 85
    assert col._backend.get_deck(deck["id"]).normal.desired_retention == pytest.approx(0.85)
    col.close()


def test_preset_id_changes_with_settings(tmp_path: Path) -> None:
    from deckgen.settings import preset_id

    assert preset_id(DeckSettings()) == preset_id(DeckSettings())
    assert preset_id(DeckSettings()) != preset_id(DeckSettings(new_per_day=21))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("desired-retention", 0.7, "above 0.7"),
        ("desired-retention", 1.0, "at most 0.99"),
        ("new-per-day", 0, "between 1 and 9999"),
        ("learning-steps", "1x", "not a duration"),
        ("max-interval", "soon", "whole number"),
    ],
)
def test_settings_validation(key: str, value: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        apply(DeckSettings(), {key: value}, "test")


def test_parse_steps() -> None:
    assert parse_steps("30s 10m 1h 2d", "x") == (0.5, 10.0, 60.0, 2880.0)


def test_project_file_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lectures"
    _lecture(root, "a.md", "A")
    (tmp_path / "deckgen.toml").write_text('new-per-day = 12\nlearning-steps = "5m"\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--reviews-per-day", "99"])
    assert result.exit_code == 0, result.output
    col = open_collection(tmp_path / "col")
    import_apkg(col, tmp_path / "decks/a.apkg", with_deck_configs=True)
    conf = col.decks.config_dict_for_deck_id(col.decks.by_name("A")["id"])
    assert (conf["new"]["perDay"], conf["new"]["delays"], conf["rev"]["perDay"]) == (12, [5.0], 99)
    col.close()
    # Flags win over the file.
    result = CliRunner().invoke(main, ["build", "--new-per-day", "3", "--desired-retention", "0.5"])
    assert result.exit_code == 2 and "desired-retention" in result.output


def test_interview_date_derives_new_per_day(tmp_path: Path) -> None:
    root = tmp_path / "lectures"
    _lecture(root, "a.md", "A")
    _lecture(root, "b.md", "B")
    target = InterviewTarget(interview=_date("2027-01-31"), today=_date("2027-01-01"), ready_days=7)
    report = build([root], BuildOptions(out=tmp_path / "decks", interview=target))
    assert report.cards == 8
    assert any("new/day" in n for n in report.notices)
    col = open_collection(tmp_path / "col")
    import_apkg(col, tmp_path / "decks/a.apkg", with_deck_configs=True)
    per_day = col.decks.config_dict_for_deck_id(col.decks.by_name("A")["id"])["new"]["perDay"]
    assert per_day == 1  # 8 cards over the 23 days before the ready date
    col.close()
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(root),
            "-o",
            str(tmp_path / "o"),
            "--interview-date",
            "2027-01-05",
            "--today",
            "2027-01-01",
        ],
    )
    assert result.exit_code == 1
    assert "8 cards" in result.output


def test_plan_agrees_with_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    root = tmp_path / "lectures"
    _lecture(root, "01-a.md", "A")
    _lecture(root, "02-b.md", "B")
    _lecture(root, "03-c.md", "C")
    monkeypatch.chdir(tmp_path)
    dates = ["--interview-date", "2027-01-12", "--today", "2027-01-01"]
    runner = CliRunner()
    planned = runner.invoke(
        main, ["plan", str(root), *dates, "--format", "json", "--chart", "plan.png"]
    )
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    built = runner.invoke(main, ["build", str(root), "--format", "json", *dates])
    assert built.exit_code == 0, built.output
    report = json.loads(built.stdout)
    # Totals equal the cards built; every card is introduced by the ready date.
    assert sum(day["new"] for day in plan["days"]) == report["cards"] == 12
    assert plan["ready_date"] == "2027-01-05"
    assert all(day["new"] == 0 for day in plan["days"] if day["date"] > plan["ready_date"])
    # The pace the plan uses is the one the shipped preset carries, as real Anki reads it.
    col = open_collection(tmp_path / "col")
    import_apkg(col, tmp_path / "decks/01-a.apkg", with_deck_configs=True)
    per_day = col.decks.config_dict_for_deck_id(col.decks.by_name("A")["id"])["new"]["perDay"]
    col.close()
    assert plan["new_per_day"] == per_day == 3  # 12 cards over the 5 days up to the ready date
    # Lectures are introduced in course order; the chart is a real PNG.
    order = [title for day in plan["days"] for title in day["lectures"]]
    assert list(dict.fromkeys(order)) == ["A", "B", "C"]
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".deckgen-")]
    # Too little time: a clear error, no traceback.
    late = runner.invoke(main, ["plan", str(root), "--interview-date", "2027-01-03", *dates[2:]])
    assert late.exit_code == 1 and "12 cards" in late.output and "Traceback" not in late.output


def _date(text: str):
    import datetime

    return datetime.date.fromisoformat(text)
