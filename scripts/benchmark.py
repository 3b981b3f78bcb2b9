"""Benchmark: deckgen against ankdown on the same lectures, each in its own process.

The shared corpus is replicated to about 372 lectures ("1×"), and to 3× and 10× that.
Image links are stripped from the copies (ankdown aborts on site-absolute images), and
both tools read the very same files. Each round runs ankdown and a fresh ``deckgen
build`` back to back; the report gives wall and CPU time (the whole process tree), the
paired median ratio deckgen/ankdown, the peak memory of each (the largest process, and
the sum over deckgen's process tree sampled from /proc), rebuild times (nothing changed;
one lecture edited) and two stage floors: read + parse only, and SQLite + zip only.
Then each pathological lecture of issue #12 (just under the 5 MB limit, or as the issue
gives it) is built alone, ``-j 1``: its wall and CPU time must stay under 5 s (a lecture
beyond deckgen's limits is refused, and said to be).

ankdown is not a deckgen dependency: give its executable with ``--ankdown``, have it on
PATH (``pip install ankdown`` in any environment), or let the script install it into a
throwaway virtual environment inside its temporary folder (removed at the end, like
every other file it makes).

    .venv/bin/python scripts/benchmark.py [--corpus ../shared/corpus] [--rounds 5]
        [--scales 1,3,10] [--jobs N] [--ankdown PATH | --no-ankdown]
        [--pathological-only | --no-pathological | --against REF]

``--against REF`` instead compares cold builds of this checkout with those of git REF
(its ``src/``, run by this environment), interleaved, and prints the paired ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ONE_X = 372  # lectures in "1×": the course the issue measured
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


@dataclass
class Run:
    """One process (tree) run: wall and CPU seconds, peak memory in MiB."""

    wall: float
    cpu: float
    max_rss: float  # the largest single process
    tree_rss: float  # the largest sum over the process tree seen while sampling
    stderr: str = ""


def replicate(corpus: Path, target: Path, count: int) -> int:
    """Copy the corpus' lectures (image links stripped) into ``target`` until there are
    ``count`` of them."""
    files = sorted(p for p in corpus.rglob("*.md") if p.name.lower() != "readme.md")
    texts = {f: _IMAGE_RE.sub("", f.read_text("utf-8")) for f in files}
    n = 0
    for copy in range(math.ceil(count / len(files))):
        for f in files[: count - n]:
            dest = target / f"copy{copy:03d}" / f.relative_to(corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(texts[f], "utf-8")
            n += 1
    return n


def _tree_rss(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants, in KiB (Linux /proc; else 0)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError, ValueError):
            continue
    return total


def measure(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``args`` to completion; its tree's CPU time and peak memory come from wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):  # deckgen exits 1 when a lecture has an error
        raise SystemExit(f"{args[0]} failed ({proc.returncode}):\n{stderr[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, peak / 1024, stderr)


def find_ankdown(given: str | None, scratch: Path) -> Path | None:
    """The ankdown executable: given, on PATH, or installed into a throwaway venv."""
    if given:
        return Path(given)
    found = shutil.which("ankdown")
    if found:
        return Path(found)
    venv = scratch / "ankdown-venv"
    print("installing ankdown into a throwaway virtual environment…", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    done = subprocess.run([*pip, "--disable-pip-version-check", "ankdown"], check=False)
    return venv / "bin" / "ankdown" if done.returncode == 0 else None


_LIMIT = 5 * 1024 * 1024 - 4096  # a little under the 5 MB lecture limit
_FRONT = "---\ntitle: {}\n---\n\n# {}\n\n"


def _filled(title: str, body: str, unit: str, count: int | None = None) -> str:
    """A lecture: ``body`` (a heading and lead-in) then ``unit`` formatted with its index
    ``count`` times (or fewer: no more than fit under the 5 MB limit)."""
    head = _FRONT.format(title, title) + body
    parts, size, i = [head], len(head.encode()), 0
    while count is None or i < count:
        chunk = unit.format(i=i)
        size += len(chunk.encode())
        if size > _LIMIT:
            break
        parts.append(chunk)
        i += 1
    return "".join(parts)


def pathological() -> dict[str, str]:
    """The hostile lecture shapes issue #12 measured, by name (each 5 MB at most)."""
    return {
        "900k &amp;": _filled("Entities", "## Escapes\n\n", "&amp;" * 20 + "\n", 900_000 // 20),
        "100k glossary terms": _filled(
            "Glossary",
            "## Key Concepts\n\n",
            "- **Term {i}**: what term {i} means.\n",
            100_000,
        ),
        "20k STAR stories": _filled(
            "Stories",
            "## Behavioral Questions\n\n",
            "**Question:** Tell me about time {i} you led?\n\n"
            "- **Situation**: a team of {i}.\n- **Task**: ship it.\n"
            "- **Action**: planned the work.\n- **Result**: shipped on time.\n\n",
            20_000,
        ),
        "Q: x + 100k spaces + y": _filled(
            "Spaces", "## Quiz\n\n", "- **Q:** x" + " " * 100_000 + "y\n", 1
        ),
        "20k images": _filled(
            "Images", "## Pictures\n\n", "![figure {i}](img/figure-{i}.png)\n\n", 20_000
        ),
    }


def run_pathological(scratch: Path) -> None:
    """Build each pathological lecture alone (``-j 1``, no cache) and print its times."""
    for name, text in pathological().items():
        folder = scratch / "pathological"
        folder.mkdir()
        (folder / "lecture.md").write_text(text, "utf-8")
        out = scratch / "pathological-decks"
        run = measure([*deckgen_cmd(folder, out, 1), "--force"], scratch)
        size = len(text.encode()) / 1024 / 1024
        verdict = "ok" if max(run.wall, run.cpu) <= 5 else "OVER 5 s"
        built = "refused (too-large)" if "error too-large" in run.stderr else "built"
        print(
            f" pathological {name:<24} ({size:.1f} MB): wall {run.wall:6.2f} s  "
            f"cpu {run.cpu:6.2f} s  peak RSS {run.max_rss:5.0f} MiB  {built}, {verdict}"
        )
        shutil.rmtree(folder)
        shutil.rmtree(out, ignore_errors=True)


def deckgen_cmd(lectures: Path, out: Path, jobs: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "deckgen.cli", "build", str(lectures), "-o", str(out), "-q"]
    return cmd + (["-j", str(jobs)] if jobs else [])


_READ_PARSE = """
import json, sys, time
from pathlib import Path
from deckgen.discover import discover
from deckgen.parse import parse_lecture
from deckgen.source import read_source
jobs = discover([Path(sys.argv[1])], Path(sys.argv[2]))
start = time.perf_counter()
for job in jobs:
    parse_lecture(read_source(job.path, job.root))
print(json.dumps(time.perf_counter() - start))
"""

_SQLITE_ZIP = """
import json, sys, time
from pathlib import Path
from deckgen.build import BuildOptions, collect
from deckgen.model import DeckSpec
from deckgen.package import apkg_bytes, collection_bytes
results, _ = collect([Path(sys.argv[1])], BuildOptions(out=Path(sys.argv[2]), jobs=1))
decks = [DeckSpec(r.deck, r.notes) for r in results]
start = time.perf_counter()
for deck in decks:
    mods = {n.guid: 1_700_000_000 for n in deck.notes}
    apkg_bytes(collection_bytes([deck], mods, 1_700_000_000))
print(json.dumps(time.perf_counter() - start))
"""


def floor(code: str, lectures: Path, out: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", code, str(lectures), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def _fmt(runs: list[Run]) -> str:
    wall = statistics.median(r.wall for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    rss = max(r.max_rss for r in runs)
    tree = max(r.tree_rss for r in runs)
    return f"wall {wall:6.2f} s  cpu {cpu:6.2f} s  peak RSS {rss:5.0f} MiB (tree {tree:5.0f} MiB)"


def compare(
    lectures: Path, scratch: Path, rounds: int, jobs: int | None, ankdown: Path | None
) -> tuple[list[Run], list[Run]]:
    """``rounds`` paired runs of ankdown and a fresh deckgen build on ``lectures``."""
    ours: list[Run] = []
    theirs: list[Run] = []
    for i in range(rounds):
        out = scratch / f"decks-{i}"
        ours.append(measure(deckgen_cmd(lectures, out, jobs), scratch))
        shutil.rmtree(out)
        if ankdown is not None:
            apkg = scratch / "ankdown.apkg"
            theirs.append(measure([str(ankdown), "-r", str(lectures), "-p", str(apkg)], scratch))
            apkg.unlink(missing_ok=True)
    return ours, theirs


def report(label: str, ours: list[Run], theirs: list[Run]) -> None:
    print(f"{label} deckgen: {_fmt(ours)}")
    if theirs:
        print(f"{label} ankdown: {_fmt(theirs)}")
        wall = statistics.median(o.wall / t.wall for o, t in zip(ours, theirs, strict=True))
        cpu = statistics.median(o.cpu / t.cpu for o, t in zip(ours, theirs, strict=True))
        print(f"{label} paired median ratio deckgen/ankdown: wall {wall:.1f}×, cpu {cpu:.1f}×")


def against(ref: str, corpus: Path, scratch: Path, rounds: int, jobs: int | None) -> int:
    """Cold 1× builds of this checkout and of git ``ref``, interleaved (the order swapped
    every round, so a machine that speeds up or slows down favours neither): the paired
    median ratio this/ref is steadier than either side's time against ankdown's."""
    here = Path(__file__).resolve().parents[1]
    other = scratch / "ref"
    archive = subprocess.run(
        ["git", "-C", str(here), "archive", ref, "src"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        print(f"git archive {ref} failed: {archive.stderr.decode().strip()}", file=sys.stderr)
        return 2
    other.mkdir()
    subprocess.run(["tar", "-x", "-C", str(other)], input=archive.stdout, check=True)
    lectures = scratch / "lectures-1x"
    n = replicate(corpus, lectures, ONE_X)
    sides = {"this": here / "src", ref: other / "src"}
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    for i in range(rounds):
        for name in list(sides)[:: 1 if i % 2 == 0 else -1]:
            out = scratch / f"decks-{name}"
            env = {**os.environ, "PYTHONPATH": str(sides[name])}
            runs[name].append(measure(deckgen_cmd(lectures, out, jobs), scratch, env))
            shutil.rmtree(out)
    print(f"cores: {os.cpu_count()}  deckgen -j: {jobs or 'default (cores)'}")
    for name, measured in runs.items():
        print(f" 1× ({n} lectures, {rounds} rounds) {name:>8}: {_fmt(measured)}")
    pairs = list(zip(runs["this"], runs[ref], strict=True))
    wall = statistics.median(a.wall / b.wall for a, b in pairs)
    cpu = statistics.median(a.cpu / b.cpu for a, b in pairs)
    print(f" 1× paired median ratio this/{ref}: wall {wall:.2f}, cpu {cpu:.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds at 1×")
    parser.add_argument("--big-rounds", type=int, default=2, help="paired rounds above 1×")
    parser.add_argument("--scales", default="1,3,10", help="course sizes, in 372 lectures")
    parser.add_argument("--jobs", type=int, default=None, help="deckgen -j (default: cores)")
    parser.add_argument("--ankdown", help="the ankdown executable (default: PATH or install)")
    parser.add_argument("--no-ankdown", action="store_true", help="deckgen only")
    parser.add_argument(
        "--against",
        metavar="REF",
        help="only an A/B of cold 1x builds: this checkout against git REF, interleaved",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--pathological-only", action="store_true", help="only the hostile lectures")
    which.add_argument("--no-pathological", action="store_true", help="skip them")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    scales = [int(s) for s in args.scales.split(",")]
    with tempfile.TemporaryDirectory(prefix="deckgen-bench-") as tmp:
        scratch = Path(tmp)
        # Both tools run as installed code does, from bytecode: written once into the
        # scratch folder (removed with it), even where PYTHONDONTWRITEBYTECODE is set,
        # which would make an editable deckgen compile its modules on every start.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(scratch / "bytecode")
        if args.pathological_only:
            run_pathological(scratch)
            return 0
        if args.against:
            return against(args.against, args.corpus, scratch, args.rounds, args.jobs)
        ankdown = None if args.no_ankdown else find_ankdown(args.ankdown, scratch)
        if ankdown is None and not args.no_ankdown:
            print("ankdown could not be installed: deckgen only", file=sys.stderr)
        print(f"cores: {os.cpu_count()}  deckgen -j: {args.jobs or 'default (cores)'}")
        for scale in scales:
            lectures = scratch / f"lectures-{scale}x"
            n = replicate(args.corpus, lectures, ONE_X * scale)
            rounds = args.rounds if scale == 1 else args.big_rounds
            ours, theirs = compare(lectures, scratch, rounds, args.jobs, ankdown)
            report(f"{scale:>2}× ({n} lectures, {rounds} rounds)", ours, theirs)
            if scale != 1:
                shutil.rmtree(lectures)
                continue
            # Rebuilds at 1×: nothing changed, then one lecture edited.
            out = scratch / "decks"
            measure(deckgen_cmd(lectures, out, args.jobs), scratch)
            noop = [measure(deckgen_cmd(lectures, out, args.jobs), scratch) for _ in range(3)]
            print(f" 1× rebuild, nothing changed: {_fmt(noop)}")
            edits = []
            for i in range(3):
                edited = sorted(lectures.rglob("*.md"))[i * 7]
                edited.write_text(edited.read_text("utf-8") + f"\n\nAn edit ({i}).\n", "utf-8")
                edits.append(measure(deckgen_cmd(lectures, out, args.jobs), scratch))
            print(f" 1× rebuild, one lecture edited: {_fmt(edits)}")
            parse = statistics.median(floor(_READ_PARSE, lectures, out) for _ in range(3))
            pack = statistics.median(floor(_SQLITE_ZIP, lectures, out) for _ in range(3))
            print(f" 1× floor, read + parse only (one process): {parse:.2f} s")
            print(f" 1× floor, SQLite + zip only (one process): {pack:.2f} s")
            shutil.rmtree(out)
        if not args.no_pathological:
            run_pathological(scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
