"""Organisation runs through your own boto3 clients (``service_client_factory``):
on moto's server, behind the fault proxy refusing ``AssumeRole`` into one member,
the factory's run gives the built-in client's report and remediation plan; the
option's misuse is named before any call, and a factory that fails is named in the error."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

import pytest

import kms_rotation
from conftest import REPO, FaultProxy, comparable, credentials_of, fresh_account_id, seed_on_off, session_in
from kms_rotation import Outcome

REGION = "us-east-1"
ROLE = "KmsRotationAudit"
ORGANIZATION = {"organization": True, "role_name": ROLE, "session_name": "py-clients", "regions": [REGION]}


def test_your_own_clients_give_the_built_in_clients_report(
    moto_endpoint: str, fault_proxy: FaultProxy
) -> None:
    management = fresh_account_id()
    admin = session_in(moto_endpoint, management)
    orgs = admin.client("organizations", endpoint_url=moto_endpoint)
    orgs.create_organization(FeatureSet="ALL")
    members = {}
    for name in ("clients-a", "clients-b", "clients-norole", "clients-closed"):
        status = orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        members[name] = status["AccountId"]
    orgs.close_account(AccountId=members["clients-closed"])
    checked = [management, members["clients-a"], members["clients-b"]]
    for account in [*checked, members["clients-norole"]]:
        seed_on_off(session_in(moto_endpoint, account), moto_endpoint)
    fault_proxy.set(
        [
            {
                "op": "AssumeRole",
                "action": "error",
                "code": "AccessDenied",
                "message": "User is not authorized to perform: sts:AssumeRole",
                "key": members["clients-norole"],
            }
        ]
    )

    built_in_options = {"endpoint_url": fault_proxy.url, "credentials": credentials_of(admin), **ORGANIZATION}
    built_in = kms_rotation.check_organization(**built_in_options)
    # The caller's session, as the built-in client's: the management account's credentials.
    made: list[tuple[str, str, str | None]] = []
    boto3_factory = kms_rotation.boto3_client_factory(admin, endpoint_url=fault_proxy.url)

    def factory(service: str, region: str, credentials: dict[str, str] | None) -> Any:
        made.append((service, region, credentials and credentials["aws_access_key_id"]))
        return boto3_factory(service, region, credentials)

    report = kms_rotation.check_organization(service_client_factory=factory, **ORGANIZATION)

    assert comparable(report.to_dict()) == comparable(built_in.to_dict())
    states = {entry.account_id: entry.state for entry in report.accounts}
    assert states == {
        **dict.fromkeys(checked, "checked"),
        members["clients-norole"]: "error",
        members["clients-closed"]: "skipped",
    }
    refused = next(e for e in report.accounts if e.account_id == members["clients-norole"])
    assert refused.error is not None
    assert (refused.error.code, refused.error.operation) == ("AccessDenied", "AssumeRole")
    assert report.summary.fail == 3 and report.exit_code == built_in.exit_code == 2
    # One client per service, region and credentials; members' KMS clients with their role's.
    assert len(made) == len(set(made)), made
    assert {service for service, _, _ in made} == {"sts", "organizations", "kms"}
    assert sum(1 for service, _, key in made if service == "kms" and key is not None) == 2
    assert credentials_of(admin)["secret_access_key"] not in report.to_json()

    # The awaitable twin runs the same factory from the event loop.
    again = asyncio.run(kms_rotation.check_organization_async(service_client_factory=factory, **ORGANIZATION))
    assert comparable(again.to_dict()) == comparable(built_in.to_dict())

    # A dry run through the factory plans what the built-in client plans, changing nothing.
    plan = kms_rotation.remediate_organization(report, service_client_factory=factory, **ORGANIZATION)
    built_in_plan = kms_rotation.remediate_organization(built_in, **built_in_options)
    assert comparable(plan.to_dict()) == comparable(built_in_plan.to_dict())
    assert {a.account_id for a in plan.actions} == set(checked)
    assert all(a.outcome == Outcome.WOULD_CHANGE for a in plan.actions)
    unchanged = kms_rotation.check_organization(service_client_factory=factory, **ORGANIZATION)
    assert unchanged.summary.fail == 3

    # A factory failing for KMS leaves each account it fails in not checked, saying why.
    def no_kms(service: str, region: str, credentials: dict[str, str] | None) -> Any:
        if service == "kms":
            raise RuntimeError("no KMS today")
        return factory(service, region, credentials)

    failing = kms_rotation.check_organization(service_client_factory=no_kms, **ORGANIZATION)
    errors = {entry.account_id: entry.error for entry in failing.accounts if entry.state == "error"}
    assert set(errors) == {*checked, members["clients-norole"]}
    for account in checked:
        error = errors[account]
        assert error is not None and error.code == "ConfigurationError"
        assert 'service_client_factory("kms", "us-east-1", ' in error.message
        assert error.message.endswith("raised RuntimeError: no KMS today")
    assert failing.exit_code == 3


def test_the_factory_belongs_to_organisation_runs() -> None:
    factory = kms_rotation.boto3_client_factory()
    with pytest.raises(kms_rotation.InvalidInputError, match="service_client_factory") as raised:
        kms_rotation.check_organization(service_client_factory=factory, regions=[REGION])
    assert raised.value.what == "service_client_factory"
    with pytest.raises(kms_rotation.InvalidInputError, match="service_client_factory"):
        kms_rotation.check_organization(service_client_factory="boto3", **ORGANIZATION)  # type: ignore[arg-type]
    with pytest.raises(kms_rotation.InvalidInputError, match="regions"):
        kms_rotation.check_organization(service_client_factory=factory, **{**ORGANIZATION, "regions": None})
    with pytest.raises(kms_rotation.InvalidInputError, match="endpoint_url"):
        kms_rotation.check_organization(
            service_client_factory=factory, endpoint_url="http://127.0.0.1:1", **ORGANIZATION
        )
    with pytest.raises(kms_rotation.InvalidInputError, match="region_name"):
        kms_rotation.boto3_client_factory(region_name="eu-west-1")
    with pytest.raises(kms_rotation.InvalidInputError, match="aws_secret_access_key") as refused:
        kms_rotation.boto3_client_factory(aws_secret_access_key="do-not-echo-me")
    assert "do-not-echo-me" not in str(refused.value)


def test_a_factory_that_raises_is_named() -> None:
    def factory(service: str, region: str, credentials: dict[str, str] | None) -> Any:
        raise RuntimeError(f"no client for {service} today")

    with pytest.raises(kms_rotation.ApiError) as raised:
        kms_rotation.check_organization(service_client_factory=factory, **ORGANIZATION)
    message = str(raised.value)
    assert 'service_client_factory("sts", "us-east-1", None) failed: no client for sts today' in message
    assert (raised.value.operation, raised.value.code) == ("GetCallerIdentity", "RuntimeError")


def test_a_client_without_the_method_is_named() -> None:
    class NotSts:
        pass

    with pytest.raises(kms_rotation.ApiError) as raised:
        kms_rotation.check_organization(service_client_factory=lambda *_: NotSts(), **ORGANIZATION)
    message = str(raised.value)
    assert "returned an object of type NotSts with no method get_caller_identity()" in message
    assert 'boto3\'s "sts" client' in message


FAULT_CASES = json.loads((REPO / "scripts" / "parity" / "organization-faults.json").read_text())["cases"]


@pytest.fixture
def faulted_organisation(moto_endpoint: str) -> dict[str, Any]:
    """A management account and two members on moto, made once for all the fault cases."""
    return _organisation_for_faults(moto_endpoint)


@functools.cache
def _organisation_for_faults(moto_endpoint: str) -> dict[str, Any]:
    management = fresh_account_id()
    admin = session_in(moto_endpoint, management)
    orgs = admin.client("organizations", endpoint_url=moto_endpoint)
    orgs.create_organization(FeatureSet="ALL")
    members = [
        orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        for name in ("py-faults-a", "py-faults-b")
    ]
    root = orgs.list_roots()["Roots"][0]["Id"]
    return {"admin": admin, "accounts": sorted([management, *members]), "root": root}


@pytest.mark.parametrize("case", FAULT_CASES, ids=[case["name"] for case in FAULT_CASES])
def test_organisation_listing_faults_through_your_clients(
    case: dict[str, Any], faulted_organisation: dict[str, Any], fault_proxy: FaultProxy
) -> None:
    import botocore.config

    fault_proxy.set(case["faults"])
    # boto3's own retries off: what recovers is the library's one retry layer.
    factory = kms_rotation.boto3_client_factory(
        faulted_organisation["admin"],
        endpoint_url=fault_proxy.url,
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )
    scope: dict[str, Any] = (
        {"organizational_unit": faulted_organisation["root"]}
        if case["scope"] == "root"
        else {"organization": True}
    )
    options = {**scope, "role_name": ROLE, "regions": [REGION], "service_client_factory": factory}
    run = kms_rotation.check_organization_async(**options)
    if isinstance(case["expect"], dict):
        expected = case["expect"]["error"]
        with pytest.raises(kms_rotation.ApiError) as raised:
            asyncio.run(asyncio.wait_for(run, 60))
        assert (raised.value.operation, raised.value.code) == (expected["operation"], expected["code"])
        assert "a second time" in str(raised.value)
        return
    report = asyncio.run(asyncio.wait_for(run, 60))
    assert [entry.account_id for entry in report.accounts] == faulted_organisation["accounts"]
    assert all(entry.state == "checked" for entry in report.accounts), report.to_json()
    if case.get("retried"):
        assert report.stats.retries > 0
