"""The credential guarantee in Python: canary credentials from every source the
built-in client takes them from (the environment, a profile, a working and a
failing ``credential_process``, one failing only on the SDK's refresh, an assumed
role, an endpoint echoing the request's headers, an organisation run) and from an
injected boto3 client, with the root logger at DEBUG and an ``on_call=``
collector, and the console script with ``RUST_LOG=trace``: no canary in stdout or
stderr (captured at the file descriptors, where the core writes), in this
library's log records, in ``on_call``'s dicts, in reports or in exceptions.

botocore's own records are not this library's: an injected client logs its
request headers at DEBUG by itself (the user's logging, shown below), so only
the ``kms_rotation`` loggers' records are held to the guarantee."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kms_rotation
from conftest import FaultProxy, credentials_of, fresh_account_id, session_in

REGION = "us-east-1"
KEY_ID = "AKIACANARYPYTHON0001"
SECRET = "CanaryPySecret/0001+wJalrXUtnFEMIK7MDENG"
TOKEN = "CanaryPyToken/0001+FQoGZXIvYXdzEXAMPLEtoken=="
PROCESS_KEY_ID = "ASIACANARYPYPROC0002"
PROCESS_SECRET = "CanaryPyProcessSecret/0002+bPxRfiCYEXAMPLE"
PROCESS_TOKEN = "CanaryPyProcessToken/0002+IQoJb3JpZ2luEXAMPLE=="
STDERR_SECRET = "CanaryPyStderrSecret/0003+whatTheProcessFailedToReturn"
ROLE_SECRET = "CanaryPyRoleSecret/0004+AssumedRoleEXAMPLE"
ROLE_TOKEN = "CanaryPyRoleToken/0004+AssumedRoleSessionEXAMPLE=="
ROLE_CREDENTIALS = {
    "op": "AssumeRole",
    "action": "credentials",
    "SecretAccessKey": ROLE_SECRET,
    "SessionToken": ROLE_TOKEN,
}
OURS = [KEY_ID, SECRET, TOKEN]


def access_key_ids(text: str) -> list[str]:
    """AWS access key ids (``AKIA`` / ``ASIA`` and 16 upper-case letters or digits) in ``text``."""
    import re

    return re.findall(r"(?<![A-Z0-9])A[KS]IA[A-Z0-9]{16}(?![A-Z0-9])", text)


def use_canary_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)


def use_profiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A config file with the canary profile and two credential processes (and no
    credentials in the environment: they would come first in the default chain)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def script(name: str, body: str) -> Path:
        path = tmp_path / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
        return path

    document = {"Version": 1, "AccessKeyId": PROCESS_KEY_ID, "SecretAccessKey": PROCESS_SECRET}
    document["SessionToken"] = PROCESS_TOKEN
    works = script("works.sh", f"printf '%s' '{json.dumps(document)}'")
    fails = script("fails.sh", f"echo 'cannot log in; the secret was {STDERR_SECRET}' >&2\nexit 1")
    # Credentials the first time, refused on the SDK's own first call: a provider failing mid-run.
    refresh = script(
        "refresh.sh",
        f"if [ -e \"$CANARY_STATE\" ]; then echo 'refresh refused: {STDERR_SECRET}' >&2; exit 1; fi\n"
        f": > \"$CANARY_STATE\"\nprintf '%s' '{json.dumps(document)}'",
    )
    monkeypatch.setenv("CANARY_STATE", str(tmp_path / "refreshed"))
    config = tmp_path / "config"
    config.write_text(
        f"[profile canary]\nregion = {REGION}\n\n"
        f"[profile process-works]\nregion = {REGION}\ncredential_process = {works}\n\n"
        f"[profile process-fails]\nregion = {REGION}\ncredential_process = {fails}\n\n"
        f"[profile process-refresh]\nregion = {REGION}\ncredential_process = {refresh}\n"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[canary]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))


# A case: (set up the credentials, return the call to make and the canaries).
Case = Callable[[pytest.MonkeyPatch, Path, str, FaultProxy], tuple[Callable[..., Any], list[str]]]


def environment(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    use_canary_environment(monkeypatch)
    return lambda **log: kms_rotation.check_account(endpoint_url=moto, regions=[REGION], **log), OURS


def profile(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    use_profiles(monkeypatch, tmp)
    call = kms_rotation.check_account
    return lambda **log: call(profile="canary", endpoint_url=moto, regions=[REGION], **log), OURS


def working_process(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    use_profiles(monkeypatch, tmp)
    call = kms_rotation.check_account
    canaries = [PROCESS_KEY_ID, PROCESS_SECRET, PROCESS_TOKEN]
    return lambda **log: call(profile="process-works", endpoint_url=moto, regions=[REGION], **log), canaries


def failing_process(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    use_profiles(monkeypatch, tmp)
    call = kms_rotation.check_account
    return lambda **log: call(profile="process-fails", endpoint_url=moto, regions=[REGION], **log), [
        STDERR_SECRET
    ]


def refresh_failing_process(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    use_profiles(monkeypatch, tmp)
    call = kms_rotation.check_account
    canaries = [PROCESS_KEY_ID, PROCESS_SECRET, PROCESS_TOKEN, STDERR_SECRET]
    return lambda **log: call(profile="process-refresh", endpoint_url=moto, regions=[REGION], **log), canaries


def assumed_role(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    use_canary_environment(monkeypatch)
    proxy.set([ROLE_CREDENTIALS])
    role = f"arn:aws:iam::{fresh_account_id()}:role/KmsRotationAudit"
    call = kms_rotation.check_account
    return lambda **log: call(role_arn=role, endpoint_url=proxy.url, regions=[REGION], **log), [
        *OURS,
        ROLE_SECRET,
        ROLE_TOKEN,
    ]


def echoing_endpoint(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    use_canary_environment(monkeypatch)
    proxy.set([{"op": "*", "action": "echo_headers"}])
    return lambda **log: kms_rotation.check_account(endpoint_url=proxy.url, regions=[REGION], **log), OURS


def injected_boto3_client(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    import boto3

    client = boto3.client(
        "kms",
        region_name=REGION,
        endpoint_url=moto,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
    )
    return lambda **log: kms_rotation.check_account(client=client, **log), OURS


def organisation(monkeypatch: pytest.MonkeyPatch, tmp: Path, moto: str, proxy: FaultProxy) -> Any:
    admin = session_in(moto, fresh_account_id())
    orgs = admin.client("organizations", endpoint_url=moto)
    orgs.create_organization(FeatureSet="ALL")
    member = orgs.create_account(AccountName="canary", Email="canary@example.com")["CreateAccountStatus"][
        "AccountId"
    ]
    session_in(moto, member).client("kms", endpoint_url=moto).create_key()
    proxy.set([ROLE_CREDENTIALS])
    credentials = credentials_of(admin)
    options = {"organization": True, "role_name": "KmsRotationAudit", "regions": [REGION]}
    canaries = [credentials["secret_access_key"], credentials["session_token"], ROLE_SECRET, ROLE_TOKEN]
    call = kms_rotation.check_organization
    return lambda **log: call(endpoint_url=proxy.url, credentials=credentials, **options, **log), canaries


CASES: dict[str, Case] = {
    "environment": environment,
    "profile": profile,
    "working credential_process": working_process,
    "failing credential_process": failing_process,
    "credential_process failing on refresh": refresh_failing_process,
    "assumed role": assumed_role,
    "endpoint echoing headers": echoing_endpoint,
    "injected boto3 client": injected_boto3_client,
    "organisation": organisation,
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("log", ["root logger at DEBUG", "on_call"])
def test_no_canary_reaches_any_output(
    name: str,
    log: str,
    moto_endpoint: str,
    fault_proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    run, canaries = CASES[name](monkeypatch, tmp_path, moto_endpoint, fault_proxy)
    calls: list[dict[str, Any]] = []
    options = {"on_call": calls.append} if log == "on_call" else {}
    texts: list[str] = []
    failing = name == "failing credential_process"
    with caplog.at_level(logging.DEBUG):
        if failing:
            with pytest.raises(kms_rotation.KmsRotationError) as raised:
                run(**options)
            error = raised.value
            cause = error.__cause__ or error.__context__
            texts += [str(error), repr(error), repr(error.args), repr(cause)]
        else:
            report = run(**options)
            texts += [report.to_json(), repr(report)]
    out, err = capfd.readouterr()
    ours = [r for r in caplog.records if r.name.startswith("kms_rotation")]
    texts += [out, err, repr(calls)]
    texts += [f"{r.getMessage()} {r.__dict__}" for r in ours]
    if not failing:
        # The log did log: the API attempts reached the logger or on_call.
        assert calls if log == "on_call" else ours, "no API attempt was logged"
    for text in texts:
        for canary in canaries:
            assert canary not in text, f"{canary!r} in {text[:2000]!r}"
        assert not access_key_ids(text), text[:2000]
    if name == "injected boto3 client" and log == "root logger at DEBUG":
        # botocore's own DEBUG records carry its request headers: the user's logging, not ours.
        theirs = [r for r in caplog.records if r.name.startswith("botocore")]
        assert any(KEY_ID in r.getMessage() for r in theirs), "botocore no longer logs its headers"


def test_the_console_script_logs_redacted_at_trace(moto_endpoint: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN)
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=str(tmp_path / "none"), RUST_LOG="trace")
    output = tmp_path / "report.json"
    command = [sys.executable, "-m", "kms_rotation", "check", "--verbose", "--region", REGION]
    command += ["--endpoint-url", moto_endpoint, "--format", "json", "--output", str(output)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 2, 3), done.stderr[-2000:]
    assert " TRACE " in done.stderr and "kms_rotation::call" in done.stderr
    assert "transmitting request" not in done.stderr, "RUST_LOG=trace alone turned on the request dumps"
    for text in (done.stdout, done.stderr, output.read_text()):
        for canary in OURS:
            assert canary not in text
        assert not access_key_ids(text)
