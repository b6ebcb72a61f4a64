"""``python -m ablatio``: the same as the ``ablatio`` command."""

from ablatio.cli import main

main()
