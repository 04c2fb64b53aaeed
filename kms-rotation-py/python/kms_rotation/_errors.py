"""The exceptions kms_rotation raises, all rooted at :class:`KmsRotationError`.

The native module picks the class for each error of the Rust core and sets the
attributes documented here; the message is the core's, cause included.
"""

from __future__ import annotations


class KmsRotationError(Exception):
    """Base class of every error raised by kms_rotation."""


class InvalidInputError(KmsRotationError, ValueError):
    """An argument is malformed or out of range; raised before any API call.

    Attributes:
        what: the argument, e.g. ``"key reference"`` or ``"rotation_period_days"``.
        value: the value as given.
        reason: why it was rejected.
    """

    what: str | None = None
    value: str | None = None
    reason: str | None = None


class MalformedSnapshotError(InvalidInputError):
    """A snapshot is not JSON of the snapshot shape.

    Attributes:
        path: the file, when read from one.
        line: 1-based line of the problem.
        column: 1-based column of the problem.
        reason: what is wrong there.
    """

    path: str | None = None
    line: int | None = None
    column: int | None = None


class ApiError(KmsRotationError):
    """An AWS call failed in a way that concerns the whole request, not one key.

    (An error about one key is not raised: it becomes an ``ERROR`` finding.)

    Attributes:
        code: the AWS error code, verbatim (``AccessDeniedException``, ...).
        aws_message: the AWS error message.
        operation: the API operation, e.g. ``"EnableKeyRotation"``.
        region: the region the call went to.
        retryable: whether a retry may succeed.
    """

    code: str | None = None
    aws_message: str | None = None
    operation: str | None = None
    region: str | None = None
    retryable: bool = False


class ConfigurationError(KmsRotationError):
    """The environment or the options do not allow the request: no region, no
    credentials, no client for a region, a role that cannot be assumed."""


class FileAccessError(KmsRotationError, OSError):
    """Reading or writing a file failed.

    Attributes:
        path: the file.
    """

    path: str | None = None

    def __str__(self) -> str:
        # The core's message names the file and why; OSError's own would show
        # "[Errno 2] None", its errno being set after construction.
        return str(self.args[0]) if self.args else super().__str__()


__all__ = [
    "ApiError",
    "ConfigurationError",
    "FileAccessError",
    "InvalidInputError",
    "KmsRotationError",
    "MalformedSnapshotError",
]
