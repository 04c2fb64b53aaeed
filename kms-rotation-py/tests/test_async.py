"""The ``*_async`` twins agree with the sync functions; the sync functions
release the GIL while they wait."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import kms_rotation
from conftest import DEMO_EXEMPTIONS, account, key_entry
from kms_rotation.testing import SnapshotKms


def without_timing(document: dict[str, Any]) -> dict[str, Any]:
    document.pop("generated_at", None)
    document["stats"].pop("duration_ms", None)
    return document


def test_async_twins_are_coroutine_functions_with_the_same_signature() -> None:
    for name in ("check_key", "check_account", "remediate", "remediate_keys", "collect"):
        sync = getattr(kms_rotation, name)
        twin = getattr(kms_rotation, f"{name}_async")
        assert inspect.iscoroutinefunction(twin), name
        assert inspect.signature(twin) == inspect.signature(sync), name
        assert twin.__doc__ and sync.__doc__, name


def test_sync_and_async_reports_are_equal(demo_path: Path, tmp_path: Path) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)
    sync_report = kms_rotation.check_account(client=snapshot, exemptions=DEMO_EXEMPTIONS)
    async_report = asyncio.run(kms_rotation.check_account_async(client=snapshot, exemptions=DEMO_EXEMPTIONS))
    assert isinstance(async_report, kms_rotation.AccountReport)
    assert without_timing(async_report.to_dict()) == without_timing(sync_report.to_dict())

    key = sync_report.findings[0].key_arn
    assert (
        asyncio.run(kms_rotation.check_key_async(key, client=snapshot)).to_dict()
        == kms_rotation.check_key(key, client=snapshot).to_dict()
    )

    sync_plan = kms_rotation.remediate(sync_report, client=snapshot)
    async_plan = asyncio.run(kms_rotation.remediate_async(sync_report, client=snapshot))
    assert without_timing(async_plan.to_dict()) == without_timing(sync_plan.to_dict())
    assert async_plan.all_compliant == sync_plan.all_compliant

    failing = [f.key_arn for f in sync_report.findings_with("FAIL")][:1]
    assert without_timing(
        asyncio.run(kms_rotation.remediate_keys_async(failing, client=snapshot)).to_dict()
    ) == without_timing(kms_rotation.remediate_keys(failing, client=snapshot).to_dict())

    collected = asyncio.run(kms_rotation.collect_async(tmp_path / "async.json", client=snapshot))
    assert collected.to_json() == kms_rotation.collect(tmp_path / "sync.json", client=snapshot).to_json()


def test_async_calls_run_concurrently(demo_path: Path) -> None:
    snapshot = kms_rotation.load_snapshot(demo_path)

    async def main() -> list[kms_rotation.AccountReport]:
        return await asyncio.gather(
            *(
                kms_rotation.check_account_async(client=snapshot, regions=[region])
                for region in snapshot.regions
            )
        )

    reports = asyncio.run(main())
    assert [r.regions[0].region for r in reports] == snapshot.regions


def test_async_bad_input_raises_when_awaited_before_any_call(fake: SnapshotKms) -> None:
    with pytest.raises(kms_rotation.InvalidInputError):
        asyncio.run(kms_rotation.check_account_async(client=fake, max_rotation_period_days=1))
    assert fake.calls == []


def test_async_with_a_boto3_shaped_client(fake: SnapshotKms) -> None:
    report = asyncio.run(kms_rotation.check_account_async(client=fake))
    assert [f.status.value for f in report] == ["FAIL"]


def test_sync_calls_release_the_gil() -> None:
    """A Python thread keeps running while a sync check waits on a slow client.

    The client's own calls run on worker threads that need the GIL, so a check
    that held it would not finish at all; the ticking thread shows that other
    Python code runs meanwhile, too."""

    class Slower(SnapshotKms):
        def describe_key(self, **kwargs: Any) -> dict[str, Any]:
            time.sleep(0.3)
            return super().describe_key(**kwargs)

    ticks = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        before = ticks
        report = kms_rotation.check_account(client=Slower(account([key_entry()]), "us-east-1"))
        during = ticks - before
    finally:
        stop.set()
        ticker.join()
    assert report.summary.total == 1
    assert during >= 5, f"the ticking thread ran only {during} times during the check"


class Slow(SnapshotKms):
    """Answers DescribeKey after a while."""

    delay = 1.5

    def describe_key(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(self.delay)
        return super().describe_key(**kwargs)


def test_ctrl_c_interrupts_a_sync_call() -> None:
    import _thread

    timer = threading.Timer(0.2, _thread.interrupt_main)
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        kms_rotation.check_account(client=slow())
    assert time.monotonic() - started < Slow.delay


def test_cancelling_the_awaitable_cancels_the_call(demo_path: Path) -> None:
    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(kms_rotation.check_account_async(client=slow()), timeout=0.2)
        # The binding is still usable afterwards.
        report = await kms_rotation.check_account_async(client=kms_rotation.load_snapshot(demo_path))
        assert report.summary.total == 36

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < Slow.delay + 1


def slow() -> Slow:
    return Slow(account([key_entry()]), "us-east-1")


class ManyKeys(SnapshotKms):
    """30 keys; tracks how many DescribeKey calls run at once."""

    def __init__(self, pool: int | None) -> None:
        keys = [key_entry(f"{i:08x}-12ab-34cd-56ef-1234567890ab", alias=None) for i in range(30)]
        super().__init__(account(keys), "us-east-1")
        if pool is not None:
            self.meta.config = type("Config", (), {"max_pool_connections": pool})()  # type: ignore[attr-defined]
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def describe_key(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        return super().describe_key(**kwargs)


@pytest.mark.parametrize(("pool", "max_in_flight", "limit"), [(3, None, 3), (None, None, 10), (None, 2, 2)])
def test_concurrency_stays_within_the_boto3_connection_pool(
    pool: int | None, max_in_flight: int | None, limit: int
) -> None:
    client = ManyKeys(pool)
    report = kms_rotation.check_account(client=client, max_in_flight=max_in_flight)
    assert report.summary.total == 30
    assert 1 < client.most <= limit
