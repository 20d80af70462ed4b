"""``python -m verdict``: the ``verdict`` console script, for when its directory is not on PATH."""

from verdict._cli import main

if __name__ == "__main__":
    main()
