"""``python -m deckgen``: the same command as ``deckgen``."""

from deckgen.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="deckgen")
