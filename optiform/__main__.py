"""``python -m optiform``: the command line (as the ``optiform`` script)."""

from .cli import main

if __name__ == "__main__":
    main()
