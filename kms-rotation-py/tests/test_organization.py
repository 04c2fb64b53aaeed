"""Whole organisations against moto's server: boto3 builds an organisation
(a management account, two members, one suspended account), ``check_organization``
checks it through the Rust SDK client, and the package's command line gives the same report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

import kms_rotation
from conftest import comparable, credentials_of, fresh_account_id, seed_on_off, session_in
from kms_rotation import Outcome, Reason, Status

REGION = "us-east-1"
ROLE = "KmsRotationAudit"


def test_an_organisation_in_three_doors(moto_endpoint: str) -> None:
    management = fresh_account_id()
    admin = session_in(moto_endpoint, management)
    orgs = admin.client("organizations", endpoint_url=moto_endpoint)
    orgs.create_organization(FeatureSet="ALL")
    members = []
    for name in ("py-a", "py-b", "py-closed"):
        status = orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        members.append(status["AccountId"])
    orgs.close_account(AccountId=members[2])
    keys = {
        account: seed_on_off(session_in(moto_endpoint, account), moto_endpoint)
        for account in [management, *members[:2]]
    }

    credentials = credentials_of(admin)
    options: dict[str, Any] = {
        "endpoint_url": moto_endpoint,
        "regions": [REGION],
        "credentials": credentials,
        "organization": True,
        "role_name": ROLE,
    }
    events: list[kms_rotation.ProgressEvent] = []
    report = kms_rotation.check_organization(on_progress=events.append, **options)

    states = {entry.account_id: entry.state for entry in report.accounts}
    assert states == {
        management: "checked",
        members[0]: "checked",
        members[1]: "checked",
        members[2]: "skipped",
    }
    assert report.caller_account_id == management
    for account, ids in keys.items():
        by_key = {f.key_id: f for f in report.findings if f.account_id == account}
        assert (by_key[ids["on"]].status, by_key[ids["on"]].reason) == (Status.PASS, Reason.ROTATION_ENABLED)
        assert (by_key[ids["off"]].status, by_key[ids["off"]].reason) == (
            Status.FAIL,
            Reason.ROTATION_DISABLED,
        )
    assert report.exit_code == 2
    # The findings are views into the report, made once (as an account report's).
    assert report.findings is report.findings
    assert list(report) == list(report.findings)
    assert [f.to_dict() for f in report.findings] == report.to_dict()["findings"]
    assert report.account_summary == {"total": 4, "checked": 3, "skipped": 1, "error": 0}
    assert {e.account_id for e in events if e.kind == "account_finished"} == set(keys)
    assert "account_id" in report.render("csv").splitlines()[0]
    assert kms_rotation.OrganizationReport.from_json(report.to_json()) == report

    # The command line (this package's console script), on the same organisation, writes the same report.
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": credentials["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": credentials["secret_access_key"],
        "AWS_SESSION_TOKEN": credentials["session_token"],
    }
    env.pop("AWS_PROFILE", None)
    command = [sys.executable, "-m", "kms_rotation", "check", "--organization", "--role-name", ROLE]
    command.extend(["--region", REGION, "--endpoint-url", moto_endpoint, "--format", "json"])
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 2, run.stderr
    assert comparable(json.loads(run.stdout)) == comparable(report.to_dict())

    # Remediation: a dry run by default, each target in its own account.
    del options["regions"]  # remediation reaches each target's own region
    plan = kms_rotation.remediate_organization(report, **options)
    assert {a.account_id for a in plan.actions} == set(keys)
    assert all(a.outcome == Outcome.WOULD_CHANGE for a in plan.actions)
    done = kms_rotation.remediate_organization(report.to_json(), dry_run=False, **options)
    assert done.exit_code == 0, done.to_json()
    for account, ids in keys.items():
        kms = session_in(moto_endpoint, account).client("kms", endpoint_url=moto_endpoint)
        assert kms.get_key_rotation_status(KeyId=ids["off"])["KeyRotationEnabled"], account


def test_bad_organisation_options_are_named_before_any_call() -> None:
    with pytest.raises(kms_rotation.InvalidInputError, match="1234"):
        kms_rotation.check_organization(organization=True, role_name=ROLE, include_accounts="1234")
    with pytest.raises(kms_rotation.InvalidInputError, match="role_name"):
        kms_rotation.check_organization(organization=True)
    with pytest.raises(kms_rotation.InvalidInputError, match="ou-X"):
        kms_rotation.check_organization(organizational_unit="ou-X", role_name=ROLE)
