"""Check that every AWS KMS key that can rotate is set to rotate automatically,
often enough - and safely turn rotation on where it is off.

``client=`` takes a boto3 KMS client (or any object shaped like one) or a
:class:`Snapshot`; ``client_factory=`` makes a client per region. Without
either, the built-in AWS SDK client is used, set up by ``profile=``,
``endpoint_url=``, ``role_arn=`` and ``regions=``. Every function has an
``*_async`` twin; the sync functions release the GIL while they wait on AWS.
"""

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, TypeAlias, final

__version__: str
"""The package version (the Rust crates' version)."""

_KmsClient: TypeAlias = Any
"""A boto3 KMS client, any object with its methods, or a :class:`Snapshot`."""
_ClientFactory: TypeAlias = Callable[[str], Any]
_Regions: TypeAlias = str | Sequence[str]
_Path: TypeAlias = str | os.PathLike[str]

# --- errors -------------------------------------------------------------------

class KmsRotationError(Exception):
    """Base class of every error raised by kms_rotation."""

class InvalidInputError(KmsRotationError, ValueError):
    """An argument is malformed or out of range; raised before any API call."""

    what: str | None
    """The argument, e.g. ``"key reference"`` or ``"rotation_period_days"``."""
    value: str | None
    """The value as given."""
    reason: str | None
    """Why it was rejected."""

class MalformedSnapshotError(InvalidInputError):
    """A snapshot is not JSON of the snapshot shape."""

    path: str | None
    """The file, when read from one."""
    line: int | None
    """1-based line of the problem."""
    column: int | None
    """1-based column of the problem."""

class ApiError(KmsRotationError):
    """An AWS call failed in a way that concerns the whole request, not one key.
    (An error about one key is not raised: it becomes an ``ERROR`` finding.)"""

    code: str | None
    """The AWS error code, verbatim (``AccessDeniedException``, ...)."""
    aws_message: str | None
    """The AWS error message."""
    operation: str | None
    """The API operation, e.g. ``"EnableKeyRotation"``."""
    region: str | None
    """The region the call went to."""
    retryable: bool
    """Whether a retry may succeed."""

class ConfigurationError(KmsRotationError):
    """The environment or the options do not allow the request: no region, no
    credentials, no client for a region, a role that cannot be assumed."""

class FileAccessError(KmsRotationError, OSError):
    """Reading or writing a file failed."""

    path: str | None
    """The file."""

# --- report objects -------------------------------------------------------------

class Status(str, Enum):
    """The verdict for one key."""

    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    EXEMPT = "EXEMPT"
    ERROR = "ERROR"

class Reason(str, Enum):
    """Why a key got its status: one per row of the decision table."""

    EXEMPTED = "exempted"
    AWS_MANAGED = "aws_managed"
    PENDING_DELETION = "pending_deletion"
    CUSTOM_KEY_STORE = "custom_key_store"
    IMPORTED_KEY_MATERIAL = "imported_key_material"
    UNSUPPORTED_KEY_SPEC = "unsupported_key_spec"
    DISABLED = "disabled"
    ROTATION_DISABLED = "rotation_disabled"
    ROTATION_PERIOD_TOO_LONG = "rotation_period_too_long"
    ROTATION_ENABLED = "rotation_enabled"
    API_ERROR = "api_error"

class RegionState(str, Enum):
    """How the scan of one region ended."""

    SCANNED = "scanned"
    NOT_ENABLED = "not_enabled"
    ERROR = "error"

class Outcome(str, Enum):
    """What remediation did to one target key."""

    WOULD_CHANGE = "WOULD_CHANGE"
    CHANGED = "CHANGED"
    ALREADY_COMPLIANT = "ALREADY_COMPLIANT"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"

class _Record:
    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON object, as a fresh dict."""

    def to_json(self) -> str:
        """The canonical JSON, pretty-printed like the Rust core."""

class ErrorInfo(_Record):
    """An AWS error as a report shows it."""

    code: str
    """The AWS error code, verbatim (``AccessDeniedException``, ...)."""

    message: str
    """The AWS error message."""

    operation: str | None
    """The operation that failed, e.g. ``GetKeyRotationStatus``."""

class KeySummary(_Record):
    """The key facts a finding carries (AWS spellings: ``CUSTOMER``, ``Enabled``, ...)."""

    manager: str
    """``AWS`` or ``CUSTOMER``."""

    state: str
    """Lifecycle state, e.g. ``Enabled``, ``Disabled``, ``PendingDeletion``."""

    spec: str
    """Key spec, e.g. ``SYMMETRIC_DEFAULT``."""

    usage: str
    """Key usage, e.g. ``ENCRYPT_DECRYPT``."""

    origin: str
    """Material origin, e.g. ``AWS_KMS``, ``EXTERNAL``."""

    multi_region: str | None
    """``None``, ``PRIMARY`` or ``REPLICA``."""

    primary_arn: str | None
    """The primary's ARN, for a multi-Region key."""

    primary_region: str | None
    """The primary's region, for a multi-Region key."""

class RotationStatus(_Record):
    """What ``GetKeyRotationStatus`` told about a key."""

    enabled: bool
    """Whether automatic rotation is on."""

    period_days: int | None
    """The rotation period, when reported (90..2560)."""

    next_rotation_date: datetime | None
    """When KMS will next rotate the key."""

    on_demand_rotation_started_at: datetime | None
    """Set while an on-demand rotation is running."""

class RemediationPlan(_Record):
    """What ``remediate`` would do for a ``FAIL`` finding."""

    target_arn: str
    """The key to change: the key itself, or the primary of a replica."""

    region: str
    """The target's region."""

    rotation_period_days: int
    """The period ``EnableKeyRotation`` would set."""

    blocked_by: str | None
    """Why KMS would refuse the change as things stand (e.g. the key is disabled)."""

class Finding(_Record):
    """The verdict for one key, with the facts behind it."""

    region: str
    """The region the key lives in."""

    key_id: str
    """The key id."""

    key_arn: str
    """The key ARN."""

    aliases: tuple[str, ...]
    """Alias names pointing at the key, sorted."""

    status: Status
    """The verdict."""

    reason: Reason
    """Why."""

    message: str
    """One human sentence."""

    key: KeySummary | None
    """The key facts; ``None`` when ``DescribeKey`` failed."""

    rotation: RotationStatus | None
    """The rotation status; ``None`` when not read."""

    remediation: RemediationPlan | None
    """What ``remediate`` would do; ``None`` unless ``FAIL``."""

    error: ErrorInfo | None
    """The API error behind an ``ERROR``."""

class Policy(_Record):
    """The rules the keys were held to."""

    max_rotation_period_days: int
    """The longest acceptable rotation period in days."""

    evaluate_disabled_keys: bool
    """Whether disabled keys were evaluated (else ``NOT_APPLICABLE``)."""

    exemptions: tuple[str, ...]
    """The exemption rules: key ids, key ARNs, ``alias/...``, ``tag:KEY=VALUE``."""

class RegionReport(_Record):
    """How the scan of one requested region went."""

    region: str
    """The region."""

    state: RegionState
    """How its scan ended."""

    keys_listed: int
    """Keys ``ListKeys`` returned (each has a finding)."""

    error: ErrorInfo | None
    """The listing error, or a ``ListAliases`` failure that left aliases unknown."""

class Summary(_Record):
    """Findings counted by status; ``summary[Status.FAIL]`` works too."""

    total: int
    """All findings."""

    pass_: int
    """``PASS`` (``pass`` is a Python keyword)."""

    fail: int
    """``FAIL``."""

    not_applicable: int
    """``NOT_APPLICABLE``."""

    exempt: int
    """``EXEMPT``."""

    error: int
    """``ERROR``."""

    def __getitem__(self, status: Status | str) -> int:
        """The count for one status (``Status.FAIL`` or ``"FAIL"``)."""

class Stats(_Record):
    """What a run cost."""

    api_calls: Mapping[str, int]
    """Requests sent, per operation (retries included)."""

    retries: int
    """Requests repeated after a retryable error."""

    throttled: int
    """``ThrottlingException`` answers received."""

    duration_ms: int
    """Wall time in milliseconds."""

    @property
    def total_calls(self) -> int:
        """All requests sent."""

class AccountReport(_Record):
    """The result of :func:`check_account`: one finding per listed key.

    Iterating over the report yields its findings. ``to_json()`` is the Rust
    core's canonical JSON (``schema_version`` 1), byte for byte.
    """

    schema_version: int
    """The report format version (1)."""

    generated_at: datetime
    """When the report was made."""

    account_id: str | None
    """The account, when known."""

    policy: Policy
    """The policy the keys were held to."""

    regions: tuple[RegionReport, ...]
    """One entry per requested region, sorted by name."""

    findings: tuple[Finding, ...]
    """One finding per listed key, sorted by region then key ARN."""

    summary: Summary
    """Counts per status."""

    stats: Stats
    """API calls, retries, duration."""

    @classmethod
    def from_json(cls, text: str) -> AccountReport:
        """Reads a report written by ``to_json()`` (by Python, Rust or Node),
        e.g. to remediate it later.

        Raises:
            InvalidInputError: the text is not such a report (line and column given).
        """

    def __iter__(self) -> Iterator[Finding]: ...
    def findings_with(self, status: Status | str) -> tuple[Finding, ...]:
        """The findings with one status (``Status.FAIL`` or ``"FAIL"``)."""

class RemediationAction(_Record):
    """One target key and what remediation did to it."""

    region: str
    """The target's region."""

    target_arn: str
    """The key changed (a replica's primary for replicas)."""

    finding_arns: tuple[str, ...]
    """The ``FAIL`` findings' key ARNs this action covers (the key, or its replicas)."""

    outcome: Outcome
    """What happened."""

    message: str
    """One human sentence."""

    rotation_period_days: int
    """The period requested from ``EnableKeyRotation``."""

    before: RotationStatus | None
    """The status re-read right before acting."""

    after: RotationStatus | None
    """The status read back after acting (predicted, for a dry run)."""

    verified: bool
    """Whether reading back confirmed the change."""

    error: ErrorInfo | None
    """The API error behind ``FAILED`` or ``SKIPPED``."""

class RemediationReport(_Record):
    """The result of :func:`remediate`: one action per target key.

    Iterating over the report yields its actions.
    """

    schema_version: int
    """The report format version (1)."""

    generated_at: datetime
    """When the report was made."""

    dry_run: bool
    """Whether nothing was changed."""

    rotation_period_days: int
    """The period requested."""

    actions: tuple[RemediationAction, ...]
    """One action per target key, sorted by region then ARN."""

    summary: Mapping[str, int]
    """Actions counted by outcome (``summary["CHANGED"]``); absent outcomes are absent."""

    stats: Stats
    """API calls, retries, duration."""

    all_compliant: bool
    """True when every target ended compliant: changed and verified, or already compliant."""

    def __iter__(self) -> Iterator[RemediationAction]: ...

@final
class ProgressEvent:
    """Something that happened during a scan, for progress bars.

    ``kind`` is one of ``"region_started"``, ``"keys_listed"`` (``listed`` keys
    known so far in ``region``), ``"key_evaluated"`` (``evaluated`` of
    ``listed`` findings ready in ``region``) and ``"region_finished"`` (with
    ``state``: ``"scanned"``, ``"not_enabled"`` or ``"error"``).
    """

    @property
    def kind(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def listed(self) -> int | None: ...
    @property
    def evaluated(self) -> int | None: ...
    @property
    def state(self) -> str | None: ...

@final
class Snapshot:
    """An account's KMS facts (keys, rotation status, aliases, tags, replayed
    errors) held in memory, in the snapshot file format. Pass it as
    ``client=`` to check, remediate or collect offline; it serves every region
    it holds, and changes made by a non-dry-run remediation stay in memory.
    """

    @staticmethod
    def from_json(text: str) -> Snapshot:
        """Parses snapshot JSON text."""

    @staticmethod
    def load(path: _Path) -> Snapshot:
        """Reads a snapshot file."""

    @property
    def regions(self) -> list[str]:
        """The regions in the snapshot, sorted."""

    @property
    def account_id(self) -> str | None:
        """The account id, when the snapshot names one."""

    def to_json(self) -> str:
        """The snapshot as JSON text (the snapshot file format)."""

    def save(self, path: _Path) -> None:
        """Writes the snapshot file."""

# --- functions ------------------------------------------------------------------

def check_key(
    key: str,
    *,
    region: str | None = None,
    client: _KmsClient | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    max_rotation_period_days: int = 365,
    evaluate_disabled_keys: bool = True,
    exemptions: Sequence[str] | None = None,
) -> Finding:
    """Checks one key and returns its ``Finding``.

    Args:
        key: a key id, key ARN, alias name (``alias/...``) or alias ARN.
        region: the key's region. Default: the key ARN's region, else the
            client's (a boto3 client's ``meta.region_name``, a one-region
            snapshot), else the configured AWS region.
        client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.
        max_rotation_period_days: the longest acceptable rotation period, 90..2560 days.
        evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
        exemptions: rules whose keys are ``EXEMPT``: key ids, key ARNs, ``alias/NAME``, ``tag:KEY=VALUE``.

    Returns:
        The ``Finding``. An AWS error about the key is an ``ERROR`` finding, not an exception.

    Raises:
        InvalidInputError: a malformed key, region or option, or a client without a
            needed method; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for the key's region.
    """

async def check_key_async(
    key: str,
    *,
    region: str | None = None,
    client: _KmsClient | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    max_rotation_period_days: int = 365,
    evaluate_disabled_keys: bool = True,
    exemptions: Sequence[str] | None = None,
) -> Finding:
    """Like ``check_key``, as a coroutine: ``finding = await check_key_async(key, ...)``."""

def check_account(
    *,
    regions: _Regions | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    max_rotation_period_days: int = 365,
    evaluate_disabled_keys: bool = True,
    exemptions: Sequence[str] | None = None,
    max_requests_per_second: float | None = None,
    progress: Callable[[ProgressEvent], object] | None = None,
) -> AccountReport:
    """Checks every key in the requested regions and returns the ``AccountReport``.

    Every key ``ListKeys`` returns gets exactly one finding, and every requested
    region an entry; regions are scanned in parallel, within half of each KMS
    request quota by default.

    Args:
        regions: ``None`` (the client's region, a snapshot's regions, or the
            configured AWS region), a list of region names, or ``"all"`` (every
            region enabled for the account; with a snapshot, all of its regions).
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first (e.g. an audit role in another account).
        client: a boto3 KMS client (or any object shaped like one) for its region,
            or a ``Snapshot`` serving every region it holds.
        client_factory: ``region -> client``, called once per region that ``client`` does not serve.
        max_rotation_period_days: the longest acceptable rotation period, 90..2560 days.
        evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
        exemptions: rules whose keys are ``EXEMPT``: key ids, key ARNs, ``alias/NAME``, ``tag:KEY=VALUE``.
        max_requests_per_second: a cap on every operation's rate, per region.
        progress: called with a ``ProgressEvent`` as the scan goes; an exception it
            raises stops further calls and is raised when the scan returns.

    Returns:
        The ``AccountReport``. AWS errors about keys or regions are in it, not raised.

    Raises:
        InvalidInputError: a malformed option or region, or a client without a needed
            method; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for a requested region.
        ApiError: discovering the enabled regions (``regions="all"``) failed.
    """

async def check_account_async(
    *,
    regions: _Regions | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    max_rotation_period_days: int = 365,
    evaluate_disabled_keys: bool = True,
    exemptions: Sequence[str] | None = None,
    max_requests_per_second: float | None = None,
    progress: Callable[[ProgressEvent], object] | None = None,
) -> AccountReport:
    """Like ``check_account``, as a coroutine: ``report = await check_account_async(...)``."""

def remediate(
    report: AccountReport | str | Mapping[str, Any],
    *,
    rotation_period_days: int | None = None,
    dry_run: bool = True,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
) -> RemediationReport:
    """Turns rotation on where a check found it off or too slow; a dry run by default.

    Acts only on ``FAIL`` findings; a replica's fix goes to its primary, once.
    Each target is re-read right before acting, ``EnableKeyRotation`` always gets
    an explicit period (never longer than the current one), and every change is
    read back.

    Args:
        report: the ``AccountReport`` of ``check_account`` (or its ``to_json()``
            text or ``to_dict()``).
        rotation_period_days: the period to set, 90..2560 days. Default: 365, or
            the report's policy maximum if lower.
        dry_run: ``True`` (the default) reports what would change and changes nothing.
        client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
        client_factory: ``region -> client`` for the regions ``client`` does not serve.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.

    Returns:
        The ``RemediationReport``, one action per target key.

    Raises:
        InvalidInputError: a malformed report or period, or a client without a
            needed method; raised before any AWS call.
        ConfigurationError: no credentials, or no client for a target's region.
    """

async def remediate_async(
    report: AccountReport | str | Mapping[str, Any],
    *,
    rotation_period_days: int | None = None,
    dry_run: bool = True,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
) -> RemediationReport:
    """Like ``remediate``, as a coroutine: ``result = await remediate_async(report, ...)``."""

def remediate_keys(
    keys: str | Sequence[str],
    *,
    region: str | None = None,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    max_rotation_period_days: int = 365,
    evaluate_disabled_keys: bool = True,
    exemptions: Sequence[str] | None = None,
    rotation_period_days: int | None = None,
    dry_run: bool = True,
) -> RemediationReport:
    """Checks the named keys, then remediates those that ``FAIL``; a dry run by default.

    Args:
        keys: key ids, key ARNs, alias names or alias ARNs (or one of them).
        region: the region of the keys not named by ARN. Default: the first key
            ARN's region, else the client's, else the configured AWS region.
        client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
        client_factory: ``region -> client`` for the regions ``client`` does not serve.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.
        max_rotation_period_days: the policy's longest acceptable period, 90..2560 days.
        evaluate_disabled_keys: check disabled keys (the default), or leave them alone.
        exemptions: rules whose keys are ``EXEMPT`` (and so left alone).
        rotation_period_days: the period to set. Default: 365, or the maximum if lower.
        dry_run: ``True`` (the default) reports what would change and changes nothing.

    Returns:
        The ``RemediationReport``.

    Raises:
        InvalidInputError: a malformed key, region or option; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for a key's region.
    """

async def remediate_keys_async(
    keys: str | Sequence[str],
    *,
    region: str | None = None,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    max_rotation_period_days: int = 365,
    evaluate_disabled_keys: bool = True,
    exemptions: Sequence[str] | None = None,
    rotation_period_days: int | None = None,
    dry_run: bool = True,
) -> RemediationReport:
    """Like ``remediate_keys``, as a coroutine: ``result = await remediate_keys_async(keys, ...)``."""

def load_snapshot(path: _Path) -> Snapshot:
    """Reads a snapshot file (``collect`` writes them; ``aws kms describe-key``
    output can be pasted in). Pass the result as ``client=``: it serves every
    region in the file, and ``regions`` default to the file's.

    Raises:
        FileAccessError: the file cannot be read.
        MalformedSnapshotError: the text is not a snapshot (line and column given).
    """

def collect(
    path: _Path,
    *,
    regions: _Regions | None = None,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    exemptions: Sequence[str] | None = None,
    max_requests_per_second: float | None = None,
    progress: Callable[[ProgressEvent], object] | None = None,
) -> Snapshot:
    """Reads an account's KMS facts into a snapshot file at ``path`` and returns
    the ``Snapshot``: check it later, offline, under any policy, with the same findings.

    It makes the calls a check makes, and reads the rotation status of every key
    KMS can rotate; failed calls are recorded in the snapshot and replayed.

    Args:
        path: the file to write.
        regions: as for ``check_account``.
        client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
        client_factory: ``region -> client`` for the regions ``client`` does not serve.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.
        exemptions: with a ``tag:KEY=VALUE`` rule, the keys' tags are collected too.
        max_requests_per_second: a cap on every operation's rate, per region.
        progress: called with a ``ProgressEvent`` as the scan goes.

    Raises:
        InvalidInputError: a malformed option or region; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for a requested region.
        FileAccessError: the file cannot be written.
    """

async def collect_async(
    path: _Path,
    *,
    regions: _Regions | None = None,
    client: _KmsClient | None = None,
    client_factory: _ClientFactory | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    exemptions: Sequence[str] | None = None,
    max_requests_per_second: float | None = None,
    progress: Callable[[ProgressEvent], object] | None = None,
) -> Snapshot:
    """Like ``collect``, as a coroutine: ``snapshot = await collect_async(path, ...)``."""

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
