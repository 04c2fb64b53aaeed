"""Parity with the Rust core: every option name of the core is a keyword of
the functions it applies to, the Python enums are the Rust enums, the native
stub matches the module's own documentation, and the core's conformance suite
passes through the Python transport."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

import kms_rotation
from kms_rotation import Outcome, Reason, RegionState, Status, _native
from kms_rotation.testing import SnapshotKms

# The core's options, grouped by what they configure.
CONNECTION = {
    "client",
    "client_factory",
    "profile",
    "endpoint_url",
    "role_arn",
    "external_id",
    "session_name",
    "credentials",
    "allow_unknown_regions",
    "on_call",
}
POLICY = {
    "max_rotation_period_days",
    "evaluate_disabled_keys",
    "exemptions",
    "rotation_history",
    "max_days_since_rotation",
    "accept_on_demand_rotation",
    "material_expiry_warning_days",
    "last_usage",
}
SCAN = {"regions", "max_requests_per_second", "max_in_flight", "on_progress"}
KEY = {"region"}
REMEDIATION = {"rotation_period_days", "dry_run", "rotate_on_demand"}
SNAPSHOT_FILE = {"strict"}
# A saved report is remediated where it was checked, unless told otherwise.
REPORT = {"allow_other_source"}
# What changed since an earlier run: whole-account and organisation checks.
BASELINE = {"baseline", "fail_on"}
# Keys declared in code: CloudFormation parameter values.
DECLARATIONS = {"parameters"}
# Declared keys compared with live ones, read as check_key reads them; a stack's physical ids.
LIVE = {"compare_live", "regions", "max_requests_per_second", "max_in_flight"} | CONNECTION - {
    "allow_unknown_regions"
}
STACK = {"stack_name", "cloudformation_client"}
ORGANIZATION = {
    "organization",
    "organizational_unit",
    "accounts_file",
    "role_name",
    "include_accounts",
    "exclude_accounts",
    "max_accounts_in_flight",
    "assume_role_in_caller_account",
    "remediation_role_name",
    "service_client_factory",
}

# Where the findings go besides the report.
DELIVERY = {"to_security_hub"}

# Evidence that re-checks itself: written by whole-account checks.
EVIDENCE = {"evidence"}

APPLIES = {
    "check_account": CONNECTION | POLICY | SCAN | EVIDENCE | BASELINE | DELIVERY,
    "collect": CONNECTION | POLICY | SCAN,
    "check_key": CONNECTION | POLICY | KEY | {"max_requests_per_second"},
    "remediate": CONNECTION | REMEDIATION | REPORT,
    "remediate_keys": CONNECTION | POLICY | KEY | REMEDIATION,
    "check_organization": CONNECTION | POLICY | SCAN | ORGANIZATION | BASELINE,
    # `regions`: with service_client_factory, where STS is called.
    "remediate_organization": CONNECTION | REMEDIATION | ORGANIZATION | {"regions"},
    "check_terraform_plan": POLICY | LIVE,
    "check_cloudformation": POLICY | DECLARATIONS | LIVE | STACK,
}


def test_every_core_option_is_grouped() -> None:
    grouped = (
        CONNECTION
        | POLICY
        | SCAN
        | KEY
        | REMEDIATION
        | SNAPSHOT_FILE
        | ORGANIZATION
        | REPORT
        | EVIDENCE
        | BASELINE
        | DELIVERY
        | DECLARATIONS
        | STACK
        | LIVE
    )
    missing = set(_native.OPTION_NAMES) - grouped
    assert not missing, f"the core has new options {missing}: group them here and add them to the functions"
    assert grouped <= set(_native.OPTION_NAMES), grouped - set(_native.OPTION_NAMES)


def test_snapshot_readers_take_the_snapshot_file_options() -> None:
    for reader in (kms_rotation.load_snapshot, kms_rotation.Snapshot.load, kms_rotation.Snapshot.from_json):
        parameters = inspect.signature(reader).parameters
        keywords = {p for p, spec in parameters.items() if spec.kind is inspect.Parameter.KEYWORD_ONLY}
        assert keywords == SNAPSHOT_FILE, reader


@pytest.mark.parametrize("name", sorted(APPLIES))
def test_functions_take_every_core_option_that_applies(name: str) -> None:
    for function in (getattr(kms_rotation, name), getattr(kms_rotation, f"{name}_async")):
        parameters = inspect.signature(function).parameters
        keywords = {p for p, spec in parameters.items() if spec.kind is inspect.Parameter.KEYWORD_ONLY}
        missing = APPLIES[name] - keywords
        assert not missing, f"{name} lacks the core's options {sorted(missing)}"
        assert keywords <= set(_native.OPTION_NAMES), f"{name} has keywords the core does not name"
        assert all(parameters[k].default is None for k in keywords), "None means the core's default"


def test_unknown_options_are_refused_by_the_native_module() -> None:
    with pytest.raises(TypeError, match="colour"):
        _native.check_account({"colour": "blue"})
    with pytest.raises(TypeError, match="max_in_flight"):
        kms_rotation.check_account(max_in_flight="many")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("enum", "name"),
    [(Status, "Status"), (Reason, "Reason"), (RegionState, "RegionState"), (Outcome, "Outcome")],
)
def test_python_enums_are_the_rust_enums(enum: Any, name: str) -> None:
    assert [member.value for member in enum] == _native.ENUM_VALUES[name]
    assert enum.__module__ == "kms_rotation"


def test_the_stub_carries_the_native_documentation() -> None:
    """The `.pyi` repeats the docstrings of the native module (for editors):
    they must say what the Rust code says."""
    stub = ast.parse((Path(_native.__file__).parent / "_native.pyi").read_text())

    def check(node: ast.AST, runtime: Any, where: str) -> None:
        for item in getattr(node, "body", []):
            if not isinstance(item, (ast.ClassDef, ast.FunctionDef)) or item.name.startswith("_"):
                continue
            documented = ast.get_docstring(item)
            value = getattr(runtime, item.name, None)
            if documented is not None:
                actual = inspect.getdoc(value) if value is not None else None
                assert actual == documented, f"{where}{item.name}: the stub and the module disagree"
            if isinstance(item, ast.ClassDef):
                check(item, value, f"{where}{item.name}.")

    check(stub, _native, "_native.")


def test_conformance_through_the_python_transport() -> None:
    results = _native.run_conformance(SnapshotKms.over)
    assert [case for case, _, _ in results] == _native.CONFORMANCE_CASES
    failed = [f"{case}: {detail}" for case, outcome, detail in results if outcome != "passed"]
    assert not failed, "\n".join(failed)
