"""``python -m mesacheck ARGS``: the ``mesacheck`` command (:func:`mesacheck.proofs_check.cli.main`)."""
import sys

from mesacheck.proofs_check.cli import main

if __name__ == "__main__":
    sys.exit(main())
