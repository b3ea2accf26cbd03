"""``python -m xorbench``: the command line, as the ``xorbench`` console script runs it."""

from xorbench.cli import main

main()
