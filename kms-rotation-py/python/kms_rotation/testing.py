"""The real fake: a boto3-shaped KMS client served by a :class:`Snapshot`.

``SnapshotKms(snapshot, region)`` has the methods of ``boto3.client("kms")``
that kms_rotation calls (``list_keys(**request)``, ``describe_key(KeyId=...)``,
...), answers them in the KMS API's own shapes from the snapshot through the
Rust core's snapshot transport, and raises ``botocore.exceptions.ClientError``
(or, without botocore, :class:`ClientError` of the same shape) for the errors
the snapshot records, including replayed throttling and regions that are not
enabled. A remediation that is not a dry run changes the snapshot in memory.

Use it to test code that takes a boto3 KMS client, with no AWS and no emulator::

    from kms_rotation.testing import SnapshotKms

    kms = SnapshotKms(kms_rotation.load_snapshot("account.json"), "us-east-1")
    report = kms_rotation.check_account(client=kms)
    assert ("describe_key", {"KeyId": report.findings[0].key_id}) in kms.calls
"""

from __future__ import annotations

from typing import Any

from ._native import Snapshot, SnapshotTransport


class _ClientError(Exception):
    """botocore's ``ClientError`` shape, for when botocore is not installed:
    ``response["Error"]["Code"]`` and ``operation_name``."""

    def __init__(self, error_response: dict[str, Any], operation_name: str) -> None:
        self.response = error_response
        self.operation_name = operation_name
        error = error_response.get("Error", {})
        super().__init__(
            f"An error occurred ({error.get('Code')}) when calling the {operation_name} "
            f"operation: {error.get('Message')}"
        )


def _client_error_class() -> type[Exception]:
    try:
        from botocore.exceptions import ClientError as BotocoreClientError
    except ImportError:  # pragma: no cover - botocore is optional
        return _ClientError
    return BotocoreClientError


ClientError = _client_error_class()
"""The exception the fake raises for an AWS error: botocore's ``ClientError``
when botocore is installed, else one of the same shape."""


class _Meta:
    """What ``client.meta`` tells: the region the client serves."""

    def __init__(self, region_name: str) -> None:
        self.region_name = region_name


class SnapshotKms:
    """A boto3-shaped KMS client for one region of a snapshot.

    Attributes:
        meta: ``meta.region_name`` is the region, as on a boto3 client.
        calls: every call made, as ``(method name, keyword arguments)``.
    """

    def __init__(self, snapshot: Snapshot, region: str) -> None:
        self._init(snapshot.transport(region))

    @classmethod
    def over(cls, transport: SnapshotTransport) -> SnapshotKms:
        """A client over a snapshot's transport (``Snapshot.transport(region)``)."""
        client = cls.__new__(cls)
        client._init(transport)
        return client

    def _init(self, transport: SnapshotTransport) -> None:
        self._transport = transport
        self.meta = _Meta(transport.region)
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _invoke(self, method: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, dict(request)))
        response, error = self._transport.invoke(operation, request)
        if error is not None:
            raise ClientError(error, operation)
        assert response is not None
        return response

    def list_keys(self, **request: Any) -> dict[str, Any]:
        return self._invoke("list_keys", "ListKeys", request)

    def list_aliases(self, **request: Any) -> dict[str, Any]:
        return self._invoke("list_aliases", "ListAliases", request)

    def describe_key(self, **request: Any) -> dict[str, Any]:
        return self._invoke("describe_key", "DescribeKey", request)

    def get_key_rotation_status(self, **request: Any) -> dict[str, Any]:
        return self._invoke("get_key_rotation_status", "GetKeyRotationStatus", request)

    def enable_key_rotation(self, **request: Any) -> dict[str, Any]:
        return self._invoke("enable_key_rotation", "EnableKeyRotation", request)

    def list_resource_tags(self, **request: Any) -> dict[str, Any]:
        return self._invoke("list_resource_tags", "ListResourceTags", request)

    def list_key_rotations(self, **request: Any) -> dict[str, Any]:
        return self._invoke("list_key_rotations", "ListKeyRotations", request)

    def rotate_key_on_demand(self, **request: Any) -> dict[str, Any]:
        return self._invoke("rotate_key_on_demand", "RotateKeyOnDemand", request)

    def get_key_last_usage(self, **request: Any) -> dict[str, Any]:
        return self._invoke("get_key_last_usage", "GetKeyLastUsage", request)

    def __repr__(self) -> str:
        return f"SnapshotKms(region={self.meta.region_name!r})"


__all__ = ["ClientError", "SnapshotKms"]
