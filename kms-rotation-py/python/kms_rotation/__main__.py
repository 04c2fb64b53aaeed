"""``python -m kms_rotation``: the ``kms-rotation`` command line (see :mod:`kms_rotation.cli`)."""

from kms_rotation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
