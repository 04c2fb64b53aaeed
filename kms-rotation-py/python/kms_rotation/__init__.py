"""Check that every AWS KMS key that can rotate is set to rotate automatically,
often enough - and safely turn rotation on where it is off.

The engine is the Rust library ``kms-rotation-core``; this package calls it
through a native module and returns typed report objects::

    import boto3
    import kms_rotation

    kms = boto3.client("kms", region_name="us-east-1")
    report = kms_rotation.check_account(client=kms)
    for finding in report.findings_with("FAIL"):
        print(finding.key_arn, finding.message)
    plan = kms_rotation.remediate(report, client=kms)  # a dry run unless dry_run=False

Clients: ``client=`` takes a boto3 KMS client (or any object shaped like one),
or a :class:`Snapshot` from :func:`load_snapshot`; ``client_factory=`` makes a
client per region. Without either, the built-in AWS SDK client is used, set
up by ``profile=``, ``endpoint_url=``, ``role_arn=`` and ``regions=``.

Every function has an ``*_async`` twin returning an awaitable; the sync
functions release the GIL while they wait on AWS.
"""

from __future__ import annotations

import functools as _functools
from collections.abc import Awaitable as _Awaitable
from collections.abc import Callable as _Callable
from typing import Any as _Any
from typing import TypeVar as _TypeVar

from . import _native
from ._errors import (
    ApiError,
    ConfigurationError,
    FileAccessError,
    InvalidInputError,
    KmsRotationError,
    MalformedSnapshotError,
)
from ._model import (
    AccountReport,
    ErrorInfo,
    Finding,
    KeySummary,
    Outcome,
    Policy,
    Reason,
    RegionReport,
    RegionState,
    RemediationAction,
    RemediationPlan,
    RemediationReport,
    RotationStatus,
    Stats,
    Status,
    Summary,
)
from ._native import (
    ProgressEvent,
    Snapshot,
    check_account,
    check_key,
    collect,
    load_snapshot,
    remediate,
    remediate_keys,
)

_T = _TypeVar("_T")


def _coroutine(native: _Callable[..., _Awaitable[_T]]) -> _Callable[..., _Awaitable[_T]]:
    """Makes a native ``*_async`` function a coroutine function, so that its
    awaitable is created inside the running event loop: ``asyncio.run(f(...))``
    then works, as with any ``async def``."""

    @_functools.wraps(native)
    async def call(*args: _Any, **kwargs: _Any) -> _T:
        return await native(*args, **kwargs)

    return call


check_key_async = _coroutine(_native.check_key_async)
check_account_async = _coroutine(_native.check_account_async)
remediate_async = _coroutine(_native.remediate_async)
remediate_keys_async = _coroutine(_native.remediate_keys_async)
collect_async = _coroutine(_native.collect_async)

# Public classes show as `kms_rotation.X` (tracebacks, reprs, pickling), wherever defined.
for _name in (
    "ApiError",
    "ConfigurationError",
    "FileAccessError",
    "InvalidInputError",
    "KmsRotationError",
    "MalformedSnapshotError",
    "AccountReport",
    "ErrorInfo",
    "Finding",
    "KeySummary",
    "Outcome",
    "Policy",
    "Reason",
    "RegionReport",
    "RegionState",
    "RemediationAction",
    "RemediationPlan",
    "RemediationReport",
    "RotationStatus",
    "Stats",
    "Status",
    "Summary",
):
    globals()[_name].__module__ = __name__
del _name

__version__: str = _native.VERSION
"""The package version (the Rust crates' version)."""

__all__ = [
    "AccountReport",
    "ApiError",
    "ConfigurationError",
    "ErrorInfo",
    "FileAccessError",
    "Finding",
    "InvalidInputError",
    "KeySummary",
    "KmsRotationError",
    "MalformedSnapshotError",
    "Outcome",
    "Policy",
    "ProgressEvent",
    "Reason",
    "RegionReport",
    "RegionState",
    "RemediationAction",
    "RemediationPlan",
    "RemediationReport",
    "RotationStatus",
    "Snapshot",
    "Stats",
    "Status",
    "Summary",
    "check_account",
    "check_account_async",
    "check_key",
    "check_key_async",
    "collect",
    "collect_async",
    "load_snapshot",
    "remediate",
    "remediate_async",
    "remediate_keys",
    "remediate_keys_async",
]
