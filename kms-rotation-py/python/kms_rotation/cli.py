"""The ``kms-rotation`` command line, as the package installs it.

The wheel's ``kms-rotation`` console script and ``python -m kms_rotation`` both run
:func:`main`, which hands the arguments to the core's command line (the same one
``cargo install kms-rotation-core --features cli`` and the npm package's ``bin``
install): the same flags, output and exit codes. ``kms-rotation --help`` lists them.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence

from . import _native

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``kms-rotation`` with ``argv`` and returns its exit code: 0 clean, 1 usage or
    configuration error, 2 a FAIL finding, 3 an ERROR finding or a region not checked.

    ``argv`` is the whole command line, the program name first, as ``sys.argv`` (its
    default) and Node's ``runCli(args)`` take it: ``main(["kms-rotation", "check", ...])``.
    """
    args = list(sys.argv if argv is None else argv)[1:]
    # The core writes to the process's own standard streams: what Python buffered goes first.
    sys.stdout.flush()
    sys.stderr.flush()
    # Ctrl-C stops the command at once, as it does the Rust binary (Python's handler
    # would only run after the native call returns).
    if threading.current_thread() is not threading.main_thread():
        return _native.run_cli(["kms-rotation", *args])
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return _native.run_cli(["kms-rotation", *args])
    finally:
        signal.signal(signal.SIGINT, previous)
