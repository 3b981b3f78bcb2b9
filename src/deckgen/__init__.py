"""deckgen: Markdown interview lectures → Anki flashcard packages."""

__version__ = "0.1.0"
