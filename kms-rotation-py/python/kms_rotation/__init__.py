"""Check that every AWS KMS key that can rotate is set to rotate automatically,
often enough - and safely turn rotation on where it is off.

The engine is the Rust library ``kms-rotation-core``; this package calls it
through a native module and returns its reports as native objects::

    import boto3
    import kms_rotation

    kms = boto3.client("kms", region_name="us-east-1")
    report = kms_rotation.check_account(client=kms)
    for finding in report.findings_with("FAIL"):
        print(finding.key_arn, finding.message)
    plan = kms_rotation.remediate(report, client=kms)  # a dry run unless dry_run=False

Clients: ``client=`` takes a boto3 KMS client (or any object shaped like one),
or a :class:`Snapshot` from :func:`load_snapshot`; ``client_factory=`` makes a
client per region; an organisation run's ``service_client_factory=`` makes
every client it needs (:func:`boto3_client_factory` over a ``boto3.Session``).
Without them, the built-in AWS SDK client is used, set
up by ``profile=``, ``endpoint_url=``, ``role_arn=`` (with ``external_id=``
and ``session_name=``), ``credentials=`` and ``regions=``. Every keyword is
one of the core's option names (``_native.OPTION_NAMES``); ``None`` means
the core's default.

Every function has an ``*_async`` twin returning an awaitable; the sync
functions release the GIL while they wait on AWS.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from . import _native
from . import cli as cli  # `kms_rotation.cli.main(argv)`, reachable after `import kms_rotation`
from ._enums import Outcome, Reason, RegionState, Status
from ._errors import (
    ApiError,
    ConfigurationError,
    FileAccessError,
    InvalidInputError,
    KmsRotationError,
    MalformedSnapshotError,
)
from ._native import (
    AccountEntry,
    AccountReport,
    CodeLocation,
    ErrorInfo,
    Finding,
    KeyMaterialStatus,
    KeySummary,
    LastUsage,
    OrganizationReport,
    Policy,
    ProgressEvent,
    RegionReport,
    RemediationAction,
    RemediationPlan,
    RemediationReport,
    RotationStatus,
    Snapshot,
    Stats,
    Summary,
    load_cloudsploit_collection,
    load_snapshot,
)

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from typing_extensions import ParamSpec

    _P = ParamSpec("_P")

_T = TypeVar("_T")


def check_key(
    key: str,
    *,
    region: str | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    allow_unknown_regions: bool | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    max_rotation_period_days: int | None = None,
    evaluate_disabled_keys: bool | None = None,
    exemptions: Sequence[str] | None = None,
    rotation_history: bool | None = None,
    max_days_since_rotation: int | None = None,
    accept_on_demand_rotation: bool | None = None,
    material_expiry_warning_days: int | None = None,
    last_usage: bool | None = None,
    max_requests_per_second: float | None = None,
    max_in_flight: int | None = None,
) -> Finding:
    """Checks one key and returns its ``Finding``.

    Args:
        key: a key id, key ARN, alias name (``alias/...``) or alias ARN.
        region: where a key id or alias is looked up. Default: the key ARN's
            region, else the client's (a boto3 client's ``meta.region_name``,
            a one-region snapshot), else the configured AWS region.
        client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
        client_factory: ``region -> client``, for a region ``client`` does not serve.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.
        external_id: the external id the role's trust policy requires.
        session_name: the session name of the assumed role.
        credentials: static credentials for the built-in client: a dict or an
            object with ``access_key_id``, ``secret_access_key`` and optionally
            ``session_token``.
        allow_unknown_regions: accept region names this version does not know (a
            region newer than the release); otherwise they are refused as typos.
            Process-wide once set.
        on_call: called with every API attempt as a dict (``operation``,
            ``region``, ``outcome``, ``latency_ms``, ``attempt``; never a
            credential). Without it, attempts are logged at DEBUG to the
            ``kms_rotation`` logger when that is enabled for DEBUG.
        max_rotation_period_days: the longest acceptable rotation period, 90..2560
            days (default 365).
        evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
        exemptions: rules whose keys are ``EXEMPT``: key ids, key ARNs, ``alias/NAME``, ``tag:KEY=VALUE``.
        rotation_history: read each judged key's rotation history (``ListKeyRotations``,
            a call per key at 100 per second): findings gain ``rotation.last_rotated_at``,
            ``rotation.last_rotation_type`` and ``rotation.rotation_counts``.
        max_days_since_rotation: a key passes only if it rotated (or, never rotated, was
            created) at most this many days ago, 1..2560; reads the rotation history, and
            judges imported-material keys by their on-demand rotations.
        accept_on_demand_rotation: a key with automatic rotation off passes when it was
            rotated on demand within the window; reads the rotation history.
        material_expiry_warning_days: name imported key material expiring within this
            many days (0..3650, default 30) in the finding (``key_material``) and every
            format; the verdict does not change.
        last_usage: read each ``FAIL`` and ``ERROR`` key's last use (``GetKeyLastUsage``,
            a call per such key; never without this option): findings gain ``last_usage``,
            and failures are listed most recently used first.
        max_requests_per_second: a cap on every operation's rate.
        max_in_flight: calls in flight at once (default: a boto3 client's
            connection pool, else the core's).

    Returns:
        The ``Finding``. An AWS error about the key is an ``ERROR`` finding, not an exception.

    Raises:
        InvalidInputError: a malformed key, region or option, conflicting options,
            or a client without a needed method; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for the key's region.
    """
    options = locals()
    return _native.check_key(options.pop("key"), options)


def check_account(
    *,
    regions: str | Sequence[str] | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    allow_unknown_regions: bool | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    max_rotation_period_days: int | None = None,
    evaluate_disabled_keys: bool | None = None,
    exemptions: Sequence[str] | None = None,
    rotation_history: bool | None = None,
    max_days_since_rotation: int | None = None,
    accept_on_demand_rotation: bool | None = None,
    material_expiry_warning_days: int | None = None,
    last_usage: bool | None = None,
    max_requests_per_second: float | None = None,
    max_in_flight: int | None = None,
    on_progress: Callable[[ProgressEvent], object] | None = None,
    evidence: str | os.PathLike[str] | None = None,
    baseline: AccountReport | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    fail_on: Literal["any", "new"] | None = None,
    to_security_hub: Any = None,
) -> AccountReport:
    """Checks every key in the requested regions and returns the ``AccountReport``.

    Every key ``ListKeys`` returns gets exactly one finding, and every requested
    region an entry; regions are scanned in parallel, within half of each KMS
    request quota by default.

    Args:
        regions: ``None`` (the client's region, a snapshot's regions, or the
            configured AWS region), region names, or ``"all"`` (every region
            enabled for the account; with a snapshot, all of its regions).
        client: a boto3 KMS client (or any object shaped like one) for its region,
            or a ``Snapshot`` serving every region it holds.
        client_factory: ``region -> client``, called once per region that ``client`` does not serve.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first (e.g. an audit role in another account).
        external_id: the external id the role's trust policy requires.
        session_name: the session name of the assumed role.
        credentials: static credentials for the built-in client (see ``check_key``).
        allow_unknown_regions: accept region names this version does not know (see ``check_key``).
        on_call: called with every API attempt (see ``check_key``); else the ``kms_rotation`` logger.
        max_rotation_period_days: the longest acceptable rotation period, 90..2560
            days (default 365).
        evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
        exemptions: rules whose keys are ``EXEMPT``: key ids, key ARNs, ``alias/NAME``, ``tag:KEY=VALUE``.
        rotation_history: read each judged key's rotation history (``ListKeyRotations``,
            a call per key at 100 per second): findings gain ``rotation.last_rotated_at``,
            ``rotation.last_rotation_type`` and ``rotation.rotation_counts``.
        max_days_since_rotation: a key passes only if it rotated (or, never rotated, was
            created) at most this many days ago, 1..2560; reads the rotation history, and
            judges imported-material keys by their on-demand rotations.
        accept_on_demand_rotation: a key with automatic rotation off passes when it was
            rotated on demand within the window; reads the rotation history.
        material_expiry_warning_days: name imported key material expiring within this
            many days (0..3650, default 30) in the finding (``key_material``) and every
            format; the verdict does not change.
        last_usage: read each ``FAIL`` and ``ERROR`` key's last use (``GetKeyLastUsage``,
            a call per such key; never without this option): findings gain ``last_usage``,
            and failures are listed most recently used first.
        max_requests_per_second: a cap on every operation's rate, per region.
        max_in_flight: calls in flight at once per region (default: a boto3
            client's connection pool, else the core's).
        on_progress: called with a ``ProgressEvent`` as the scan goes; an exception it
            raises stops further calls and is raised when the scan returns.
        evidence: also write the facts the verdicts were made on to this file (a
            snapshot file: ``load_snapshot`` reads it back), the report beside it as
            ``NAME.report.json`` and a manifest ``NAME.manifest.json`` (SHA-256 of
            report and evidence, tool version, policy) that ``verify_evidence``
            re-checks offline. The account is then read as ``collect`` reads it.
        baseline: an earlier run's report (an ``AccountReport``, its ``to_dict()``,
            its ``to_json()`` text, or the path of the JSON file): each finding's
            ``baseline_state`` says ``new``, ``unchanged``, ``resolved`` or
            ``regressed``, and ``report.baseline`` holds the counts and the keys gone
            since. A report of another account, region set or policy is refused
            (``InvalidInputError``, naming what differs).
        fail_on: ``"any"`` (the default) or ``"new"``: ``exit_code()`` counts only
            findings new or regressed since ``baseline`` (which it needs).
        to_security_hub: keep the findings current in AWS Security Hub: ``True``
            (the built-in client, in each key's region, with the settings above), or a
            boto3 ``securityhub`` client (for its region). One finding per key, updated
            in place; a key that passes now is ``RESOLVED``; a key gone is ``ARCHIVED``;
            ``ERROR`` findings are not sent. The outcome is ``report.security_hub``, and
            findings Security Hub did not take make ``exit_code`` at least 3.

    Returns:
        The ``AccountReport``. AWS errors about keys or regions are in it, not raised.

    Raises:
        InvalidInputError: a malformed option or region, conflicting options, or a
            client without a needed method; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for a requested region.
        ApiError: discovering the enabled regions (``regions="all"``) failed.
    """
    return _native.check_account(locals())


def remediate(
    report: AccountReport | str | Mapping[str, Any],
    *,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    allow_unknown_regions: bool | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    rotation_period_days: int | None = None,
    dry_run: bool | None = None,
    rotate_on_demand: bool | None = None,
    allow_other_source: bool | None = None,
) -> RemediationReport:
    """Turns rotation on where a check found it off or too slow; a dry run by default.

    Acts only on ``FAIL`` findings; a replica's fix goes to its primary, once.
    Each target is re-read right before acting, ``EnableKeyRotation`` always gets
    an explicit period (never longer than the current one), and every change is
    read back.

    Args:
        report: the ``AccountReport`` of ``check_account`` (or its ``to_json()``
            text or ``to_dict()``).
        client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
        client_factory: ``region -> client`` for the regions ``client`` does not serve.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.
        external_id: the external id the role's trust policy requires.
        session_name: the session name of the assumed role.
        credentials: static credentials for the built-in client (see ``check_key``).
        allow_unknown_regions: accept region names this version does not know (see ``check_key``).
        on_call: called with every API attempt (see ``check_key``); else the ``kms_rotation`` logger.
        rotation_period_days: the period to set, 90..2560 days. Default: 365, or
            the report's policy maximum if lower.
        dry_run: ``True`` (the default) reports what would change and changes nothing.
        rotate_on_demand: rotate keys found ``rotation_overdue`` on demand
            (``RotateKeyOnDemand``) within each key's lifetime quota; without it they are
            ``SKIPPED`` with the command to run.
        allow_other_source: act on a report checked elsewhere than these options
            reach (another snapshot, profile, endpoint or role); by default such a
            report is refused with ``ConfigurationError``.

    Returns:
        The ``RemediationReport``, one action per target key.

    Raises:
        InvalidInputError: a malformed report or period, conflicting options, or a
            client without a needed method; raised before any AWS call.
        ConfigurationError: no credentials, or no client for a target's region.
    """
    options = locals()
    return _native.remediate(options.pop("report"), options)


def remediate_keys(
    keys: str | Sequence[str],
    *,
    region: str | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    allow_unknown_regions: bool | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    max_rotation_period_days: int | None = None,
    evaluate_disabled_keys: bool | None = None,
    exemptions: Sequence[str] | None = None,
    rotation_history: bool | None = None,
    max_days_since_rotation: int | None = None,
    accept_on_demand_rotation: bool | None = None,
    material_expiry_warning_days: int | None = None,
    last_usage: bool | None = None,
    max_requests_per_second: float | None = None,
    max_in_flight: int | None = None,
    rotation_period_days: int | None = None,
    dry_run: bool | None = None,
    rotate_on_demand: bool | None = None,
) -> RemediationReport:
    """Checks the named keys, then remediates those that ``FAIL``; a dry run by default.

    Args:
        keys: key ids, key ARNs, alias names or alias ARNs (or one of them).
        region: where key ids and aliases are looked up. Default: the first key
            ARN's region, else the client's, else the configured AWS region.
        client: a boto3 KMS client (or any object shaped like one), or a ``Snapshot``.
        client_factory: ``region -> client`` for the regions ``client`` does not serve.
        profile: the AWS profile of the built-in client (only without ``client=``).
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.
        external_id: the external id the role's trust policy requires.
        session_name: the session name of the assumed role.
        credentials: static credentials for the built-in client (see ``check_key``).
        allow_unknown_regions: accept region names this version does not know (see ``check_key``).
        on_call: called with every API attempt (see ``check_key``); else the ``kms_rotation`` logger.
        max_rotation_period_days: the policy's longest acceptable period, 90..2560
            days (default 365).
        evaluate_disabled_keys: check disabled keys (the default), or leave them alone.
        exemptions: rules whose keys are ``EXEMPT`` (and so left alone).
        rotation_history: read each judged key's rotation history (``ListKeyRotations``,
            a call per key at 100 per second): findings gain ``rotation.last_rotated_at``,
            ``rotation.last_rotation_type`` and ``rotation.rotation_counts``.
        max_days_since_rotation: a key passes only if it rotated (or, never rotated, was
            created) at most this many days ago, 1..2560; reads the rotation history, and
            judges imported-material keys by their on-demand rotations.
        accept_on_demand_rotation: a key with automatic rotation off passes when it was
            rotated on demand within the window; reads the rotation history.
        material_expiry_warning_days: name imported key material expiring within this
            many days (0..3650, default 30) in the finding (``key_material``) and every
            format; the verdict does not change.
        last_usage: read each ``FAIL`` and ``ERROR`` key's last use (``GetKeyLastUsage``,
            a call per such key; never without this option): findings gain ``last_usage``,
            and failures are listed most recently used first.
        max_requests_per_second: a cap on every operation's rate, per region.
        max_in_flight: calls in flight at once while checking the keys.
        rotation_period_days: the period to set. Default: 365, or the maximum if lower.
        dry_run: ``True`` (the default) reports what would change and changes nothing.
        rotate_on_demand: rotate keys found ``rotation_overdue`` on demand
            (``RotateKeyOnDemand``) within each key's lifetime quota; without it they are
            ``SKIPPED`` with the command to run.

    Returns:
        The ``RemediationReport``.

    Raises:
        InvalidInputError: a malformed key, region or option, or conflicting
            options; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for a key's region.
    """
    options = locals()
    return _native.remediate_keys(options.pop("keys"), options)


def collect(
    path: str | os.PathLike[str],
    *,
    regions: str | Sequence[str] | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    allow_unknown_regions: bool | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    max_rotation_period_days: int | None = None,
    evaluate_disabled_keys: bool | None = None,
    exemptions: Sequence[str] | None = None,
    rotation_history: bool | None = None,
    max_days_since_rotation: int | None = None,
    accept_on_demand_rotation: bool | None = None,
    material_expiry_warning_days: int | None = None,
    last_usage: bool | None = None,
    max_requests_per_second: float | None = None,
    max_in_flight: int | None = None,
    on_progress: Callable[[ProgressEvent], object] | None = None,
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
        external_id: the external id the role's trust policy requires.
        session_name: the session name of the assumed role.
        credentials: static credentials for the built-in client (see ``check_key``).
        allow_unknown_regions: accept region names this version does not know (see ``check_key``).
        on_call: called with every API attempt (see ``check_key``); else the ``kms_rotation`` logger.
        max_rotation_period_days: as for ``check_account``.
        evaluate_disabled_keys: as for ``check_account``.
        exemptions: with a ``tag:KEY=VALUE`` rule, the keys' tags are collected too.
        rotation_history: as for ``check_account`` (imported-material keys: every key material).
        max_days_since_rotation: as for ``check_account``.
        accept_on_demand_rotation: as for ``check_account``.
        material_expiry_warning_days: as for ``check_account``.
        last_usage: record every key's last use (``GetKeyLastUsage``, a call per key):
            which keys fail depends on the policy the snapshot is checked under later.
        max_requests_per_second: a cap on every operation's rate, per region.
        max_in_flight: calls in flight at once per region.
        on_progress: called with a ``ProgressEvent`` as the scan goes.

    Raises:
        InvalidInputError: a malformed option or region; raised before any AWS call.
        ConfigurationError: no region or credentials, no client for a requested region.
        FileAccessError: the file cannot be written.
    """
    options = locals()
    return _native.collect(options.pop("path"), options)


def check_organization(
    *,
    regions: str | Sequence[str] | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    service_client_factory: Callable[[str, str, Mapping[str, str] | None], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    allow_unknown_regions: bool | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    max_rotation_period_days: int | None = None,
    evaluate_disabled_keys: bool | None = None,
    exemptions: Sequence[str] | None = None,
    rotation_history: bool | None = None,
    max_days_since_rotation: int | None = None,
    accept_on_demand_rotation: bool | None = None,
    material_expiry_warning_days: int | None = None,
    last_usage: bool | None = None,
    max_requests_per_second: float | None = None,
    max_in_flight: int | None = None,
    on_progress: Callable[[ProgressEvent], object] | None = None,
    organization: bool | None = None,
    organizational_unit: str | None = None,
    accounts_file: str | os.PathLike[str] | None = None,
    role_name: str | None = None,
    include_accounts: str | Sequence[str] | None = None,
    exclude_accounts: str | Sequence[str] | None = None,
    max_accounts_in_flight: int | None = None,
    assume_role_in_caller_account: bool | None = None,
    remediation_role_name: str | None = None,
    baseline: OrganizationReport | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    fail_on: Literal["any", "new"] | None = None,
) -> OrganizationReport:
    """Checks every account of an AWS Organization (or of an OU, or of an
    accounts file) through a role in each, and returns the ``OrganizationReport``.

    The built-in AWS client (or your own clients, ``service_client_factory``)
    lists the accounts (Organizations), assumes ``role_name`` in each (STS) and
    checks every requested region of each, ``max_accounts_in_flight`` accounts
    at a time. Every account gets one entry: ``checked``, ``skipped`` (not
    ``ACTIVE``) or ``error`` with the AWS code (the role could not be assumed,
    the regions could not be listed).

    Args:
        regions: the regions to check in every account (as ``check_account``); with
            ``service_client_factory`` they must be named, and STS and Organizations
            are called in the first.
        client: not for organisations (each account needs its own clients); refused.
        client_factory: not for organisations (see ``service_client_factory``); refused.
        service_client_factory: makes the run's clients instead of the built-in AWS
            client: called as ``factory(service, region, credentials)`` for ``"sts"``,
            ``"organizations"``, ``"kms"`` (and ``"account"``), once per service,
            region and credentials; ``credentials`` is ``None`` for the caller's own,
            else a dict of ``aws_access_key_id``, ``aws_secret_access_key`` and
            ``aws_session_token`` (an assumed role's), so
            ``session.client(service, region_name=region, **(credentials or {}))``
            is one. ``boto3_client_factory`` makes such a factory over a
            ``boto3.Session``. Not with ``profile``, ``endpoint_url`` or ``credentials``
            (they configure the built-in client: configure your clients instead).
        profile: the AWS profile of the caller.
        endpoint_url: an endpoint for every AWS call (an emulator).
        role_arn: not for organisations (use ``role_name``); refused.
        external_id: the external id the member roles' trust policy requires.
        session_name: the session name of each assumed role.
        credentials: static credentials of the caller (see ``check_key``).
        allow_unknown_regions: accept region names this version does not know (see ``check_key``).
        on_call: called with every API attempt (see ``check_key``); else the ``kms_rotation`` logger.
        max_rotation_period_days: as ``check_account``.
        evaluate_disabled_keys: as ``check_account``.
        exemptions: as ``check_account``.
        rotation_history: as ``check_account``.
        max_days_since_rotation: as ``check_account``.
        accept_on_demand_rotation: as ``check_account``.
        material_expiry_warning_days: as ``check_account``.
        last_usage: as ``check_account``.
        max_requests_per_second: a cap on every operation's rate, per account and region.
        max_in_flight: calls in flight at once per account and region.
        on_progress: called with a ``ProgressEvent`` (each naming its ``account_id``).
        organization: every account of the AWS Organization (``ListAccounts``).
        organizational_unit: every account under this OU (``ou-...``) or root (``r-...``), recursively.
        accounts_file: a JSON file ``{"111122223333": "arn:aws:iam::111122223333:role/NAME", ...}``
            naming each account's role, for setups without Organizations access.
        role_name: the role assumed in each account, ``arn:PARTITION:iam::ACCOUNT:role/NAME``
            (``external_id`` and ``session_name`` apply to it).
        include_accounts: only these account ids.
        exclude_accounts: not these account ids.
        max_accounts_in_flight: accounts checked at once (default 8), each with its own request budgets.
        assume_role_in_caller_account: assume the role in the caller's own account too
            (by default it is checked with the caller's credentials).
        remediation_role_name: the role remediation assumes in each account (default ``role_name``).
        baseline: an earlier organisation run's report (as ``check_account``'s
            ``baseline``); the same scope and policy, or it is refused.
        fail_on: ``"any"`` (the default) or ``"new"`` (as ``check_account``).

    Returns:
        The ``OrganizationReport``. Failures in an account are in it, not raised.

    Raises:
        InvalidInputError: a malformed option, account id, role name, OU id or accounts
            file, or conflicting options; raised before any AWS call.
        ConfigurationError: no region or credentials.
        ApiError: the caller's identity or the account listing failed (with
            ``service_client_factory``: also the factory raising, or its client lacking
            the operation's method, there).
    """
    return _native.check_organization(locals())


def remediate_organization(
    report: OrganizationReport | str | Mapping[str, Any],
    *,
    regions: str | Sequence[str] | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    service_client_factory: Callable[[str, str, Mapping[str, str] | None], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    allow_unknown_regions: bool | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    rotation_period_days: int | None = None,
    dry_run: bool | None = None,
    rotate_on_demand: bool | None = None,
    organization: bool | None = None,
    organizational_unit: str | None = None,
    accounts_file: str | os.PathLike[str] | None = None,
    role_name: str | None = None,
    include_accounts: str | Sequence[str] | None = None,
    exclude_accounts: str | Sequence[str] | None = None,
    max_accounts_in_flight: int | None = None,
    assume_role_in_caller_account: bool | None = None,
    remediation_role_name: str | None = None,
) -> RemediationReport:
    """Fixes an organisation report's ``FAIL`` findings, each in its own account,
    through ``remediation_role_name`` (else ``role_name``); a dry run by default,
    with the same rules as ``remediate``.

    Args:
        report: the ``OrganizationReport`` of ``check_organization`` (or its ``to_json()`` text or ``to_dict()``).
        regions: each target is fixed in its own region whatever this says; with
            ``service_client_factory``, name the region where STS is called (the first).
        client: not for organisations; refused.
        client_factory: not for organisations (see ``service_client_factory``); refused.
        service_client_factory: makes the run's clients instead of the built-in AWS
            client (see ``check_organization``); give ``regions`` too.
        profile: the AWS profile of the caller.
        endpoint_url: an endpoint for every AWS call (an emulator).
        role_arn: not for organisations (use ``role_name``); refused.
        external_id: the external id the member roles' trust policy requires.
        session_name: the session name of each assumed role.
        credentials: static credentials of the caller (see ``check_key``).
        allow_unknown_regions: accept region names this version does not know (see ``check_key``).
        on_call: called with every API attempt (see ``check_key``); else the ``kms_rotation`` logger.
        rotation_period_days: as ``remediate``.
        dry_run: ``True`` (the default) reports what would change and changes nothing.
        rotate_on_demand: as ``remediate``.
        organization: every account of the AWS Organization (``ListAccounts``).
        organizational_unit: every account under this OU (``ou-...``) or root (``r-...``), recursively.
        accounts_file: a JSON file ``{"111122223333": "arn:aws:iam::111122223333:role/NAME", ...}``
            naming each account's role, for setups without Organizations access.
        role_name: the role assumed in each account, ``arn:PARTITION:iam::ACCOUNT:role/NAME``
            (``external_id`` and ``session_name`` apply to it).
        include_accounts: only these account ids.
        exclude_accounts: not these account ids.
        max_accounts_in_flight: accounts checked at once (default 8), each with its own request budgets.
        assume_role_in_caller_account: assume the role in the caller's own account too
            (by default it is checked with the caller's credentials).
        remediation_role_name: the role remediation assumes in each account (default ``role_name``).

    Returns:
        The ``RemediationReport``; each action names its ``account_id``. An account
        that cannot be reached makes its targets ``FAILED`` with the AWS code.

    Raises:
        InvalidInputError: a malformed report, period or option; a target outside its
            finding's account; raised before any AWS call.
        ConfigurationError: no credentials.
    """
    options = locals()
    return _native.remediate_organization(options.pop("report"), options)


def verify_evidence(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Re-checks, offline, the evidence ``check_account(evidence=...)`` (or
    ``kms-rotation check --evidence``) wrote, and compares the report it gives
    with the report file byte for byte, apart from the run-specific fields the
    manifest names (``source`` and ``stats``: how and where the facts were read).

    Args:
        path: the evidence file, or its ``NAME.manifest.json``.

    Returns:
        ``{"verified": bool, "differences": [str, ...], "manifest": str,
        "report": str, "evidence": str, "tool_version": str,
        "run_specific_fields": [str, ...]}``; ``differences`` names each thing
        that differs (a file changed after it was written, another tool
        version, a re-check that gives another report).

    Raises:
        FileAccessError: the manifest, the evidence or the report cannot be read.
        InvalidInputError: the file is neither evidence nor its manifest.
    """
    return json.loads(_native.verify_evidence(os.fspath(path)))


async def verify_evidence_async(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Like ``verify_evidence``, as a coroutine: ``result = await verify_evidence_async(path)``."""
    return json.loads(await _native.verify_evidence_async(os.fspath(path)))


def check_terraform_plan(
    plan: str | os.PathLike[str] | Mapping[str, Any],
    *,
    max_rotation_period_days: int | None = None,
    evaluate_disabled_keys: bool | None = None,
    exemptions: Sequence[str] | None = None,
    rotation_history: bool | None = None,
    max_days_since_rotation: int | None = None,
    accept_on_demand_rotation: bool | None = None,
    material_expiry_warning_days: int | None = None,
    last_usage: bool | None = None,
    compare_live: bool | None = None,
    regions: str | Sequence[str] | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    max_requests_per_second: float | None = None,
    max_in_flight: int | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
) -> AccountReport:
    """Checks the keys a Terraform plan declares, before they exist, with the same
    decision table, policy, report and exit code as ``check_account``.

    Args:
        plan: the JSON of ``terraform show -json PLANFILE`` (or of ``terraform show -json``
            on a state): a path, or the document as a dict.
        max_rotation_period_days: the longest acceptable rotation period (see ``check_account``).
        evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
        exemptions: key ids, key ARNs, ``alias/NAME`` (from ``aws_kms_alias``), ``tag:KEY=VALUE``.
        rotation_history: refused: a declared key has no rotation history yet.
        max_days_since_rotation: refused, as ``rotation_history``.
        accept_on_demand_rotation: refused, as ``rotation_history``.
        material_expiry_warning_days: accepted for a policy shared with ``check_account``; a
            declared key has no key material yet, so nothing is named.
        last_usage: refused: a declared key has not been used before it exists.
        compare_live: compare each declared key whose id is known with its live key, read
            fresh through the client below: a difference (rotation on in the code but off
            live, another period, disabled, pending deletion, not found) is ``FAIL`` with
            reason ``drift``, its ``live`` giving both values and the live verdict beside the
            declared one; a key with no id known (not created yet) keeps its declared verdict
            and says so; a live read that fails is ``ERROR``.
        regions: the region live key ids are looked up in (``compare_live``; an ARN names
            its own); default: the client's or the configured one.
        client: a boto3 KMS client, or a ``Snapshot``, the live keys are read with
            (``compare_live``); default: the built-in AWS client.
        client_factory: ``region -> client``, for a region ``client`` does not serve.
        profile: the AWS profile of the built-in client.
        endpoint_url: an endpoint for every AWS call of the built-in client (an emulator).
        role_arn: a role the built-in client assumes first.
        external_id: the external id the role's trust policy requires.
        session_name: the session name of the assumed role.
        credentials: static credentials for the built-in client (see ``check_account``).
        max_requests_per_second: a cap on the live reads' rate (see ``check_account``).
        max_in_flight: the most live reads in flight at once.
        on_call: called with every API attempt as a dict (see ``check_account``).

    Returns:
        The ``AccountReport``: one finding per declared key, each with its ``code``
        (file, line, resource address, the fix as code). A value not known before
        apply that the table needs is ``ERROR`` with reason ``unresolved``, naming it.

    Raises:
        InvalidInputError: not a plan (saying what it looks like), invalid JSON (line
            and column), an unsupported ``format_version``, ``compare_live`` on a plan that
            knows no key id, a client option without ``compare_live``; before any call.
        ConfigurationError: with ``compare_live``, as ``check_key``.
        FileAccessError: the file cannot be read.
    """
    options = dict(locals())
    return _native.check_terraform_plan(options.pop("plan"), options)


def check_cloudformation(
    templates: str
    | os.PathLike[str]
    | Mapping[str, Any]
    | Sequence[str | os.PathLike[str] | Mapping[str, Any]],
    *,
    parameters: Mapping[str, str] | None = None,
    max_rotation_period_days: int | None = None,
    evaluate_disabled_keys: bool | None = None,
    exemptions: Sequence[str] | None = None,
    rotation_history: bool | None = None,
    max_days_since_rotation: int | None = None,
    accept_on_demand_rotation: bool | None = None,
    material_expiry_warning_days: int | None = None,
    last_usage: bool | None = None,
    compare_live: bool | None = None,
    regions: str | Sequence[str] | None = None,
    client: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str | None = None,
    credentials: Mapping[str, str] | Any = None,
    max_requests_per_second: float | None = None,
    max_in_flight: int | None = None,
    on_call: Callable[[dict[str, Any]], object] | None = None,
    stack_name: str | None = None,
    cloudformation_client: Any = None,
) -> AccountReport:
    """Checks the keys CloudFormation templates declare, before they exist, with the
    same decision table, policy, report and exit code as ``check_account``.

    Args:
        templates: a template (JSON or YAML, short-form tags included), a directory of
            them (CDK's ``cdk.out``), a template as a dict (``Template.from_stack(stack).to_json()``),
            or a list of these.
        parameters: parameter values over their defaults, ``{"NAME": "VALUE"}``.
        max_rotation_period_days: the longest acceptable rotation period (see ``check_account``).
        evaluate_disabled_keys: check disabled keys (the default), or report them ``NOT_APPLICABLE``.
        exemptions: key ids, key ARNs, ``alias/NAME`` (from ``AWS::KMS::Alias``), ``tag:KEY=VALUE``.
        rotation_history: refused: a declared key has no rotation history yet.
        max_days_since_rotation: refused, as ``rotation_history``.
        accept_on_demand_rotation: refused, as ``rotation_history``.
        material_expiry_warning_days: accepted for a policy shared with ``check_account``; a
            declared key has no key material yet, so nothing is named.
        last_usage: refused: a declared key has not been used before it exists.
        compare_live: compare the keys of the deployed stack ``stack_name`` (their physical
            ids from ``DescribeStackResources``, read before any KMS call) with their live
            keys, as ``check_terraform_plan`` does.
        regions, client, client_factory, profile, endpoint_url, role_arn, external_id,
            session_name, credentials, max_requests_per_second, max_in_flight, on_call: where
            and how the live keys are read, as ``check_terraform_plan`` says; ``regions`` is
            also where the stack is read.
        stack_name: the deployed stack (name or stack id) of the one template given (``compare_live``).
        cloudformation_client: a boto3 ``cloudformation`` client the stack is read with;
            default: the built-in AWS client (needed with ``client=``).

    Returns:
        The ``AccountReport``, as ``check_terraform_plan``'s.

    Raises:
        InvalidInputError: not a template (saying what it looks like), invalid YAML or
            JSON (line and column), a parameter no template declares, ``stack_name`` without
            ``compare_live`` (or ``compare_live`` without it), a stack that does not exist
            (naming it); before any KMS call.
        ConfigurationError: with ``compare_live``, as ``check_key``.
        ApiError: the stack could not be read.
        FileAccessError: a file cannot be read.
    """
    options = dict(locals())
    return _native.check_cloudformation(options.pop("templates"), options)


def boto3_client_factory(
    session: Any = None, **client_kwargs: Any
) -> Callable[[str, str, Mapping[str, str] | None], Any]:
    """A ``service_client_factory`` over a ``boto3.Session``: each call is
    ``session.client(service, region_name=region, **credentials, **client_kwargs)``.

    Example::

        session = boto3.Session(profile_name="audit")
        report = kms_rotation.check_organization(
            organization=True,
            role_name="KmsRotationAudit",
            regions=["us-east-1", "eu-west-1"],
            service_client_factory=kms_rotation.boto3_client_factory(session),
        )

    Args:
        session: the caller's ``boto3.Session`` (default: a new ``boto3.Session()``,
            from the environment and the shared AWS config).
        client_kwargs: more keywords for every client, e.g. ``endpoint_url`` or
            ``config`` (a ``botocore.config.Config``).

    Returns:
        The factory. It makes one client per call (the run reuses each); calls from
        several threads are serialised, since a ``boto3.Session`` is not thread-safe.

    Raises:
        InvalidInputError: ``client_kwargs`` name ``region_name`` or credentials,
            which the factory sets per client.
    """
    reserved = {"region_name", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
    for name in sorted(reserved & set(client_kwargs)):
        # The value is not echoed: it may be a credential.
        reason = "the factory sets it for each client (the run's region, the account's credentials)"
        error = InvalidInputError(f"invalid {name} <given>: {reason}")
        error.what, error.value, error.reason = name, "<given>", reason
        raise error
    if session is None:
        import boto3

        session = boto3.Session()
    lock = threading.Lock()

    def factory(service: str, region: str, credentials: Mapping[str, str] | None) -> Any:
        with lock:
            return session.client(service, region_name=region, **(credentials or {}), **client_kwargs)

    return factory


def _async_twin(
    sync: Callable[_P, _T], native: Callable[..., Awaitable[_T]]
) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """The coroutine function twin of ``sync``: the same signature, its
    arguments handed to ``native`` as ``sync`` hands them (positional ones
    first, then the keywords as one dict). The native awaitable is made inside
    the running event loop, so ``asyncio.run(twin(...))`` works."""
    signature = inspect.signature(sync)
    positional = [name for name, p in signature.parameters.items() if p.kind is not p.KEYWORD_ONLY]

    @functools.wraps(sync)
    async def twin(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        options = dict(bound.arguments)
        return await native(*(options.pop(name) for name in positional), options)

    twin.__doc__ = f"Like ``{sync.__name__}``, as a coroutine: ``result = await {sync.__name__}_async(...)``."
    return twin


check_key_async = _async_twin(check_key, _native.check_key_async)
check_account_async = _async_twin(check_account, _native.check_account_async)
remediate_async = _async_twin(remediate, _native.remediate_async)
remediate_keys_async = _async_twin(remediate_keys, _native.remediate_keys_async)
collect_async = _async_twin(collect, _native.collect_async)
check_organization_async = _async_twin(check_organization, _native.check_organization_async)
remediate_organization_async = _async_twin(remediate_organization, _native.remediate_organization_async)
check_terraform_plan_async = _async_twin(check_terraform_plan, _native.check_terraform_plan_async)
check_cloudformation_async = _async_twin(check_cloudformation, _native.check_cloudformation_async)

# Public classes show as `kms_rotation.X` (tracebacks, reprs, pickling), wherever defined.
for _class in (
    ApiError,
    ConfigurationError,
    FileAccessError,
    InvalidInputError,
    KmsRotationError,
    MalformedSnapshotError,
    Outcome,
    Reason,
    RegionState,
    Status,
):
    _class.__module__ = __name__
del _class

__version__: str = _native.VERSION
"""The package version (the Rust crates' version)."""

__all__ = [
    "AccountEntry",
    "AccountReport",
    "ApiError",
    "CodeLocation",
    "ConfigurationError",
    "ErrorInfo",
    "FileAccessError",
    "Finding",
    "InvalidInputError",
    "KeyMaterialStatus",
    "KeySummary",
    "KmsRotationError",
    "LastUsage",
    "MalformedSnapshotError",
    "OrganizationReport",
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
    "boto3_client_factory",
    "check_account",
    "check_account_async",
    "check_cloudformation",
    "check_cloudformation_async",
    "check_key",
    "check_key_async",
    "check_organization",
    "check_organization_async",
    "check_terraform_plan",
    "check_terraform_plan_async",
    "collect",
    "collect_async",
    "load_cloudsploit_collection",
    "load_snapshot",
    "remediate",
    "remediate_async",
    "remediate_keys",
    "remediate_keys_async",
    "remediate_organization",
    "remediate_organization_async",
    "verify_evidence",
    "verify_evidence_async",
]
