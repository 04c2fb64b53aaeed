"""The enums of report fields. Each member's value is the Rust core's spelling
(a test ties them to ``_native.ENUM_VALUES``); members compare equal to, and
print as, that spelling."""

from __future__ import annotations

from enum import Enum


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
    ROTATION_OVERDUE = "rotation_overdue"
    ROTATED_ON_DEMAND = "rotated_on_demand"
    CREATED_WITHIN_WINDOW = "created_within_window"
    API_ERROR = "api_error"
    INVALID_RESPONSE = "invalid_response"
    INCOMPLETE_METADATA = "incomplete_metadata"
    MISSING_EVIDENCE = "missing_evidence"
    ROTATION_PENDING = "rotation_pending"
    UNRESOLVED = "unresolved"
    DRIFT = "drift"

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


__all__ = ["Outcome", "Reason", "RegionState", "Status"]
