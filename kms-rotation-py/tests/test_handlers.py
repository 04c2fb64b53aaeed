"""Continuous evaluation's handlers (``kms_rotation.aws_lambda``) through boto3
clients, on moto's KMS behind the fault proxy, which answers AWS Config's
``PutEvaluations`` and ``GetResourceConfigHistory`` itself and records them:
the cases of ``scripts/parity/handlers.json`` (also run by the Rust and Node
suites), each with AWS's documented sample event in a fresh account."""

from __future__ import annotations

import copy
import json
import urllib.request
from typing import Any

import pytest

import kms_rotation
from conftest import ENDPOINT_VAR, REPO, FaultProxy, fresh_account_id, in_ci, session_in
from kms_rotation import aws_lambda

PARITY = json.loads((REPO / "scripts" / "parity" / "handlers.json").read_text())
EVENTS = REPO / "kms-rotation-core" / "tests" / "events"
HOME = PARITY["home_region"]
KMS_OPERATIONS = {
    "ListKeys",
    "ListAliases",
    "DescribeKey",
    "GetKeyRotationStatus",
    "EnableKeyRotation",
    "ListResourceTags",
    "ListKeyRotations",
    "RotateKeyOnDemand",
}


class Context:
    """A Lambda context: the function's ARN and the time it has left."""

    def __init__(self, account: str, time_left_ms: int | None) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:{HOME}:{account}:function:kms-rotation"
        self._left = time_left_ms or 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self._left


def fixture(file: str, name: str) -> dict[str, Any]:
    cases = json.loads((EVENTS / file).read_text())["cases"]
    return copy.deepcopy(next(c["event"] for c in cases if c["name"] == name))


def fill(value: Any, ids: dict[str, str], account: str) -> Any:
    text = json.dumps(value).replace("$account", account)
    for name in sorted(ids, key=len, reverse=True):
        text = text.replace(f"${name}", ids[name])
    return json.loads(text)


def make_keys(endpoint: str, account: str, keys: dict[str, Any]) -> dict[str, str]:
    session = session_in(endpoint, account)
    ids: dict[str, str] = {}
    for name, spec in keys.items():
        if spec.get("missing"):
            ids[name] = "0d0e0a0d-0000-4000-8000-000000000404"
            continue
        kms = session.client("kms", region_name=spec["region"], endpoint_url=endpoint)
        create: dict[str, Any] = {}
        if "origin" in spec:
            create["Origin"] = spec["origin"]
        if spec.get("multi_region"):
            create["MultiRegion"] = True
        key = kms.create_key(**create)["KeyMetadata"]["KeyId"]
        if spec.get("rotation"):
            kms.enable_key_rotation(KeyId=key)
        if "alias" in spec:
            kms.create_alias(AliasName=spec["alias"], TargetKeyId=key)
        for tag, value in spec.get("tags", {}).items():
            kms.tag_resource(KeyId=key, Tags=[{"TagKey": tag, "TagValue": value}])
        if "replica" in spec:
            kms.replicate_key(KeyId=key, ReplicaRegion=spec["replica"])
        if spec.get("disabled"):
            kms.disable_key(KeyId=key)
        if spec.get("pending_deletion"):
            kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
        ids[name] = key
    return ids


def event_of(case: dict[str, Any], ids: dict[str, str], account: str) -> dict[str, Any]:
    text = json.dumps(fixture(case["event"]["file"], case["event"]["case"]))
    for name, spec in case["keys"].items():
        placeholder = spec.get("fixture_id") or (PARITY["fixture_key_id"] if name == "k" else None)
        if placeholder:
            text = text.replace(placeholder, ids[name])
    for fixture_account in case.get("accounts", PARITY["fixture_accounts"]):
        text = text.replace(fixture_account, account)
    event = json.loads(text)
    for path, value in case.get("set", {}).items():
        *parents, last = path.split(".")
        at = event
        for step in parents:
            at = at[step]
        if value is None:
            at.pop(last, None)
        else:
            at[last] = value
    if case["handler"] == "config" and "rule_parameters" in case:
        event["ruleParameters"] = json.dumps(case["rule_parameters"])
    return event


def control(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def error_label(error: Exception) -> str:
    if isinstance(error, kms_rotation.InvalidInputError):
        return f"invalid:{error.what}"
    if isinstance(error, kms_rotation.ApiError):
        return str(error.code)
    return f"other:{error}"


def outcome(
    result: dict[str, Any] | None, error: Exception | None, ids: dict[str, str], proxy: FaultProxy
) -> dict[str, Any]:
    def name_of(text: str) -> str:
        return next((name for name, key in ids.items() if key in text), text)

    out: dict[str, Any] = {"error": None if error is None else error_label(error)}
    if result is not None:
        out["findings"] = sorted(
            [name_of(f["key_arn"]), f["region"], f["status"], f["reason"]] for f in result["findings"]
        )
        out["gone"] = [name_of(t["key"]) for t in result["gone"]]
        out["skipped"] = result["skipped"] is not None
        out["remediation"] = [
            [name_of(a["target_arn"]), a["outcome"]] for a in (result["remediation"] or {}).get("actions", [])
        ]
        delivery = result["security_hub"]
        if delivery is not None:
            delivery = {**delivery, "failed": [f["code"] for f in delivery["failed"]]}
        out["security_hub"] = delivery
    evaluations, config_calls = [], []
    for record in control(f"{proxy.url}/__config"):
        config_calls.append(record["op"])
        if record["op"] == "PutEvaluations":
            failed = {e["ComplianceResourceId"] for e in record["answer"]["FailedEvaluations"]}
            for e in record["request"]["Evaluations"]:
                if e["ComplianceResourceId"] not in failed:
                    reason = e["Annotation"].split(":")[0]
                    evaluations.append([name_of(e["ComplianceResourceId"]), e["ComplianceType"], reason])
    out["evaluations"] = sorted(evaluations)
    out["config_calls"] = config_calls
    calls = control(f"{proxy.url}/__calls")
    out["kms_calls"] = sorted({c["op"] for c in calls if c["op"] in KMS_OPERATIONS})
    return out


def compare(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    for field, want in expect.items():
        if field in ("evaluations", "findings", "remediation", "gone"):
            ok = sorted(map(json.dumps, want)) == sorted(map(json.dumps, got.get(field, [])))
        elif field == "some_kms_calls":
            ok = all(op in got["kms_calls"] for op in want)
        elif field == "no_kms_calls":
            ok = not any(op in got["kms_calls"] for op in want)
        else:
            ok = want == got.get(field)
        if not ok:
            problems.append(f"{field}: expected {want}, got {got.get(field)}")
    if "error" not in expect and got["error"] is not None:
        problems.append(f"unexpected error {got['error']}")
    return problems


def hub_finding(case: dict[str, Any], ids: dict[str, str], name: str, account: str) -> dict[str, Any]:
    """``security_hub_finding`` for the key ``name`` (its region, the account, its id)."""
    text = (
        json.dumps(PARITY["security_hub_finding"])
        .replace("KEY_ID", ids[name])
        .replace("ACCOUNT", account)
        .replace("REGION", case["keys"][name]["region"])
    )
    return dict(json.loads(text))


def hub_records(
    session: Any, case: dict[str, Any], ids: dict[str, str], account: str, url: str
) -> dict[str, Any]:
    """The ``RecordState`` Security Hub holds for each finding ``hub_finding`` made."""
    records = {}
    for name in case.get("security_hub", []):
        wanted = hub_finding(case, ids, name, account)["Id"]
        hub = session.client("securityhub", region_name=case["keys"][name]["region"], endpoint_url=url)
        for page in hub.get_paginator("get_findings").paginate():
            for finding in page["Findings"]:
                if finding["Id"] == wanted:
                    records[name] = finding["RecordState"]
    return records


@pytest.fixture(scope="module")
def handler_proxy() -> Any:
    import os

    endpoint = os.environ.get(ENDPOINT_VAR, "")
    if not endpoint:
        if in_ci():
            pytest.fail(f"{ENDPOINT_VAR} is not set (CI is set, so these tests must run)")
        pytest.skip(f"{ENDPOINT_VAR} is not set")
    proxy = FaultProxy(endpoint)
    try:
        yield endpoint, proxy
    finally:
        proxy.stop()


@pytest.mark.parametrize("case", PARITY["cases"], ids=[c["name"] for c in PARITY["cases"]])
def test_each_handler_writes_the_shared_evaluations(case: dict[str, Any], handler_proxy: Any) -> None:
    import boto3

    endpoint, proxy = handler_proxy
    account = fresh_account_id()
    ids = make_keys(endpoint, account, case["keys"])
    proxy.set(fill(case.get("faults", []), ids, account))
    control(f"{proxy.url}/__config_items", fill(case.get("config_items", []), ids, account))
    event = event_of(case, ids, account)
    # The function's account: the keys' own, or another one (events forwarded to a central account).
    function_account = fresh_account_id() if case.get("function_in_other_account") else account
    session = session_in(endpoint, function_account)
    credentials = session.get_credentials().get_frozen_credentials()
    handler_session = boto3.Session(
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        region_name=HOME,
    )

    def factory(region: str) -> Any:
        return handler_session.client("kms", region_name=region, endpoint_url=proxy.url)

    context = Context(function_account, case.get("time_left_ms"))
    delivery: dict[str, Any] = {}
    if "security_hub" in case:
        from botocore.config import Config

        for name in case["security_hub"]:
            seeder = handler_session.client(
                "securityhub", region_name=case["keys"][name]["region"], endpoint_url=proxy.url
            )
            assert (
                seeder.batch_import_findings(Findings=[hub_finding(case, ids, name, account)])["FailedCount"]
                == 0
            )
        # to_security_hub= takes one client: that of the Region of the case's keys.
        region = next(iter(case["keys"].values()))["region"]
        delivery["to_security_hub"] = handler_session.client(
            "securityhub",
            region_name=region,
            endpoint_url=proxy.url,
            config=Config(retries={"total_max_attempts": 1}),
        )
    result, error = None, None
    try:
        if case["handler"] == "config":
            config = handler_session.client("config", region_name=HOME, endpoint_url=proxy.url)
            result = aws_lambda.config_rule_handler(
                event, context, client_factory=factory, config_client=config, **delivery
            )
        else:
            result = aws_lambda.event_handler(
                event,
                context,
                client_factory=factory,
                rule_parameters=case.get("rule_parameters", {}),
                cross_account_role_name=case.get("cross_account_role_name"),
                service_client_factory=kms_rotation.boto3_client_factory(
                    handler_session, endpoint_url=proxy.url
                ),
                **delivery,
            )
    except kms_rotation.KmsRotationError as raised:
        error = raised
    got = outcome(result, error, ids, proxy)
    got["hub_records"] = hub_records(handler_session, case, ids, account, proxy.url)
    assert compare(case["expect"], got) == [], got


def in_lambda(monkeypatch: pytest.MonkeyPatch, endpoint: str, account: str, proxy: FaultProxy) -> None:
    """The environment Lambda gives a function in ``account`` (through the proxy)."""
    credentials = session_in(endpoint, account).get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token)
    monkeypatch.setenv("AWS_REGION", HOME)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)


def test_the_handlers_build_their_clients_from_the_environment(
    handler_proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In Lambda nothing is passed: boto3 reads the region, credentials and endpoint."""
    endpoint, proxy = handler_proxy
    account = fresh_account_id()
    ids = make_keys(endpoint, account, {"k": {"region": "us-west-2", "rotation": True}})
    proxy.set([])
    in_lambda(monkeypatch, endpoint, account, proxy)
    monkeypatch.setenv(aws_lambda.RULE_PARAMETERS_ENV, json.dumps({"max_rotation_period_days": "365"}))
    event = fixture("eventbridge.json", "KMS CMK Rotation")
    event = json.loads(
        json.dumps(event).replace(PARITY["fixture_key_id"], ids["k"]).replace("111122223333", account)
    )
    result = aws_lambda.event_handler(event, Context(account, None))
    assert [f["status"] for f in result["findings"]] == ["PASS"]
    monkeypatch.setenv(aws_lambda.RULE_PARAMETERS_ENV, json.dumps({"max_rotation_period_days": "30"}))
    with pytest.raises(kms_rotation.InvalidInputError, match="max_rotation_period_days"):
        aws_lambda.event_handler(event, Context(account, None))


def test_the_security_hub_switch_is_read_by_the_core(
    handler_proxy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``KMS_ROTATION_TO_SECURITY_HUB`` as the template sets it: ``true`` delivers through a
    boto3 client of the function's region; a value other than true / false is named."""
    endpoint, proxy = handler_proxy
    account = fresh_account_id()
    ids = make_keys(endpoint, account, {"k": {"region": HOME, "rotation": False}})
    proxy.set([])
    in_lambda(monkeypatch, endpoint, account, proxy)
    monkeypatch.setenv(aws_lambda.RULE_PARAMETERS_ENV, "")
    event = fixture("eventbridge.json", "DisableKeyRotation")
    event = json.loads(
        json.dumps(event)
        .replace(PARITY["fixture_key_id"], ids["k"])
        .replace("111122223333", account)
        .replace("us-west-2", HOME)
    )
    assert aws_lambda.TO_SECURITY_HUB_ENV == "KMS_ROTATION_TO_SECURITY_HUB"
    monkeypatch.setenv(aws_lambda.TO_SECURITY_HUB_ENV, "false")
    assert aws_lambda.event_handler(event, Context(account, None))["security_hub"] is None
    monkeypatch.setenv(aws_lambda.TO_SECURITY_HUB_ENV, "true")
    delivered = aws_lambda.event_handler(event, Context(account, None))["security_hub"]
    assert (delivered["imported"], delivered["created"], delivered["failed"]) == (1, 1, []), delivered
    monkeypatch.setenv(aws_lambda.TO_SECURITY_HUB_ENV, "yes")
    with pytest.raises(kms_rotation.InvalidInputError, match=r"KMS_ROTATION_TO_SECURITY_HUB.*yes"):
        aws_lambda.event_handler(event, Context(account, None))


def test_the_event_pattern_names_every_event_the_handler_follows() -> None:
    text = json.dumps(aws_lambda.EVENT_PATTERN)
    for name in (
        "EnableKeyRotation",
        "DisableKeyRotation",
        "KMS CMK Rotation",
        "KMS Imported Key Material Expiration",
    ):
        assert name in text
