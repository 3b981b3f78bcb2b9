"""Command-line interface. Only wiring and output formats; the work is in the stages."""

from __future__ import annotations

import dataclasses
import datetime
import importlib.util
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import click

from deckgen import __version__, sync
from deckgen.build import BuildOptions, InterviewTarget, Progress, build, check, collect
from deckgen.diagnostics import rules_table
from deckgen.discover import _is_lecture_name as is_lecture_name
from deckgen.inspect_apkg import PackageReadError, describe
from deckgen.model import BuildError, BuildReport, DeckSpec, Diagnostic, LectureJob
from deckgen.plan import MAX_PLAN_DAYS, MAX_READY_DAYS
from deckgen.settings import (
    DeckSettings,
    SettingsError,
    apply,
    load_project_settings,
    project_media_root,
    unknown_project_keys,
)
from deckgen.source import user_path

_PROGRESS_MIN = 10  # show a progress bar from this many lectures on (and only on a terminal)
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _tolerate_unencodable_output() -> None:
    """Write what the console cannot encode as escapes instead of failing with a traceback.

    On a console whose encoding lacks a character ("→" under ``PYTHONIOENCODING=cp1252``, or
    a non-ASCII lecture path), strict stdout/stderr raise ``UnicodeEncodeError`` mid-output;
    ``backslashreplace`` prints ``\\u2192`` instead. Streams set up otherwise are left alone.
    """
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) != "strict":
            continue
        # (a stream that is no TextIOWrapper, such as a test's capture, is left as it is)
        with suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


class _Main(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        _tolerate_unencodable_output()
        return super().main(*args, **kwargs)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="deckgen")
def main() -> None:
    """Turn Markdown lecture notes into Anki flashcard packages (.apkg)."""


def _progress_label(job: LectureJob | None) -> str | None:
    """A lecture as the progress bar names it: its path relative to the lectures root
    (a course has hundreds of ``index.md``)."""
    return job.rel if job is not None else None


def _progress_bar(label: str) -> Progress:
    """A progress bar over the lectures on stderr, only on a terminal and for enough of them."""

    @contextmanager
    def progress(jobs: Sequence[LectureJob]) -> Iterator[Iterable[LectureJob]]:
        if len(jobs) < _PROGRESS_MIN or not sys.stderr.isatty():
            yield jobs
            return
        with click.progressbar(
            jobs, label=label, file=sys.stderr, item_show_func=_progress_label
        ) as bar:
            yield bar

    return progress


_progress = _progress_bar("Building")


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so a stopped build removes its temporary files."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _summary(report: BuildReport) -> str:
    text = (
        f"{report.lectures} lectures → {len(report.packages)} packages "
        f"({len(report.written)} written, {report.unchanged} unchanged): {report.notes} notes, "
        f"{report.cards} cards, {report.warnings} warnings, {report.errors} errors"
    )
    if report.removed:
        text += f", {report.removed} removed items kept (tag:deckgen::removed)"
    return text


def _escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit (``escapeData``) does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value (``escapeProperty``): also ``:`` and ``,``."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(diag: Diagnostic) -> str:
    """A diagnostic as a GitHub Actions workflow command."""
    properties = {
        "file": diag.path,
        "line": diag.line,
        "col": diag.col,
        "title": f"deckgen {diag.code}",
    }
    listed = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{_GITHUB_LEVEL.get(diag.severity, 'notice')} {listed}::{_escape_data(diag.message)}"


def print_diagnostics(
    diagnostics: Sequence[Diagnostic], fmt: str = "text", *, errors_only: bool = False
) -> None:
    """Print diagnostics as text or GitHub annotations (only errors if asked) on stderr:
    every command's diagnostics go there, its result to stdout (README: Exit codes and
    output)."""
    for diag in diagnostics:
        if not errors_only or diag.severity == "error":
            click.echo(github_annotation(diag) if fmt == "github" else str(diag), err=True)


def _report_json(report: BuildReport) -> str:
    return json.dumps(
        {
            "lectures": report.lectures,
            "packages": [str(p) for p in report.packages],
            "written": [str(p) for p in report.written],
            "unchanged": report.unchanged,
            "notes": report.notes,
            "cards": report.cards,
            "removed": report.removed,
            "errors": report.errors,
            "warnings": report.warnings,
            "out_of_date": report.out_of_date,
            "notices": report.notices,
            "diagnostics": [d.as_dict() for d in report.diagnostics],
            **({"per_lecture": report.profiles} if report.profiles else {}),
        },
        indent=2,
        ensure_ascii=False,
    )


def project_settings(*, quiet: bool = False) -> tuple[DeckSettings, Path | None]:
    """``[tool.deckgen]`` / ``deckgen.toml``: (deck options, ``media-root``).

    A bad value is a usage error, checked as the matching flag is; an unknown key is
    a warning on stderr (unless ``quiet``)."""
    try:
        table, path = load_project_settings(Path.cwd())
        if path is None:
            return DeckSettings(), None
        settings = apply(DeckSettings(), table, str(path))
        media_root = project_media_root(table, path)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    if not quiet:
        for warning in unknown_project_keys(table, path):
            click.echo(f"deckgen: warning: {warning}", err=True)
    return settings, media_root


def out_option(default: str, help: str) -> Callable[[Any], Any]:
    """``-o/--out FOLDER``: where a command writes (its default and meaning vary)."""
    return click.option(
        "-o",
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
        help=help,
    )


ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Lectures root for file arguments (decides package paths, deck names, ids).",
)
MEDIA_ROOT_OPTION = click.option(
    "--media-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder that site-absolute image paths (/images/x.png) resolve from.",
)
FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Output format (default: text; github under GitHub Actions).",
)
READY_DAYS_OPTION = click.option(
    "--ready-days",
    type=click.IntRange(min=1, max=MAX_READY_DAYS),
    default=7,
    show_default=True,
    help="Days before the interview by which every card has been introduced.",
)
JOBS_OPTION = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Lectures built at once, each in its own process (default: one per core; 1: none).",
)
QUIET_OPTION = click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
TODAY_OPTION = click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), help="Pretend today is this date."
)


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the option ``name`` was given on the command line (not its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def _output_format(fmt: str | None) -> str:
    return fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")


def build_options(
    root: Path | None,
    media_root: Path | None = None,
    flags: dict[str, Any] | None = None,
    *,
    quiet: bool = False,
    **more: Any,
) -> BuildOptions:
    """Build options from the project file and the command line: deck options (the
    project's, with ``flags`` checked against them), the media root (``--media-root``,
    else ``media-root`` from the project file, relative to it) and ``more`` as given."""
    project, project_media = project_settings(quiet=quiet)
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    try:
        apply(project, flags, "command line")
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    media_root = media_root if media_root is not None else project_media
    return BuildOptions(root=root, project=project, flags=flags, media_root=media_root, **more)


@main.command("build")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@out_option("decks", "Folder for the packages; mirrors the lecture tree.")
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write one package FILE.apkg holding every lecture as a deck tree instead "
    "(its deckgen.lock goes beside it; not with -o).",
)
@ROOT_OPTION
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 naming every stale, missing or extra package.",
)
@click.option("--force", is_flag=True, help="Rebuild every lecture, ignoring the build cache.")
@FORMAT_OPTION
@MEDIA_ROOT_OPTION
@click.option("--new-per-day", type=int, help="Deck preset: new cards per day.")
@click.option("--reviews-per-day", type=int, help="Deck preset: maximum reviews per day.")
@click.option("--learning-steps", help='Deck preset: learning steps, e.g. "1m 10m 1d".')
@click.option("--desired-retention", type=float, help="Deck preset: FSRS desired retention.")
@click.option("--max-interval", type=int, help="Deck preset: maximum interval in days.")
@click.option(
    "--interview-date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Derive new cards/day so every card is introduced --ready-days before this date.",
)
@READY_DAYS_OPTION
@TODAY_OPTION
@QUIET_OPTION
@JOBS_OPTION
def build_cmd(
    paths: tuple[Path, ...],
    out: Path,
    bundle: Path | None,
    root: Path | None,
    check: bool,
    force: bool,
    fmt: str | None,
    media_root: Path | None,
    new_per_day: int | None,
    reviews_per_day: int | None,
    learning_steps: str | None,
    desired_retention: float | None,
    max_interval: int | None,
    interview_date: datetime.datetime | None,
    ready_days: int,
    today: datetime.datetime | None,
    quiet: bool,
    jobs: int | None,
) -> None:
    """Build Anki packages from lectures (default: lectures/ → decks/).

    Each lecture `lectures/a/b.md` becomes `decks/a/b.apkg` with a deck named
    `A::<title>`. Unchanged lectures are skipped (see --force). Exit status:
    0 built (or, with --check, up to date), 1 a lecture had an error or
    --check found differences, 2 bad usage.
    """
    if bundle is not None and bundle.suffix.lower() != ".apkg":
        raise click.UsageError("--bundle must name a .apkg file")
    if bundle is not None and _given(click.get_current_context(), "out"):
        raise click.UsageError(
            "give either --bundle or -o/--out, not both: a bundle is one file, and its "
            "deckgen.lock is written beside it"
        )
    fmt = _output_format(fmt)
    paths, root = _default_paths(paths, root)
    if interview_date is not None and new_per_day is not None:
        raise click.UsageError("give either --interview-date or --new-per-day, not both")
    interview = None
    if interview_date is not None:
        interview = InterviewTarget(
            interview=interview_date.date(),
            today=(today or datetime.datetime.now()).date(),
            ready_days=ready_days,
        )
    flags = {
        "new-per-day": new_per_day,
        "reviews-per-day": reviews_per_day,
        "learning-steps": learning_steps,
        "desired-retention": desired_retention,
        "max-interval": max_interval,
    }
    options = build_options(
        root,
        media_root,
        flags,
        out=out,
        bundle=bundle,
        quiet=quiet,
        force=force,
        check=check,
        interview=interview,
        jobs=jobs,
    )
    try:
        with _terminate_as_interrupt():
            report = build(list(paths), options, progress=None if fmt == "json" else _progress)
    except BuildError as exc:
        click.echo(f"deckgen: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("deckgen: interrupted; packages already in place are untouched", err=True)
        sys.exit(130)
    if fmt == "json":
        click.echo(_report_json(report))
    else:
        print_diagnostics(report.diagnostics, fmt, errors_only=quiet)
        for notice in [] if quiet else report.notices:
            click.echo(notice, err=True)
        for item in report.out_of_date:
            click.echo(f"out of date: {item}", err=True)
        if not quiet:
            click.echo(_summary(report))
        if check and report.out_of_date:
            click.echo(
                "decks are not up to date with the lectures: run `deckgen build` and commit",
                err=True,
            )
    sys.exit(1 if report.errors or report.out_of_date else 0)


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@ROOT_OPTION
@MEDIA_ROOT_OPTION
@FORMAT_OPTION
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--list-rules", is_flag=True, help="List every diagnostic code and exit.")
@QUIET_OPTION
def check_cmd(
    paths: tuple[Path, ...],
    root: Path | None,
    media_root: Path | None,
    fmt: str | None,
    strict: bool,
    list_rules: bool,
    quiet: bool,
) -> None:
    """Check lectures without writing anything (default: lectures/).

    Prints `FILE:LINE:COL: severity code: message` for every problem (on stderr)
    and a summary line (on stdout). Exit status: 0 clean (warnings allowed
    unless --strict), 1 errors, 2 bad usage.
    """
    if list_rules:
        click.echo(rules_table(), nl=False)
        return
    fmt = _output_format(fmt)
    paths, root = _default_paths(paths, root)
    options = build_options(root, media_root, quiet=quiet)
    try:
        report = check(list(paths), options, progress=None if fmt == "json" else _progress)
    except BuildError as exc:
        click.echo(f"deckgen: error: {exc}", err=True)
        sys.exit(1)
    diagnostics = report.diagnostics
    if strict:
        diagnostics = [
            Diagnostic(d.path, d.line, "error", d.code, d.message, d.col)
            if d.severity == "warning"
            else d
            for d in diagnostics
        ]
    errors = sum(d.severity == "error" for d in diagnostics)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "lectures": report.lectures,
                    "errors": errors,
                    "warnings": sum(d.severity == "warning" for d in diagnostics),
                    "diagnostics": [d.as_dict() for d in diagnostics],
                    "per_lecture": report.profiles,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        print_diagnostics(diagnostics, fmt, errors_only=quiet)
        if not quiet:
            click.echo(
                f"{report.lectures} lectures checked: {errors} errors, "
                f"{sum(d.severity == 'warning' for d in diagnostics)} warnings"
            )
    sys.exit(1 if errors else 0)


@main.command("inspect")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def inspect_cmd(package: Path, fmt: str) -> None:
    """Show the decks, note types, notes and cards of any .apkg file."""
    try:
        info = describe(package)
    except PackageReadError as exc:  # one line for any unreadable or hostile package
        click.echo(f"deckgen: error: {_terminal_safe(str(exc))}", err=True)
        sys.exit(1)
    if fmt == "json":  # (json escapes C0 controls itself; the rest as \\u escapes)
        click.echo(_TERMINAL_RE.sub(_json_escape, json.dumps(info, indent=2, ensure_ascii=False)))
        return
    total_cards = sum(len(n["cards"]) for n in info["notes"])
    shown = _terminal_safe
    notes, cards = _plural(len(info["notes"]), "note"), _plural(total_cards, "card")
    click.echo(f"{shown(str(package))}: {notes}, {cards}")
    click.echo("decks:")
    for deck in info["decks"]:
        click.echo(f"  {shown(deck['name'])}  (id {deck['id']}, preset {deck['preset']})")
    click.echo("note types:")
    for model in info["note_types"]:
        fields = shown(", ".join(model["fields"]))
        click.echo(f"  {shown(model['name'])}  (id {model['id']}): {fields}")
    click.echo("notes:")
    for note in info["notes"]:
        first = next(iter(note["fields"].values()), "")
        text = shown(_one_line(first))
        due = min((c["due"] for c in note["cards"]), default=0)
        kinds = shown(",".join(t.split("::")[1] for t in note["tags"] if t.count("::") == 1))
        count = _plural(len(note["cards"]), "card")
        click.echo(f"  {due:>7}  {count:<8}  {kinds or '-':<9} {text[:70]}")
    if info["media"]:
        click.echo(f"media: {shown(', '.join(info['media']))}")


# Characters a terminal may act on instead of showing: C0 and C1 controls (escape
# sequences), DEL, and the bidirectional overrides that reorder what is shown.
_TERMINAL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _terminal_safe(text: str) -> str:
    """``text`` (read from a package, so from anyone) with every character a terminal
    may act on shown as an escape (``\\x1b``), never sent to the terminal."""
    return _TERMINAL_RE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def _json_escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return char if char == "\n" else f"\\u{ord(char):04x}"  # (newlines: the indentation)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _one_line(html: str) -> str:
    """A field's HTML as one line of text: tags dropped, no space left before punctuation
    that followed a tag (``<b>X</b>?`` → ``X?``)."""
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" (?=[?!.,:;)])", "", text)


@main.command("plan")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@ROOT_OPTION
@click.option(
    "--interview-date",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="The day of the interview.",
)
@TODAY_OPTION
@READY_DAYS_OPTION
@click.option(
    "--new-per-day",
    type=click.IntRange(min=1),
    help="Pace to plan with (default: the smallest that is ready in time, as `build` derives).",
)
@click.option(
    "--desired-retention",
    type=float,
    help="FSRS desired retention (default: the project's deck options, else 0.9).",
)
@click.option(
    "--learning-steps",
    help='Learning steps, e.g. "1m 10m 1d" (default: the project\'s deck options, else 1m 10m).',
)
@click.option(
    "--reviews-per-day",
    "--max-reviews",
    "reviews_per_day",
    type=int,
    help="Daily review limit to check the plan against (default: the project's deck "
    "options, else 200, as `build` puts into the preset).",
)
@click.option(
    "--good-rate",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=0.85,
    show_default=True,
    help="Assumed share of reviews answered Good (the rest Again) in the simulation.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw new and review cards per day to FILE.png or FILE.svg.",
)
def plan_cmd(
    paths: tuple[Path, ...],
    root: Path | None,
    interview_date: datetime.datetime,
    today: datetime.datetime | None,
    ready_days: int,
    new_per_day: int | None,
    desired_retention: float | None,
    learning_steps: str | None,
    reviews_per_day: int | None,
    good_rate: float,
    fmt: str,
    chart: Path | None,
) -> None:
    """Plan the study days until an interview (default: lectures/).

    Cards are introduced in course order at a steady pace so that all of them
    are in review --ready-days before the interview; expected reviews per day
    come from simulating the FSRS scheduler. Without --new-per-day the pace is
    the one `deckgen build --interview-date` puts into the decks' preset. A warning
    (stderr) says when the busiest day expects more reviews than the preset's daily
    limit, and which start date, interview date or number of lectures would fit.
    """
    from deckgen.plan import (
        PlanError,
        PlanSettings,
        make_plan,
        plan_chart,
        plan_csv,
        plan_json,
        plan_table,
        review_limit,
    )

    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise click.UsageError("--chart must name a .png or .svg file")
    if chart is not None and importlib.util.find_spec("matplotlib") is None:
        click.echo(
            "deckgen: error: --chart needs matplotlib, which is not installed; "
            "install it with: pip install 'deckgen[chart]'",
            err=True,
        )
        sys.exit(1)
    start = (today or datetime.datetime.now()).date()
    if (interview_date.date() - start).days > MAX_PLAN_DAYS:
        raise click.BadParameter(
            f"{interview_date.date()} is more than {MAX_PLAN_DAYS} days after {start}; "
            "plans cover at most that many days",
            param_hint="'--interview-date'",
        )
    paths, root = _default_paths(paths, root)
    flags = {
        "desired-retention": desired_retention,
        "learning-steps": learning_steps,
        "reviews-per-day": reviews_per_day,
    }
    options = build_options(root, flags=flags)
    deck = apply(options.project, options.flags, "command line")
    results, report = collect(list(paths), options, progress=_progress_bar("Reading"))
    print_diagnostics(report.diagnostics, errors_only=True)
    if report.errors:
        click.echo("deckgen: error: fix the lectures above before planning", err=True)
        sys.exit(1)
    lectures = [(r.deck, sum(n.cards for n in r.notes)) for r in results]
    settings = PlanSettings(
        today=start,
        interview=interview_date.date(),
        new_per_day=new_per_day,
        ready_days=ready_days,
        desired_retention=deck.desired_retention,
        good_rate=good_rate,
        learning_steps=deck.learning_steps,
        max_interval=deck.max_interval,
    )
    try:
        plan = make_plan(lectures, settings)
    except PlanError as exc:
        click.echo(f"deckgen: error: {exc}", err=True)
        sys.exit(1)
    render = {"table": plan_table, "json": plan_json, "csv": plan_csv}[fmt]
    click.echo(render(plan), nl=False)
    over = review_limit(plan, lectures, deck.reviews_per_day)
    if over is not None:
        message = over.message(plan.total_cards, plan.settings.interview)
        click.echo(f"deckgen: warning: {message}", err=True)
    if chart is not None:
        try:
            plan_chart(plan, chart)
        except ImportError as exc:  # matplotlib is there but does not import
            click.echo(f"deckgen: error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"chart written to {chart}", err=True)


@main.command("preview")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@out_option(
    "preview", "Folder for the site (replaced as a whole; only an earlier preview is replaced)."
)
@ROOT_OPTION
@MEDIA_ROOT_OPTION
@click.option(
    "--engine",
    type=click.Choice(["auto", "anki", "builtin"]),
    default="auto",
    show_default=True,
    help="Render with Anki's template engine (auto: when the anki package is installed).",
)
@QUIET_OPTION
def preview_cmd(
    paths: tuple[Path, ...],
    out: Path,
    root: Path | None,
    media_root: Path | None,
    engine: str,
    quiet: bool,
) -> None:
    """Write a static site showing every card's front and back (default: lectures/).

    Open OUT/index.html in a browser (works offline, from file://): one page per
    lecture, filterable by card kind and text, with a night-mode switch. Lectures
    with errors are reported and left out; exit status 1 if there were any.
    """
    from deckgen.preview import PreviewError, pick_engine, preview_lectures, site_files, write_site

    paths, root = _default_paths(paths, root)
    options = build_options(root, media_root, quiet=quiet)
    try:
        described, render = pick_engine(engine)
        results, report = collect(list(paths), options, progress=_progress)
        print_diagnostics(report.diagnostics, errors_only=quiet)
        decks = [DeckSpec(r.deck, r.notes, media=r.media.files) for r in results]
        lectures = preview_lectures(
            [(r.lecture.title, r.deck, r.job.rel_path.as_posix(), r.notes) for r in results],
            decks,
            render,
        )
        media = {name: data for d in decks for name, data in d.media.items()}
        with _terminate_as_interrupt():
            write_site(out, site_files(lectures, media, described))
    except (BuildError, PreviewError) as exc:
        click.echo(f"deckgen: error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"deckgen: error: {out}: cannot write the preview: {exc.strerror}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("deckgen: interrupted; the previous preview is untouched", err=True)
        sys.exit(130)
    if not quiet:
        cards = sum(len(lecture.cards) for lecture in lectures)
        click.echo(
            f"{len(lectures)} lectures, {cards} cards → {out / 'index.html'} "
            f"(rendered by {described})"
        )
    sys.exit(1 if report.errors else 0)


@main.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--collection",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The Anki collection file to sync into (collection.anki2; Anki must be closed).",
)
@click.option("--profile", default=None, help="Sync into this Anki profile's collection.")
@click.option(
    "--anki-base",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of Anki's profiles (default: ANKI_BASE, else Anki's own for this system).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be added, updated and deleted; change no collection, no package.",
)
@click.option(
    "--keep-removed",
    is_flag=True,
    help="Keep the notes of removed items (tagged deckgen::removed) instead of deleting them.",
)
@out_option("decks", "Folder for the packages (built as `deckgen build` does).")
@ROOT_OPTION
@MEDIA_ROOT_OPTION
@QUIET_OPTION
@JOBS_OPTION
def sync_cmd(
    paths: tuple[Path, ...],
    collection: Path | None,
    profile: str | None,
    anki_base: Path | None,
    dry_run: bool,
    keep_removed: bool,
    out: Path,
    root: Path | None,
    media_root: Path | None,
    quiet: bool,
    jobs: int | None,
) -> None:
    """Build, then put the decks into an Anki collection (default: lectures/).

    Builds as `deckgen build` does, then imports every package with something new into
    the collection (--collection FILE, or --profile NAME) with "update if newer" and the
    deck presets, and deletes the notes of items removed from the lectures. Anki must be
    closed; a backup is made first. Exit status: 0 synced (or nothing to do), 1 a lecture
    had an error or the collection could not be synced (then it is unchanged), 2 bad usage.
    """
    if (collection is None) == (profile is None):
        raise click.UsageError(
            "give the collection to sync into: --collection FILE or --profile NAME"
        )
    if anki_base is not None and profile is None:
        raise click.UsageError("--anki-base only applies with --profile")
    paths, root = _default_paths(paths, root)
    try:
        if profile is not None:
            collection = sync.profile_collection(profile, sync.anki_base(anki_base))
        elif collection is not None and not collection.is_file():
            raise sync.SyncError(f"{collection}: no such collection file")
    except sync.SyncError as exc:
        raise click.UsageError(str(exc)) from None
    assert collection is not None
    if not sync.anki_installed():
        click.echo(
            f"deckgen: error: sync needs the official anki package, which is not installed; "
            f"{sync.INSTALL_HINT}",
            err=True,
        )
        sys.exit(1)
    try:
        with _terminate_as_interrupt(), _sync_output(out, dry_run) as built_into:
            options = build_options(root, media_root, out=built_into, quiet=quiet, jobs=jobs)
            with sync.open_collection(collection):
                pass  # refused before building when Anki has it open (and again below)
            report = build(list(paths), options, progress=_progress)
            print_diagnostics(_as_in(report.diagnostics, built_into, out), errors_only=quiet)
            if report.errors:
                click.echo(
                    "deckgen: error: fix the lectures above before syncing; "
                    f"{collection} was not changed",
                    err=True,
                )
                sys.exit(1)
            with sync.open_collection(collection) as col:
                plan = sync.plan_sync(
                    col,
                    report.packages,
                    keep_removed=keep_removed,
                    gone=report.orphans,
                    locked=_locked_guids(built_into),
                )
                result = None
                if not dry_run and not plan.nothing_to_do:
                    result = sync.apply_sync(col, collection, plan)
    except (BuildError, sync.SyncError) as exc:
        click.echo(f"deckgen: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(
            "deckgen: interrupted; each package Anki imported is in whole (sync again to finish)",
            err=True,
        )
        sys.exit(130)
    _print_sync(collection, plan, result, dry_run=dry_run, quiet=quiet)


def _as_in(diagnostics: list[Diagnostic], built_into: Path, out: Path) -> list[Diagnostic]:
    """``diagnostics`` of a build into ``built_into`` (a dry run's scratch copy) naming
    the files of ``out`` instead."""
    if built_into == out:
        return diagnostics
    scratch, real = user_path(built_into), user_path(out)
    return [
        dataclasses.replace(d, path=real + d.path[len(scratch) :])
        if d.path.startswith(scratch + "/")
        else d
        for d in diagnostics
    ]


def _locked_guids(out: Path) -> set[str]:
    """The GUIDs of every note the lock in ``out`` holds: the notes deckgen made for this
    course, those of lectures that are no more included."""
    from deckgen.history import LOCK_NAME, read_lock

    return {e.guid for key, e in read_lock(out / LOCK_NAME).items() if not key.startswith("@")}


@contextmanager
def _sync_output(out: Path, dry_run: bool) -> Iterator[Path]:
    """Where sync builds: ``out`` itself, or with ``dry_run`` a scratch copy of it (its
    packages, lock and cache, so the build and its history are the real run's) that is
    removed afterwards: a dry run changes neither the collection nor ``out``."""
    if not dry_run:
        yield out
        return
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="deckgen-sync-") as scratch:
        copy = Path(scratch) / "decks"
        if out.is_dir():
            try:
                shutil.copytree(out, copy, symlinks=True)
            except (OSError, shutil.Error) as exc:
                raise BuildError(f"{out}: cannot copy the packages for a dry run: {exc}") from None
        yield copy


def _sync_counts(counts: sync.DeckCounts, dry_run: bool) -> str:
    """``2 added, 1 updated, 0 deleted`` (with ``dry_run``: ``2 to add, …``)."""
    if dry_run:
        return f"{counts.added} to add, {counts.updated} to update, {counts.deleted} to delete"
    return f"{counts.added} added, {counts.updated} updated, {counts.deleted} deleted"


def _print_sync(
    collection: Path,
    plan: sync.SyncPlan,
    result: sync.SyncResult | None,
    *,
    dry_run: bool,
    quiet: bool,
) -> None:
    """The result of a sync on stdout: one line per deck, then a summary naming the
    collection and the backup; warnings on stderr when Anki's importer did otherwise."""
    where = user_path(collection)
    packages = _plural(plan.packages, "package")
    extras = []
    if plan.note_types:
        extras.append(_plural(len(plan.note_types), "note type") + " restyled")
    if plan.kept:
        extras.append(f"{plan.kept} removed kept (tag:deckgen::removed)")
    extra = "".join(f", {e}" for e in extras)
    if result is not None:
        done = (result.added, result.updated, result.deleted)
        total = plan.total
        if done != (total.added, total.updated, total.deleted):
            click.echo(
                f"deckgen: warning: Anki's importer did {result.added} added, "
                f"{result.updated} updated, {result.deleted} deleted, not the counts below",
                err=True,
            )
        if result.conflicting:
            click.echo(
                f"deckgen: warning: Anki did not update {_plural(result.conflicting, 'note')} "
                "whose note type differs in the collection (search the browser for them)",
                err=True,
            )
    if quiet:
        return
    for deck, counts in plan.decks.items():
        click.echo(f"{deck}: {_sync_counts(counts, dry_run)}")
    if plan.nothing_to_do:
        click.echo(f"nothing to do: {where} is up to date with {packages}{extra}")
    elif dry_run:
        click.echo(
            f"dry run: {where} would get {_sync_counts(plan.total, False)} from {packages}"
            f"{extra}; nothing was changed"
        )
    else:
        assert result is not None
        backup = user_path(result.backup) if result.backup is not None else "none"
        click.echo(
            f"synced {packages} into {where}: {_sync_counts(plan.total, False)}{extra} "
            f"(backup: {backup})"
        )


def _default_paths(
    paths: tuple[Path, ...], root: Path | None
) -> tuple[tuple[Path, ...], Path | None]:
    """The lecture paths (default: ``lectures/``) and the lectures root; a usage error
    (exit 2), before anything is written, when they hold no lecture at all."""
    if not paths:
        default = Path("lectures")
        if not default.is_dir():
            raise click.UsageError("no PATHS given and no lectures/ folder here")
        paths, root = (default,), root or default
    if not any(_has_lecture(path) for path in paths):
        where = ", ".join(str(p) for p in paths)
        raise click.UsageError(
            f"no lectures found under {where} (a lecture is a .md file other than "
            "README.md; names starting with '.' or '_' are skipped)"
        )
    return paths, root


def _has_lecture(path: Path) -> bool:
    """Whether discovery finds at least one lecture under ``path`` (stops at the first)."""
    if not path.is_dir():
        return path.exists()  # a file named on the command line is a lecture
    for _, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        if any(is_lecture_name(name) for name in files):
            return True
    return False


if __name__ == "__main__":  # pragma: no cover
    main()
