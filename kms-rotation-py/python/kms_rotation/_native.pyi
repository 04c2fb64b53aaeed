"""Types of the native module ``kms_rotation._native`` (PyO3). The public
functions, with their signatures, are in ``kms_rotation/__init__.py``; each
hands its keyword arguments here as one dict of the core's option names."""

import os
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, final

from typing_extensions import TypeAlias

from kms_rotation._enums import Outcome, Reason, RegionState, Status

VERSION: str
OPTION_NAMES: list[str]
RENDER_OPTION_NAMES: list[str]
ENUM_VALUES: dict[str, list[str]]
CONFORMANCE_CASES: list[str]
EVENT_PATTERN: dict[str, Any]
RULE_PARAMETERS_ENV: str
TO_SECURITY_HUB_ENV: str
CROSS_ACCOUNT_ROLE_ENV: str

_Options: TypeAlias = Mapping[str, Any]
_Path: TypeAlias = str | os.PathLike[str]

def check_key(key: str, options: _Options) -> Finding: ...
def check_key_async(key: str, options: _Options) -> Awaitable[Finding]: ...
def check_account(options: _Options) -> AccountReport: ...
def check_account_async(options: _Options) -> Awaitable[AccountReport]: ...
def check_organization(options: _Options) -> OrganizationReport: ...
def check_organization_async(options: _Options) -> Awaitable[OrganizationReport]: ...
def remediate_organization(
    report: OrganizationReport | str | Mapping[str, Any], options: _Options
) -> RemediationReport: ...
def remediate_organization_async(
    report: OrganizationReport | str | Mapping[str, Any], options: _Options
) -> Awaitable[RemediationReport]: ...
def collect(path: _Path, options: _Options) -> Snapshot: ...
def collect_async(path: _Path, options: _Options) -> Awaitable[Snapshot]: ...
def remediate(report: AccountReport | str | Mapping[str, Any], options: _Options) -> RemediationReport: ...
def remediate_async(
    report: AccountReport | str | Mapping[str, Any], options: _Options
) -> Awaitable[RemediationReport]: ...
def remediate_keys(keys: str | list[str] | tuple[str, ...], options: _Options) -> RemediationReport: ...
def remediate_keys_async(
    keys: str | list[str] | tuple[str, ...], options: _Options
) -> Awaitable[RemediationReport]: ...
def verify_evidence(path: _Path) -> str: ...
def verify_evidence_async(path: _Path) -> Awaitable[str]: ...
def check_terraform_plan(plan: _Path | Mapping[str, Any], options: _Options) -> AccountReport: ...
def check_terraform_plan_async(
    plan: _Path | Mapping[str, Any], options: _Options
) -> Awaitable[AccountReport]: ...
def check_cloudformation(
    templates: _Path | Mapping[str, Any] | Sequence[_Path | Mapping[str, Any]], options: _Options
) -> AccountReport: ...
def check_cloudformation_async(
    templates: _Path | Mapping[str, Any] | Sequence[_Path | Mapping[str, Any]], options: _Options
) -> Awaitable[AccountReport]: ...
def load_cloudsploit_collection(path: _Path) -> Snapshot:
    """Reads a CloudSploit collection (the file ``cloudsploit --collection FILE``
    writes): its ``kms.listKeys``, ``kms.listAliases``, ``kms.describeKey`` and
    ``kms.getKeyRotationStatus`` answers and recorded errors, as a ``Snapshot``
    to pass as ``client=``, so CloudSploit's facts are judged by these rules
    without calling AWS again.

    Raises:
        FileAccessError: the file cannot be read.
        MalformedSnapshotError: the text is not a CloudSploit collection of an AWS account.
    """

def load_snapshot(path: _Path, *, strict: bool = False) -> Snapshot:
    """Reads a snapshot file (``collect`` writes them; ``aws kms describe-key``
    output can be pasted in). Pass the result as ``client=``: it serves every
    region in the file, and ``regions`` default to the file's. A key entry
    that cannot be read becomes an ``ERROR`` finding naming the field;
    ``strict=True`` refuses the file instead.

    Raises:
        FileAccessError: the file cannot be read.
        MalformedSnapshotError: the text is not a snapshot (line and column given).
        InvalidInputError: with ``strict=True``, a key entry that cannot be read.
    """

def config_rule_handler(
    event: Mapping[str, Any] | str,
    config_client: Any,
    function_arn: str | None,
    time_left_ms: int | None,
    options: _Options,
) -> dict[str, Any]:
    """The Config custom rule's handler (see `kms_rotation.aws_lambda.config_rule_handler`)."""

def event_handler(
    event: Mapping[str, Any] | str,
    function_arn: str | None,
    time_left_ms: int | None,
    rule_parameters: Mapping[str, Any] | str | None,
    options: _Options,
    cross_account_role_name: str | None = None,
    service_client_factory: Callable[[str, str, Mapping[str, str] | None], Any] | None = None,
) -> dict[str, Any]:
    """The EventBridge rule's handler (see `kms_rotation.aws_lambda.event_handler`)."""

def to_security_hub_from_env() -> bool:
    """Whether ``KMS_ROTATION_TO_SECURITY_HUB`` asks for the findings in Security Hub
    (``true`` or ``false``; unset or empty: ``false``), as the core reads it.

    Raises:
        InvalidInputError: any other value, naming the variable and the value.
    """

def run_cli(args: list[str]) -> int:
    """Runs the ``kms-rotation`` command line (the core's, as the Rust binary and the
    Node ``bin`` run it) with ``args`` (the first is the program name) and returns
    its exit code, the GIL released meanwhile; ``kms_rotation.cli.main`` calls it."""

def run_conformance(wrap: Callable[[SnapshotTransport], Any]) -> list[tuple[str, str, str]]:
    """Runs every case of the core's conformance suite (``CONFORMANCE_CASES``)
    with ``wrap(transport)`` as each region's KMS client, where ``transport``
    is a ``SnapshotTransport``; returns ``(case, outcome, detail)`` per case,
    ``outcome`` being ``"passed"``, ``"failed"`` or ``"not_applicable"``.
    """

@final
class Snapshot:
    """An account's KMS facts (keys, rotation status, aliases, tags, replayed
    errors) held in memory, in the snapshot file format. Pass it as
    ``client=`` to check, remediate or collect offline; it serves every region
    it holds, and changes made by a non-dry-run remediation stay in memory.
    """

    @staticmethod
    def from_json(text: str, *, strict: bool = False) -> Snapshot:
        """Parses snapshot JSON text. A key entry that cannot be read becomes an
        ``ERROR`` finding naming the field; ``strict=True`` refuses the text instead.
        """

    @staticmethod
    def load(path: _Path, *, strict: bool = False) -> Snapshot:
        """Reads a snapshot file, as ``from_json`` reads text."""

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

    def transport(self, region: str) -> SnapshotTransport:
        """One region as a transport answering in the KMS API's JSON (what
        ``kms_rotation.testing.SnapshotKms`` calls).

        Raises:
            ConfigurationError: the snapshot has no such region.
        """

@final
class SnapshotTransport:
    """One region of a ``Snapshot`` answering KMS API requests in the API's own
    JSON: the native half of ``kms_rotation.testing.SnapshotKms``.
    """

    @property
    def region(self) -> str:
        """The region served."""

    def invoke(
        self, operation: str, request: Mapping[str, Any]
    ) -> tuple[dict[str, Any], None] | tuple[None, dict[str, Any]]:
        """Answers one request: ``(response, None)``, or ``(None, error)`` with
        ``error`` shaped like botocore's ``ClientError.response``.

        Args:
            operation: the API's name for it, e.g. ``"DescribeKey"``.
            request: the request members, e.g. ``{"KeyId": "alias/app"}``.

        Raises:
            InvalidInputError: an operation the snapshot does not serve.
        """

@final
class ProgressEvent:
    """Something that happened during a scan, for progress bars.

    `kind` is one of `"region_started"`, `"keys_listed"` (``listed`` keys
    known so far in ``region``), `"key_evaluated"` (``evaluated`` of
    ``listed`` findings ready in ``region``) and `"region_finished"` (with
    ``state``: `"scanned"`, `"not_enabled"` or `"error"`); in an organisation
    run also `"account_started"` and `"account_finished"` (``state``:
    `"checked"`, `"skipped"` or `"error"`), and every event names its ``account_id``.
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
    @property
    def account_id(self) -> str | None: ...

class _Record:
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def to_dict(self) -> dict[str, Any]:
        """The canonical JSON object, as a fresh dict."""

    def to_json(self) -> str:
        """The canonical JSON, pretty-printed like the Rust core."""

@final
class ErrorInfo(_Record):
    """An AWS error as a report shows it."""

    @property
    def code(self) -> str:
        """The AWS error code, verbatim (``AccessDeniedException``, ...)."""

    @property
    def message(self) -> str:
        """The AWS error message."""

    @property
    def operation(self) -> str | None:
        """The operation that failed, e.g. ``GetKeyRotationStatus``."""

@final
class KeySummary(_Record):
    """The key facts a finding carries (AWS spellings: ``CUSTOMER``, ``Enabled``, ...)."""

    @property
    def manager(self) -> str:
        """``AWS`` or ``CUSTOMER``."""

    @property
    def state(self) -> str:
        """Lifecycle state, e.g. ``Enabled``, ``Disabled``, ``PendingDeletion``."""

    @property
    def spec(self) -> str:
        """Key spec, e.g. ``SYMMETRIC_DEFAULT``."""

    @property
    def usage(self) -> str:
        """Key usage, e.g. ``ENCRYPT_DECRYPT``."""

    @property
    def origin(self) -> str:
        """Material origin, e.g. ``AWS_KMS``, ``EXTERNAL``."""

    @property
    def multi_region(self) -> str | None:
        """``None``, ``PRIMARY`` or ``REPLICA``."""

    @property
    def primary_arn(self) -> str | None:
        """The primary's ARN, for a multi-Region key."""

    @property
    def primary_region(self) -> str | None:
        """The primary's region, for a multi-Region key."""

@final
class RotationStatus(_Record):
    """What ``GetKeyRotationStatus`` told about a key."""

    @property
    def enabled(self) -> bool:
        """Whether automatic rotation is on."""

    @property
    def period_days(self) -> int | None:
        """The rotation period, when reported (90..2560)."""

    @property
    def next_rotation_date(self) -> datetime | None:
        """When KMS will next rotate the key."""

    @property
    def on_demand_rotation_started_at(self) -> datetime | None:
        """Set while an on-demand rotation is running."""

    @property
    def last_rotated_at(self) -> datetime | None:
        """When the key last rotated (``ListKeyRotations``); ``None`` if never, or not read."""

    @property
    def last_rotation_type(self) -> str | None:
        """How it last rotated: ``AUTOMATIC`` or ``ON_DEMAND``."""

    @property
    def automatic_rotations(self) -> int | None:
        """``AUTOMATIC`` rotations in the history; ``None`` when the history was not read."""

    @property
    def on_demand_rotations(self) -> int | None:
        """``ON_DEMAND`` rotations in the history; ``None`` when the history was not read."""

@final
class KeyMaterialStatus(_Record):
    """A key's material: which is current and since when, what is pending, when it expires."""

    @property
    def current_key_material_id(self) -> str | None:
        """The current material's id."""

    @property
    def current_since(self) -> datetime | None:
        """When the current material became current (its rotation, or the key's creation)."""

    @property
    def expiration_model(self) -> str | None:
        """``KEY_MATERIAL_EXPIRES`` or ``KEY_MATERIAL_DOES_NOT_EXPIRE``."""

    @property
    def valid_to(self) -> datetime | None:
        """When the current material expires."""

    @property
    def expires_in_days(self) -> int | None:
        """Whole days left when the material expires within the warning window; else ``None``."""

    @property
    def pending_key_material_id(self) -> str | None:
        """Material imported but not yet current."""

    @property
    def pending_state(self) -> str | None:
        """``PENDING_ROTATION`` or ``PENDING_MULTI_REGION_IMPORT_AND_ROTATION``."""

    @property
    def regions_missing_import(self) -> tuple[str, ...]:
        """The Regions whose replica keys still lack the pending import."""

    @property
    def pending_import_state(self) -> str | None:
        """``IMPORTED`` or ``PENDING_IMPORT``: whether the pending material is in this key."""

@final
class LastUsage(_Record):
    """When a key was last used (``GetKeyLastUsage``), or why that is unknown."""

    @property
    def last_used_at(self) -> datetime | None:
        """When the key was last used; ``None`` when not since tracking began (or unknown: see ``error``)."""

    @property
    def operation(self) -> str | None:
        """The operation of that use, e.g. ``Decrypt``."""

    @property
    def cloudtrail_event_id(self) -> str | None:
        """The CloudTrail event id of that use."""

    @property
    def tracking_start_date(self) -> datetime | None:
        """When KMS began recording the key's use."""

    @property
    def error(self) -> ErrorInfo | None:
        """Why the last use is unknown (``GetKeyLastUsage`` failed); the verdict stands."""

@final
class RemediationPlan(_Record):
    """What ``remediate`` would do for a ``FAIL`` finding."""

    @property
    def target_arn(self) -> str:
        """The key to change: the key itself, or the primary of a replica."""

    @property
    def region(self) -> str:
        """The target's region."""

    @property
    def rotation_period_days(self) -> int:
        """The period ``EnableKeyRotation`` would set."""

    @property
    def blocked_by(self) -> str | None:
        """Why KMS would refuse the change as things stand (e.g. the key is disabled)."""

@final
class Finding(_Record):
    """The verdict for one key, with the facts behind it."""

    @property
    def account_id(self) -> str | None:
        """The account the key belongs to (in an organisation report; ``None`` in an account report)."""

    @property
    def region(self) -> str:
        """The region the key lives in."""

    @property
    def key_id(self) -> str:
        """The key id."""

    @property
    def key_arn(self) -> str:
        """The key ARN."""

    @property
    def aliases(self) -> tuple[str, ...]:
        """Alias names pointing at the key, sorted."""

    @property
    def status(self) -> Status:
        """The verdict (a ``Status``)."""

    @property
    def reason(self) -> Reason:
        """Why (a ``Reason``)."""

    @property
    def message(self) -> str:
        """One human sentence."""

    @property
    def key(self) -> KeySummary | None:
        """The key facts; ``None`` when ``DescribeKey`` failed."""

    @property
    def rotation(self) -> RotationStatus | None:
        """The rotation status; ``None`` when not read."""

    @property
    def remediation(self) -> RemediationPlan | None:
        """What ``remediate`` would do; ``None`` unless ``FAIL``."""

    @property
    def error(self) -> ErrorInfo | None:
        """The API error behind an ``ERROR``."""

    @property
    def key_material(self) -> KeyMaterialStatus | None:
        """The key's imported material (current, pending, expiry); ``None`` for other keys."""

    @property
    def last_usage(self) -> LastUsage | None:
        """The key's last use, with ``last_usage=True`` for ``FAIL`` and ``ERROR`` keys; else ``None``."""

    @property
    def ignored(self) -> tuple[str, ...]:
        """What the record held that the verdict did not need and was ignored."""

    @property
    def baseline_state(self) -> Literal["new", "unchanged", "resolved", "regressed"] | None:
        """How the finding compares with the baseline run: ``"new"``, ``"unchanged"``,
        ``"resolved"`` or ``"regressed"``; ``None`` without a baseline."""

    @property
    def code(self) -> CodeLocation | None:
        """Where a declared key is written (Terraform, CloudFormation); ``None`` for a live key."""

    @property
    def live(self) -> dict[str, Any] | None:
        """A declared key compared with its live key (``compare_live=True``), as a dict:
        ``state`` (``compared``, ``not_created``, ``read_failed``), ``key``,
        ``declared_status`` / ``declared_reason``, the live ``status`` / ``reason`` /
        ``message``, and ``differences`` (``field``, ``declared``, ``live``); else ``None``."""

@final
class CodeLocation(_Record):
    """Where a declared key is written, and the change that makes it pass."""

    @property
    def file(self) -> str | None:
        """The file as given; ``None`` for a document handed in as a dict."""

    @property
    def line(self) -> int | None:
        """1-based line of the resource in the file."""

    @property
    def column(self) -> int | None:
        """1-based column of the same."""

    @property
    def address(self) -> str:
        """The Terraform resource address or the CloudFormation logical id."""

    @property
    def resource_type(self) -> str:
        """``aws_kms_key``, ``AWS::KMS::Key``, ..."""

    @property
    def stack(self) -> str | None:
        """The stack (CloudFormation), when known."""

    @property
    def fix(self) -> str | None:
        """The change, as code, that makes a ``FAIL`` pass."""

    @property
    def fix_address(self) -> str | None:
        """The resource the fix goes on, when not this one (a replica's primary)."""

@final
class Policy(_Record):
    """The rules the keys were held to."""

    @property
    def max_rotation_period_days(self) -> int:
        """The longest acceptable rotation period in days."""

    @property
    def evaluate_disabled_keys(self) -> bool:
        """Whether disabled keys were evaluated (else ``NOT_APPLICABLE``)."""

    @property
    def exemptions(self) -> tuple[str, ...]:
        """The exemption rules: key ids, key ARNs, ``alias/...``, ``tag:KEY=VALUE``."""

    @property
    def rotation_history(self) -> bool:
        """Whether findings carry the rotation history (asked for, or needed by the policy)."""

    @property
    def max_days_since_rotation(self) -> int | None:
        """A key passes only if it rotated at most this many days ago; ``None``: not judged."""

    @property
    def accept_on_demand_rotation(self) -> bool:
        """Whether an on-demand rotation within the window passes a key with rotation off."""

    @property
    def material_expiry_warning_days(self) -> int:
        """Imported material expiring within this many days is named in the finding."""

    @property
    def last_usage(self) -> bool:
        """Whether ``FAIL`` and ``ERROR`` findings carry the key's last use."""

@final
class RegionReport(_Record):
    """How the scan of one requested region went."""

    @property
    def region(self) -> str:
        """The region."""

    @property
    def state(self) -> RegionState:
        """How its scan ended (a ``RegionState``)."""

    @property
    def keys_listed(self) -> int:
        """Keys ``ListKeys`` returned (each has a finding)."""

    @property
    def error(self) -> ErrorInfo | None:
        """The listing error, or a ``ListAliases`` failure that left aliases unknown."""

@final
class Summary(_Record):
    """Findings counted by status; ``summary[Status.FAIL]`` works too."""

    @property
    def total(self) -> int:
        """All findings."""

    @property
    def pass_(self) -> int:
        """``PASS`` (``pass`` is a Python keyword)."""

    @property
    def fail(self) -> int:
        """``FAIL``."""

    @property
    def not_applicable(self) -> int:
        """``NOT_APPLICABLE``."""

    @property
    def exempt(self) -> int:
        """``EXEMPT``."""

    @property
    def error(self) -> int:
        """``ERROR``."""

    def __getitem__(self, status: Status | str, /) -> int:
        """The count for one status (``Status.FAIL`` or ``"FAIL"``)."""

@final
class Stats(_Record):
    """What a run cost."""

    @property
    def api_calls(self) -> dict[str, int]:
        """Requests sent, per operation (retries included)."""

    @property
    def retries(self) -> int:
        """Requests repeated after a retryable error."""

    @property
    def throttled(self) -> int:
        """``ThrottlingException`` answers received."""

    @property
    def duration_ms(self) -> int:
        """Wall time in milliseconds."""

    @property
    def total_calls(self) -> int:
        """All requests sent."""

@final
class AccountReport(_Record):
    """The result of ``check_account``: one finding per listed key.

    Iterating over the report yields its findings. ``to_json()`` is the Rust
    core's canonical JSON (``schema_version`` 1), byte for byte.
    """

    @property
    def schema_version(self) -> int:
        """The report format version (1)."""

    @property
    def generated_at(self) -> datetime:
        """When the report was made."""

    @property
    def account_id(self) -> str | None:
        """The account, when known."""

    @property
    def policy(self) -> Policy:
        """The policy the keys were held to."""

    @property
    def source(self) -> dict[str, Any] | None:
        """Where the keys were read (``snapshot``, ``profile``, ``endpoint_url``,
        ``role_arn``, ``own_clients``) as a dict; ``remediate`` acts only there."""

    @property
    def regions(self) -> tuple[RegionReport, ...]:
        """One entry per requested region, sorted by name."""

    @property
    def summary(self) -> Summary:
        """Counts per status."""

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this report: 2 when a key fails; else 3 when a key is ``ERROR`` or a region was not checked; else 0."""

    @property
    def stats(self) -> Stats:
        """API calls, retries, duration."""

    @property
    def baseline(self) -> dict[str, Any] | None:
        """The comparison with the baseline run as a dict (``counts``, ``gone``,
        ``changed``, ``not_compared``, ``fail_on``, ``generated_at``); ``None`` without one."""

    @property
    def security_hub(self) -> dict[str, Any] | None:
        """What the delivery to Security Hub did (``to_security_hub=``) as a dict:
        ``imported``, ``created``, ``updated``, ``resolved``, ``archived``,
        ``not_sent`` and ``failed`` (each with ``id``, ``region``, ``operation``,
        ``code``, ``message``); ``None`` when not asked for."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """One finding per listed key, sorted by region then key ARN."""

    def findings_with(self, status: Status | str) -> tuple[Finding, ...]:
        """The findings with one status (``Status.FAIL`` or ``"FAIL"``)."""

    def __iter__(self) -> Iterator[Finding]: ...
    def render(self, format: str = "table", *, color: bool = False, only_failing: bool = False) -> str:
        """Renders the report: ``"table"`` (the default), ``"json"``, ``"csv"``,
        ``"ocsf"``, ``"asff"``, ``"cloudsploit"``, ``"html"``, ``"markdown"``,
        ``"junit"`` or ``"sarif"``, as the CLI writes it. ``color`` colours the table;
        ``only_failing`` shows only the FAIL and ERROR findings (table and markdown).

        Raises:
            InvalidInputError: an unknown format.
        """

    @classmethod
    def from_json(cls, text: str) -> AccountReport:
        """Reads a report written by ``to_json()`` (by Python, Rust or Node),
        e.g. to remediate it later.

        Raises:
            InvalidInputError: the text is not such a report (line and column given).
        """

@final
class AccountEntry(_Record):
    """One account of an organisation report."""

    @property
    def account_id(self) -> str:
        """The 12-digit account id."""

    @property
    def name(self) -> str | None:
        """Its name, as Organizations lists it."""

    @property
    def state(self) -> str:
        """How the run ended for it: ``"checked"``, ``"skipped"`` (not ``ACTIVE``) or ``"error"``."""

    @property
    def organizations_state(self) -> str | None:
        """Its state as Organizations says it (``"ACTIVE"``, ``"SUSPENDED"``, ...); ``None`` from an accounts file."""

    @property
    def role_arn(self) -> str | None:
        """The role assumed in it; ``None`` when the caller's own credentials were used."""

    @property
    def regions(self) -> tuple[RegionReport, ...]:
        """One entry per requested region (empty unless checked)."""

    @property
    def summary(self) -> Summary:
        """Its findings counted by status."""

    @property
    def error(self) -> ErrorInfo | None:
        """Why it was not checked, with the AWS code (e.g. ``AccessDenied`` on ``AssumeRole``)."""

@final
class OrganizationReport(_Record):
    """The result of ``check_organization``: one entry per account, and the
    findings of every account, each carrying its ``account_id``.

    Iterating over the report yields its findings. ``to_json()`` is the Rust
    core's canonical JSON, byte for byte.
    """

    @property
    def schema_version(self) -> int:
        """The report format version (1)."""

    @property
    def generated_at(self) -> datetime:
        """When the report was made."""

    @property
    def caller_account_id(self) -> str | None:
        """The account whose credentials ran the check."""

    @property
    def scope(self) -> str:
        """What was covered: ``"organization"``, the OU id, or ``"accounts_file"``."""

    @property
    def policy(self) -> Policy:
        """The policy the keys were held to."""

    @property
    def accounts(self) -> tuple[AccountEntry, ...]:
        """One entry per account, sorted by id."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding of every checked account, sorted by account, region, key ARN."""

    @property
    def summary(self) -> Summary:
        """Counts per status over every account."""

    @property
    def account_summary(self) -> dict[str, int]:
        """Accounts by how the run ended: ``{"total", "checked", "skipped", "error"}``."""

    @property
    def stats(self) -> Stats:
        """API calls, retries, duration, over every account."""

    @property
    def baseline(self) -> dict[str, Any] | None:
        """The comparison with the baseline run as a dict; ``None`` without one (see ``AccountReport.baseline``)."""

    @property
    def exit_code(self) -> int:
        """The CLI's exit code: 2 when a key fails; else 3 when a key is ``ERROR``, a region or an account was not checked; else 0."""

    def __iter__(self) -> Iterator[Finding]: ...
    def render(self, format: str = "table", *, color: bool = False, only_failing: bool = False) -> str:
        """Renders the report as ``AccountReport.render`` does, every format carrying the account.

        Raises:
            InvalidInputError: an unknown format.
        """

    @classmethod
    def from_json(cls, text: str) -> OrganizationReport:
        """Reads a report written by ``to_json()`` (by Python, Rust or Node).

        Raises:
            InvalidInputError: the text is not such a report (line and column given).
        """

@final
class RemediationAction(_Record):
    """One target key and what remediation did to it."""

    @property
    def account_id(self) -> str | None:
        """The target's account (when remediating an organisation report)."""

    @property
    def region(self) -> str:
        """The target's region."""

    @property
    def target_arn(self) -> str:
        """The key changed (a replica's primary for replicas)."""

    @property
    def finding_arns(self) -> tuple[str, ...]:
        """The ``FAIL`` findings' key ARNs this action covers (the key, or its replicas)."""

    @property
    def outcome(self) -> Outcome:
        """What happened (an ``Outcome``)."""

    @property
    def message(self) -> str:
        """One human sentence."""

    @property
    def rotation_period_days(self) -> int:
        """The period requested from ``EnableKeyRotation``."""

    @property
    def before(self) -> RotationStatus | None:
        """The status re-read right before acting."""

    @property
    def after(self) -> RotationStatus | None:
        """The status read back after acting (predicted, for a dry run)."""

    @property
    def verified(self) -> bool:
        """Whether reading back confirmed the change."""

    @property
    def error(self) -> ErrorInfo | None:
        """The API error behind ``FAILED`` or ``SKIPPED``."""

@final
class RemediationReport(_Record):
    """The result of ``remediate`` and ``remediate_keys``: one action per target key.

    Iterating over the report yields its actions.
    """

    @property
    def schema_version(self) -> int:
        """The report format version (1)."""

    @property
    def generated_at(self) -> datetime:
        """When the report was made."""

    @property
    def dry_run(self) -> bool:
        """Whether nothing was changed."""

    @property
    def rotation_period_days(self) -> int:
        """The period requested."""

    @property
    def actions(self) -> tuple[RemediationAction, ...]:
        """One action per target key, sorted by region then ARN."""

    @property
    def summary(self) -> dict[str, int]:
        """Actions counted by outcome (``summary["CHANGED"]``); absent outcomes are absent."""

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this report: 0 when every target ended (in a dry run: would end) compliant, else 2."""

    @property
    def stats(self) -> Stats:
        """API calls, retries, duration."""

    @property
    def all_compliant(self) -> bool:
        """True when every target ended compliant: changed and verified, or already compliant."""

    def __iter__(self) -> Iterator[RemediationAction]: ...
    def render(self, format: str = "table") -> str:
        """Renders the report: ``"json"``, ``"html"``, or a before/after ``"table"`` (the default).

        Raises:
            InvalidInputError: an unknown format.
        """

__all__ = [
    "CONFORMANCE_CASES",
    "CROSS_ACCOUNT_ROLE_ENV",
    "ENUM_VALUES",
    "EVENT_PATTERN",
    "OPTION_NAMES",
    "RENDER_OPTION_NAMES",
    "RULE_PARAMETERS_ENV",
    "TO_SECURITY_HUB_ENV",
    "VERSION",
    "AccountEntry",
    "AccountReport",
    "CodeLocation",
    "ErrorInfo",
    "Finding",
    "KeyMaterialStatus",
    "KeySummary",
    "LastUsage",
    "OrganizationReport",
    "Policy",
    "ProgressEvent",
    "RegionReport",
    "RemediationAction",
    "RemediationPlan",
    "RemediationReport",
    "RotationStatus",
    "Snapshot",
    "SnapshotTransport",
    "Stats",
    "Summary",
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
    "config_rule_handler",
    "event_handler",
    "load_cloudsploit_collection",
    "load_snapshot",
    "remediate",
    "remediate_async",
    "remediate_keys",
    "remediate_keys_async",
    "remediate_organization",
    "remediate_organization_async",
    "run_cli",
    "run_conformance",
    "to_security_hub_from_env",
    "verify_evidence",
    "verify_evidence_async",
]
