"""Command-line interface: ``deckgen build``. Only wiring; the work is in the stages."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from deckgen import __version__
from deckgen.build import BuildError, BuildReport, LectureJob, build

_PROGRESS_MIN = 10  # show a progress bar from this many lectures on (and only on a terminal)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckgen")
def main() -> None:
    """Turn Markdown lecture notes into Anki flashcard packages (.apkg)."""


@contextmanager
def _progress(jobs: Sequence[LectureJob]) -> Iterator[Sequence[LectureJob]]:
    if len(jobs) < _PROGRESS_MIN or not sys.stderr.isatty():
        yield jobs
        return
    with click.progressbar(
        jobs, label="Building", file=sys.stderr, item_show_func=lambda j: j.path.name if j else None
    ) as bar:
        yield bar  # type: ignore[misc]


def _summary(report: BuildReport) -> str:
    written = len(report.packages) - report.unchanged
    return (
        f"{report.lectures} lectures → {len(report.packages)} packages "
        f"({written} written, {report.unchanged} unchanged): {report.notes} notes, "
        f"{report.cards} cards, {report.warnings} warnings, {report.errors} errors"
    )


@main.command("build")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("decks"),
    show_default=True,
    help="Folder for the packages; mirrors the lecture tree.",
)
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write one package FILE.apkg holding every lecture as a deck tree instead.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Lectures root for file arguments (decides package paths, deck names, ids).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
def build_cmd(
    paths: tuple[Path, ...], out: Path, bundle: Path | None, root: Path | None, quiet: bool
) -> None:
    """Build Anki packages from lectures (default: lectures/ → decks/).

    Each lecture `lectures/a/b.md` becomes `decks/a/b.apkg` with a deck named
    `A::<title>`. Exit status: 0 built, 1 some lecture had an error, 2 bad usage.
    """
    if bundle is not None and bundle.suffix.lower() != ".apkg":
        raise click.UsageError("--bundle must name a .apkg file")
    if not paths:
        default = Path("lectures")
        if not default.is_dir():
            raise click.UsageError("no PATHS given and no lectures/ folder here")
        paths = (default,)
        root = root or default
    try:
        report = build(list(paths), out, bundle=bundle, root=root, progress=_progress)
    except BuildError as exc:
        click.echo(f"deckgen: error: {exc}", err=True)
        sys.exit(1)
    for diag in report.diagnostics:
        if not quiet or diag.severity == "error":
            click.echo(str(diag), err=True)
    if not quiet:
        click.echo(_summary(report))
    sys.exit(1 if report.errors else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
