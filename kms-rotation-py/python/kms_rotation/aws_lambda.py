"""Continuous evaluation's AWS Lambda handlers: set the function's handler to
``kms_rotation.aws_lambda.config_rule_handler`` (an AWS Config custom rule
scoped to ``AWS::KMS::Key``, with change and periodic triggers) or
``kms_rotation.aws_lambda.event_handler`` (an EventBridge rule with the
pattern ``EVENT_PATTERN``).

Both are the core's handlers (the Rust Lambda binary and the Node package
run the same): each key an event names is checked with a fresh read; the
Config rule's verdicts are written with ``PutEvaluations`` (PASS ->
``COMPLIANT``, FAIL -> ``NON_COMPLIANT``, NOT_APPLICABLE, EXEMPT and deleted
keys -> ``NOT_APPLICABLE``). A key that cannot be judged writes no
evaluation and the invocation raises :class:`kms_rotation.ApiError` with the
AWS code (after the other keys are written), so that Lambda retries and the
error shows. Each returns the invocation's summary (a dict).

Clients come from the environment, as boto3 makes them (the function's role,
``AWS_REGION``; ``AWS_ENDPOINT_URL`` for an emulator); tests and your own code
can pass ``session=``, ``client_factory=`` (region -> boto3 KMS client) and
``config_client=``, and any keyword argument of :func:`kms_rotation.check_account`.
The Config rule's policy is its rule parameters (``max_rotation_period_days``,
``exemptions``, ``evaluate_disabled_keys``, ``max_days_since_rotation``,
``accept_on_demand_rotation``, ``auto_remediate`` = ``off`` | ``dry-run`` |
``apply``); the EventBridge handler reads the same names as JSON from
``KMS_ROTATION_RULE_PARAMETERS`` (or ``rule_parameters=``), and the role it assumes
in another account from ``KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME`` (or
``cross_account_role_name=``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from . import _native
from ._errors import ConfigurationError

__all__ = [
    "CROSS_ACCOUNT_ROLE_ENV",
    "EVENT_PATTERN",
    "RULE_PARAMETERS_ENV",
    "TO_SECURITY_HUB_ENV",
    "config_rule_handler",
    "event_handler",
]

RULE_PARAMETERS_ENV: str = _native.RULE_PARAMETERS_ENV
"""The environment variable with the EventBridge handler's rule parameters (JSON)."""

CROSS_ACCOUNT_ROLE_ENV: str = _native.CROSS_ACCOUNT_ROLE_ENV
"""The environment variable naming the role the EventBridge handler assumes in the
account of an event's key when that is not the function's own (the template's
``CrossAccountRoleName``)."""

TO_SECURITY_HUB_ENV: str = _native.TO_SECURITY_HUB_ENV
"""``true``: the findings go to Security Hub too (the template's ``ToSecurityHub``),
through a boto3 ``securityhub`` client of the function's region unless
``to_security_hub=`` is given; ``false``, unset or empty: not. Any other value
raises :class:`kms_rotation.InvalidInputError` naming it (the core reads it, as
the Rust binary and the Node package do)."""

EVENT_PATTERN: dict[str, Any] = _native.EVENT_PATTERN
"""The EventBridge event pattern that delivers exactly the events ``event_handler`` follows."""


def _function_arn(context: Any) -> str | None:
    return getattr(context, "invoked_function_arn", None)


def _time_left_ms(context: Any) -> int | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else None


def _home_region(session: Any) -> str:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or session.region_name
    if not region:
        raise ConfigurationError("configuration error: no region: set AWS_REGION (Lambda sets it)")
    return str(region)


def _session(session: Any) -> Any:
    if session is not None:
        return session
    import boto3

    return boto3.Session()


def _deliver_from_env(options: dict[str, Any], session: Any, region: str | None) -> None:
    """``to_security_hub=``, unless given, as ``KMS_ROTATION_TO_SECURITY_HUB`` says
    (the function's region by default)."""
    if _native.to_security_hub_from_env() and "to_security_hub" not in options:
        from botocore.config import Config

        session = _session(session)
        # kms-rotation paces and retries each call itself.
        options["to_security_hub"] = session.client(
            "securityhub",
            region_name=region or _home_region(session),
            config=Config(retries={"total_max_attempts": 1}),
        )


def config_rule_handler(
    event: Mapping[str, Any] | str,
    context: Any = None,
    *,
    session: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    config_client: Any = None,
    **options: Any,
) -> dict[str, Any]:
    """The AWS Config custom rule's handler: a configuration change (the key
    read now), an oversized one (the item fetched with
    ``GetResourceConfigHistory`` first) or a scheduled notification (every key
    of the account in the rule's region), written with ``PutEvaluations`` in
    batches of 100 (evaluations Config answers as failed are sent again).

    Raises :class:`kms_rotation.InvalidInputError` naming a bad event field or
    rule parameter (before any call), :class:`kms_rotation.ApiError` with the
    AWS code when a key could not be judged or an evaluation not written.
    """
    if client_factory is None or config_client is None:
        session = _session(session)
        region = _home_region(session)
        if client_factory is None:
            client_factory = lambda key_region: session.client("kms", region_name=key_region)  # noqa: E731
        if config_client is None:
            config_client = session.client("config", region_name=region)
    else:
        region = config_client.meta.region_name
    options.setdefault("regions", [region])
    _deliver_from_env(options, session, region)
    result: dict[str, Any] = _native.config_rule_handler(
        event,
        config_client,
        _function_arn(context),
        _time_left_ms(context),
        {"client_factory": client_factory, **options},
    )
    return result


def event_handler(
    event: Mapping[str, Any] | str,
    context: Any = None,
    *,
    session: Any = None,
    client_factory: Callable[[str], Any] | None = None,
    rule_parameters: Mapping[str, Any] | str | None = None,
    cross_account_role_name: str | None = None,
    service_client_factory: Callable[[str, str, Mapping[str, str] | None], Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The EventBridge rule's handler: the key each CloudTrail KMS event or
    KMS rotation / material-expiry event names, checked with a fresh read in
    the event's Region (an alias resolved); an event it cannot place raises
    :class:`kms_rotation.InvalidInputError` naming the event. ``rule_parameters``
    (default: ``KMS_ROTATION_RULE_PARAMETERS``) take the Config rule's parameter names.

    A key of another account (events forwarded to a central account) is checked
    through ``cross_account_role_name`` (default: ``KMS_ROTATION_CROSS_ACCOUNT_ROLE_NAME``),
    the role assumed in the key's account with ``service_client_factory``'s STS and
    KMS clients (default: :func:`kms_rotation.boto3_client_factory` of the session);
    it is judged, but neither remediated nor delivered to Security Hub from here.
    Without a role it raises :class:`kms_rotation.InvalidInputError` naming the event.
    """
    region = None
    if client_factory is None:
        session = _session(session)
        region = _home_region(session)
        client_factory = lambda key_region: session.client("kms", region_name=key_region)  # noqa: E731
        options.setdefault("regions", [region])
        if service_client_factory is None:
            from . import boto3_client_factory

            service_client_factory = boto3_client_factory(session)
    _deliver_from_env(options, session, region)
    result: dict[str, Any] = _native.event_handler(
        event,
        _function_arn(context),
        _time_left_ms(context),
        rule_parameters,
        {"client_factory": client_factory, **options},
        cross_account_role_name,
        service_client_factory,
    )
    return result
