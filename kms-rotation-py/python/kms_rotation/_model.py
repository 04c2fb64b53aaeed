"""Report and finding objects: typed views of the Rust core's canonical JSON.

Every object is built from the JSON the core wrote and keeps it, so
``to_dict()`` and ``to_json()`` give exactly what Rust gives for the same
input; the attributes are the same data with Python types (enums, datetimes,
tuples).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class Status(str, Enum):
    """The verdict for one key."""

    PASS = "PASS"
    """Rotation is on and the period is within policy."""
    FAIL = "FAIL"
    """Rotation is off, or the period exceeds policy."""
    NOT_APPLICABLE = "NOT_APPLICABLE"
    """Automatic rotation does not exist for this key; the reason says why."""
    EXEMPT = "EXEMPT"
    """The policy exempts this key."""
    ERROR = "ERROR"
    """We could not tell (an API error after retries); never reported as FAIL."""

    def __str__(self) -> str:
        return self.value


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

    def __str__(self) -> str:
        return self.value


class RegionState(str, Enum):
    """How the scan of one region ended."""

    SCANNED = "scanned"
    """Every key was listed."""
    NOT_ENABLED = "not_enabled"
    """The region is not enabled for the account (``UnrecognizedClientException``)."""
    ERROR = "error"
    """Listing failed; ``error`` says how."""

    def __str__(self) -> str:
        return self.value


class Outcome(str, Enum):
    """What remediation did to one target key."""

    WOULD_CHANGE = "WOULD_CHANGE"
    """Dry run: this change would be made."""
    CHANGED = "CHANGED"
    """Rotation was enabled (see ``verified``)."""
    ALREADY_COMPLIANT = "ALREADY_COMPLIANT"
    """The key was compliant when re-read; nothing done."""
    SKIPPED = "SKIPPED"
    """KMS would refuse (disabled, pending deletion, not eligible); nothing done."""
    FAILED = "FAILED"
    """A call failed; see ``error``."""

    def __str__(self) -> str:
        return self.value


def _time(text: str | None) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime (``Z`` accepted on Python 3.9)."""
    if text is None:
        return None
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _dumps(value: Any) -> str:
    """JSON text as the Rust core writes it (serde_json's pretty printer)."""
    return json.dumps(value, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class _Record:
    """A value built from a JSON object, which it keeps for ``to_dict()``."""

    _raw: dict[str, Any] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON object, as a fresh dict."""
        return copy.deepcopy(self._raw)

    def to_json(self) -> str:
        """The canonical JSON, pretty-printed like the Rust core."""
        return _dumps(self._raw)


@dataclass(frozen=True)
class ErrorInfo(_Record):
    """An AWS error as a report shows it."""

    code: str
    """The AWS error code, verbatim (``AccessDeniedException``, ...)."""
    message: str
    """The AWS error message."""
    operation: str | None
    """The operation that failed, e.g. ``GetKeyRotationStatus``."""

    @classmethod
    def _from_dict(cls, raw: dict[str, Any] | None) -> ErrorInfo | None:
        if raw is None:
            return None
        return cls(raw, raw["code"], raw["message"], raw.get("operation"))


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any] | None) -> KeySummary | None:
        if raw is None:
            return None
        return cls(
            raw,
            raw["manager"],
            raw["state"],
            raw["spec"],
            raw["usage"],
            raw["origin"],
            raw.get("multi_region"),
            raw.get("primary_arn"),
            raw.get("primary_region"),
        )


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any] | None) -> RotationStatus | None:
        if raw is None:
            return None
        return cls(
            raw,
            raw["enabled"],
            raw.get("period_days"),
            _time(raw.get("next_rotation_date")),
            _time(raw.get("on_demand_rotation_started_at")),
        )


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any] | None) -> RemediationPlan | None:
        if raw is None:
            return None
        return cls(raw, raw["target_arn"], raw["region"], raw["rotation_period_days"], raw.get("blocked_by"))


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> Finding:
        return cls(
            raw,
            raw["region"],
            raw["key_id"],
            raw["key_arn"],
            tuple(raw["aliases"]),
            Status(raw["status"]),
            Reason(raw["reason"]),
            raw["message"],
            KeySummary._from_dict(raw.get("key")),
            RotationStatus._from_dict(raw.get("rotation")),
            RemediationPlan._from_dict(raw.get("remediation")),
            ErrorInfo._from_dict(raw.get("error")),
        )

    @classmethod
    def _from_json(cls, text: str) -> Finding:
        return cls._from_dict(json.loads(text))

    def __repr__(self) -> str:
        aliases = f", aliases={list(self.aliases)!r}" if self.aliases else ""
        return (
            f"Finding({self.status.value} {self.reason.value}, region={self.region!r}, "
            f"key_id={self.key_id!r}{aliases})"
        )


@dataclass(frozen=True)
class Policy(_Record):
    """The rules the keys were held to."""

    max_rotation_period_days: int
    """The longest acceptable rotation period in days."""
    evaluate_disabled_keys: bool
    """Whether disabled keys were evaluated (else ``NOT_APPLICABLE``)."""
    exemptions: tuple[str, ...]
    """The exemption rules: key ids, key ARNs, ``alias/...``, ``tag:KEY=VALUE``."""

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> Policy:
        return cls(
            raw,
            raw["max_rotation_period_days"],
            raw["evaluate_disabled_keys"],
            tuple(raw.get("exemptions", ())),
        )


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> RegionReport:
        return cls(
            raw,
            raw["region"],
            RegionState(raw["state"]),
            raw["keys_listed"],
            ErrorInfo._from_dict(raw.get("error")),
        )


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> Summary:
        return cls(
            raw, raw["total"], raw["PASS"], raw["FAIL"], raw["NOT_APPLICABLE"], raw["EXEMPT"], raw["ERROR"]
        )

    def __getitem__(self, status: Status | str) -> int:
        """The count for one status (``Status.FAIL`` or ``"FAIL"``)."""
        return int(self._raw[Status(status).value])


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> Stats:
        return cls(raw, dict(raw["api_calls"]), raw["retries"], raw["throttled"], raw["duration_ms"])

    @property
    def total_calls(self) -> int:
        """All requests sent."""
        return sum(self.api_calls.values())


@dataclass(frozen=True)
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
    _json: str = field(repr=False, compare=False, default="")

    @classmethod
    def _from_json(cls, text: str) -> AccountReport:
        raw = json.loads(text)
        return cls(
            raw,
            raw["schema_version"],
            _time(raw["generated_at"]),  # type: ignore[arg-type]
            raw.get("account_id"),
            Policy._from_dict(raw["policy"]),
            tuple(RegionReport._from_dict(r) for r in raw["regions"]),
            tuple(Finding._from_dict(f) for f in raw["findings"]),
            Summary._from_dict(raw["summary"]),
            Stats._from_dict(raw["stats"]),
            text,
        )

    @classmethod
    def from_json(cls, text: str) -> AccountReport:
        """Reads a report written by ``to_json()`` (by Python, Rust or Node),
        e.g. to remediate it later.

        Raises:
            InvalidInputError: the text is not such a report (line and column given).
        """
        from ._native import _canonical_report_json

        return cls._from_json(_canonical_report_json(text))

    def to_json(self) -> str:
        """The canonical JSON, exactly as the Rust core wrote it."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON object, as a fresh dict."""
        return json.loads(self._json)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def findings_with(self, status: Status | str) -> tuple[Finding, ...]:
        """The findings with one status (``Status.FAIL`` or ``"FAIL"``)."""
        wanted = Status(status)
        return tuple(f for f in self.findings if f.status is wanted)

    def __repr__(self) -> str:
        counts = ", ".join(f"{s.value}={self.summary[s]}" for s in Status)
        return (
            f"AccountReport(account_id={self.account_id!r}, "
            f"regions={[r.region for r in self.regions]!r}, findings={len(self.findings)}, {counts})"
        )


@dataclass(frozen=True)
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

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> RemediationAction:
        return cls(
            raw,
            raw["region"],
            raw["target_arn"],
            tuple(raw["finding_arns"]),
            Outcome(raw["outcome"]),
            raw["message"],
            raw["rotation_period_days"],
            RotationStatus._from_dict(raw.get("before")),
            RotationStatus._from_dict(raw.get("after")),
            raw["verified"],
            ErrorInfo._from_dict(raw.get("error")),
        )

    def __repr__(self) -> str:
        return (
            f"RemediationAction({self.outcome.value}, region={self.region!r}, "
            f"target_arn={self.target_arn!r}, verified={self.verified})"
        )


@dataclass(frozen=True)
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
    all_compliant: bool = False
    """True when every target ended compliant: changed and verified, or already compliant."""
    _json: str = field(repr=False, compare=False, default="")

    @classmethod
    def _from_json(cls, text: str, all_compliant: bool) -> RemediationReport:
        raw = json.loads(text)
        return cls(
            raw,
            raw["schema_version"],
            _time(raw["generated_at"]),  # type: ignore[arg-type]
            raw["dry_run"],
            raw["rotation_period_days"],
            tuple(RemediationAction._from_dict(a) for a in raw["actions"]),
            dict(raw["summary"]),
            Stats._from_dict(raw["stats"]),
            all_compliant,
            text,
        )

    def to_json(self) -> str:
        """The canonical JSON, exactly as the Rust core wrote it."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON object, as a fresh dict."""
        return json.loads(self._json)

    def __iter__(self) -> Iterator[RemediationAction]:
        return iter(self.actions)

    def __repr__(self) -> str:
        counts = "".join(f", {outcome}={count}" for outcome, count in self.summary.items())
        return (
            f"RemediationReport(dry_run={self.dry_run}, rotation_period_days={self.rotation_period_days}, "
            f"actions={len(self.actions)}{counts}, all_compliant={self.all_compliant})"
        )


__all__ = [
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
]
