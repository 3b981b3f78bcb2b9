"""`deckgen preview`: a static site of every card, checked against Anki and in a real browser."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankicol import card_text
from conftest import LECTURES
from deckgen import preview
from deckgen.build import BuildOptions, collect
from deckgen.cli import main
from deckgen.model import DeckSpec
from deckgen.preview import (
    MARKER,
    PreviewError,
    anki_engine,
    builtin_engine,
    page_name,
    write_site,
)
from test_hostile import HOSTILE


def _decks(root: Path) -> list[DeckSpec]:
    results, report = collect([root], BuildOptions(root=root))
    assert report.errors == 0
    return [DeckSpec(r.deck, r.notes, media=r.media.files) for r in results]


def _texts(rendered: dict[str, list[tuple[int, str, str]]]) -> dict[str, list[tuple]]:
    return {
        guid: [(o, card_text(q), card_text(a)) for o, q, a in cards]
        for guid, cards in rendered.items()
    }


@pytest.mark.parametrize("source", ["lectures", "corpus"])
def test_builtin_renderer_matches_anki(source: str, request: pytest.FixtureRequest) -> None:
    root = LECTURES if source == "lectures" else request.getfixturevalue("corpus")
    decks = _decks(root)
    anki, builtin = _texts(anki_engine(decks)), _texts(builtin_engine(decks))
    assert set(anki) == set(builtin) == {n.guid for d in decks for n in d.notes}
    mismatched = [guid for guid in anki if anki[guid] != builtin[guid]]
    assert not mismatched, (anki[mismatched[0]], builtin[mismatched[0]])


def _preview(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["preview", *args, "-o", str(out)])
    return result.exit_code, result.output, out


def test_site_has_every_card(tmp_path: Path) -> None:
    code, output, out = _preview(tmp_path, str(LECTURES))
    assert code == 0, output
    assert "Anki's template engine" in output
    results, report = collect([LECTURES], BuildOptions(root=LECTURES))
    pages = sorted(p.name for p in out.glob("*.html"))
    assert pages == sorted(
        ["index.html"] + [page_name(r.job.rel_path.as_posix(), set()) for r in results]
    )
    shown = 0
    for result in results:
        page = (out / page_name(result.job.rel_path.as_posix(), set())).read_text("utf-8")
        shown += page.count('<article class="pv-card"')
        assert page.count("<script>") == 1  # ours, for the filters
        assert "{{" not in page  # every template field was filled
    assert shown == report.cards
    index = (out / "index.html").read_text("utf-8")
    assert f"{report.cards} cards" in index


def test_hostile_lecture_is_neutralised(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    (lectures / "hostile.md").write_text(HOSTILE, "utf-8")
    code, output, out = _preview(tmp_path, str(lectures))
    assert code == 0, output
    page = (out / "hostile.html").read_text("utf-8")
    assert page.count("<script>") == 1
    # In a real tag (escaped text such as &lt;b onmouseover=…&gt; is harmless).
    live = r"<iframe|<[a-z][^>]*\s(on[a-z]+|(href|src)\s*=\s*[\"']?\s*javascript:)"
    assert not re.search(live, page, re.I)
    assert "onerror=" in html.unescape(page)  # shown as text, not run
    assert "Injection" in page


def test_images_are_copied_beside_the_pages(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )
    (lectures / "dot.png").write_bytes(png)
    (lectures / "img.md").write_text(
        "# Images\n\n## Request Flow\n\n![flow](dot.png)\n\n"
        "- The client sends a request to the gateway.\n"
        "- The gateway checks the token bucket.\n"
        "- Allowed requests reach the service.\n",
        "utf-8",
    )
    code, output, out = _preview(tmp_path, str(lectures))
    assert code == 0, output
    page = (out / "img.html").read_text("utf-8")
    (name,) = re.findall(r'src="(dg-[0-9a-f]+\.png)"', page)[:1]
    assert (out / name).read_bytes() == png


def test_write_site_replaces_only_a_preview(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"one", MARKER: b"{}"})
    write_site(out, {"index.html": b"two", MARKER: b"{}"})
    assert (out / "index.html").read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no staging left
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious", "utf-8")
    with pytest.raises(PreviewError, match="not a deckgen preview"):
        write_site(mine, {"index.html": b"x", MARKER: b"{}"})
    assert (mine / "thesis.txt").read_text("utf-8") == "precious"
    result = CliRunner().invoke(main, ["preview", str(LECTURES), "-o", str(mine)])
    assert result.exit_code == 1 and "not a deckgen preview" in result.output
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.txt"]


def test_broken_lecture_is_reported_and_left_out(tmp_path: Path) -> None:
    lectures = tmp_path / "lectures"
    shutil.copytree(LECTURES / "behavioral", lectures)
    (lectures / "broken.md").write_text("---\ntitle: [unclosed\n---\n# X\n", "utf-8")
    code, output, out = _preview(tmp_path, str(lectures))
    assert code == 1
    assert "broken.md:2" in output
    assert not (out / "broken.html").exists()
    assert (out / "01-star-method.html").exists()


# --- in a real browser -----------------------------------------------------------------------


def _chromium() -> str:
    for candidate in (os.environ.get("DECKGEN_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate) or candidate
    if os.environ.get("DECKGEN_REQUIRE_BROWSER") == "1":
        pytest.fail("no chromium on PATH: ./dev test installs Debian's chromium package")
    pytest.skip("no chromium on PATH (./dev test installs it)")


_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _not_blank(png: bytes) -> bool:
    import io

    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png), format="png")
    return float(pixels[..., :3].std()) > 0.02


def test_preview_in_headless_chromium(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, output, out = _preview(tmp_path, str(LECTURES))
    assert code == 0, output
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))

    page.goto((out / "index.html").as_uri())
    assert "Structuring Behavioral Answers with STAR" in page.inner_text("body")
    assert page.inner_text("#pv-count") == "3 of 3 shown"
    # Filtering by kind: only the lecture with a comparison table keeps showing.
    for box in page.query_selector_all("input[data-kind]"):
        if box.get_attribute("data-kind") != "table":
            box.uncheck()
    assert page.inner_text("#pv-count") == "1 of 3 shown"
    link = page.query_selector("tr:not([hidden]) a[data-page]")
    assert link is not None and link.get_attribute("href").endswith("#kinds=table")
    link.click()
    page.wait_for_load_state()
    cards = page.query_selector_all("article.pv-card:not([hidden])")
    assert cards and all(c.get_attribute("data-kinds") == "table" for c in cards)

    page.goto((out / "behavioral--01-star-method.html").as_uri())
    text = page.inner_text("body")
    assert "[...]" in text  # a cloze front
    assert "Situation" in text and "Result" in text
    total = len(page.query_selector_all("article.pv-card"))
    page.fill("#pv-search", "situation")
    assert 0 < len(page.query_selector_all("article.pv-card:not([hidden])")) < total
    page.fill("#pv-search", "")
    page.click("#pv-night")
    assert "nightMode" in (page.get_attribute("body", "class") or "")
    shot = page.screenshot(full_page=False)
    assert _not_blank(shot)
    (tmp_path / "preview.png").write_bytes(shot)
    assert not problems, problems
    page.close()


def test_site_is_self_contained(tmp_path: Path) -> None:
    """Everything the site loads is in its folder: no http(s) resource, no stylesheet link."""
    code, output, out = _preview(tmp_path, str(LECTURES))
    assert code == 0, output
    for page in out.glob("*.html"):
        text = page.read_text("utf-8")
        assert not re.search(r"""src=["']https?:|<link\b""", text), page.name
    assert json.loads((out / MARKER).read_text("utf-8"))["generator"] == "deckgen preview"


@pytest.mark.parametrize("engine", [builtin_engine, anki_engine])
def test_a_huge_note_shows_its_first_cards(
    engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """Each card of a cloze note repeats the note: a note of thousands of clozes is shown
    by its first cards and a line saying how many more it has (linear in its size)."""
    monkeypatch.setattr(preview, "MAX_CARDS_SHOWN", 2)
    root = tmp_path / "lectures"
    root.mkdir()
    tips = "\n".join(
        f"- Mention cache layer {w} for reads." for w in ("one", "two", "three", "four")
    )
    (root / "tips.md").write_text(f"# Tips\n\n## Interview Tips\n{tips}\n", encoding="utf-8")
    decks = _decks(root)
    results, _ = collect([root], BuildOptions(root=root))
    [lecture] = preview.preview_lectures(
        [(r.lecture.title, r.deck, "tips.md", r.notes) for r in results], decks, engine
    )
    assert [c.number for c in lecture.cards] == [1, 2, 3]
    assert lecture.cards[-1].question == "… and 2 more cards of this note, not shown"
