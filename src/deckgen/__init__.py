"""deckgen: Markdown interview lectures → Anki flashcard packages."""

__version__ = "0.1.0"  # the only place the version is written (pyproject.toml reads it)
