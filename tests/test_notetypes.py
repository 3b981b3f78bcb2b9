"""Snapshot of the shipped note types: ids, fields and templates are a promise to users.

If this test fails, a change would make Anki copy the note type ("deckgen Q&A+") and split
every user's deck on re-import. Only change the snapshot as a versioned, documented decision.
"""

from __future__ import annotations

from deckgen.notetypes import cloze_model, qa_model

SNAPSHOT = {
    "deckgen Q&A": {
        "id": 1_734_021_901,
        "type": 0,
        "fields": [
            ("Prompt", 7_341_201_001),
            ("Answer", 7_341_201_002),
            ("Context", 7_341_201_003),
            ("Lecture", 7_341_201_004),
            ("Extra", 7_341_201_005),
            ("Source", 7_341_201_006),
            ("Notice", 7_341_201_007),
        ],
        "templates": [("Recall", 7_341_202_001)],
    },
    "deckgen Cloze": {
        "id": 1_734_021_902,
        "type": 1,
        "fields": [
            ("Text", 7_341_201_008),
            ("Context", 7_341_201_003),
            ("Lecture", 7_341_201_004),
            ("Extra", 7_341_201_005),
            ("Source", 7_341_201_006),
            ("Notice", 7_341_201_007),
        ],
        "templates": [("Cloze", 7_341_202_002)],
    },
}


def test_note_types_match_snapshot() -> None:
    for model in (qa_model(), cloze_model()):
        expected = SNAPSHOT[model.name]
        assert model.model_id == expected["id"]
        assert model.model_type == expected["type"]
        assert [(f["name"], f["id"]) for f in model.fields] == expected["fields"]
        assert [(t["name"], t["id"]) for t in model.templates] == expected["templates"]


def test_templates_show_lecture_and_source() -> None:
    for model in (qa_model(), cloze_model()):
        [template] = model.templates
        assert "{{Lecture}}" in template["qfmt"]
        assert "{{Source}}" in template["afmt"] and "{{Source}}" not in template["qfmt"]
    assert "{{Answer}}" not in qa_model().templates[0]["qfmt"]
