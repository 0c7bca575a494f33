"""Metrics added for the alert rules: a consumer's heartbeat age served by its web process, ranking's standing age."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from prometheus_client import REGISTRY

from shared.stream.heartbeat import Heartbeat, HeartbeatCollector, heartbeat_age_s
from shared.web import create_service_app


def age_on_metrics_page(app) -> str:
    lines = [line for line in app.test_client().get("/metrics").get_data(as_text=True).splitlines()
             if line.startswith("stream_consumer_heartbeat_age_seconds{")]
    assert len(lines) == 1, lines
    return lines[0]


def test_no_heartbeat_yet_is_an_infinite_age(tmp_path: Path):
    app = create_service_app("scoring", consumer_state_dir=tmp_path)
    expected = 'stream_consumer_heartbeat_age_seconds{process="consumer",service="scoring"} +Inf'
    assert age_on_metrics_page(app) == expected


def test_the_freshest_heartbeat_gives_the_age_and_a_dead_consumer_ages(tmp_path: Path):
    Heartbeat(tmp_path).beat(True, force=True)
    stale = tmp_path / "consumer-1.json"  # a consumer that died long ago beside the living one
    stale.write_text('{"ts": %f, "ready": true, "pid": 1}' % (time.time() - 600))
    app = create_service_app("notify", consumer_state_dir=tmp_path)
    value = float(age_on_metrics_page(app).split()[-1])
    assert 0 <= value < 5
    assert heartbeat_age_s(tmp_path, now=time.time() + 120) >= 119  # nobody beats: the age grows
    (tmp_path / f"consumer-{os.getpid()}.json").unlink()
    assert heartbeat_age_s(tmp_path) >= 599


def test_a_service_without_a_consumer_serves_no_heartbeat_age(tmp_path: Path):
    body = create_service_app("ingest").test_client().get("/metrics").get_data(as_text=True)
    assert "stream_consumer_heartbeat_age_seconds" not in body
    assert next(iter(HeartbeatCollector("x", tmp_path).collect())).samples[0].value == float("inf")


def test_ranking_observes_each_stored_standings_age():
    from services.ranking import metrics

    before = REGISTRY.get_sample_value("ranking_standing_age_seconds_count") or 0
    now = datetime.now(UTC)
    metrics.observe(SimpleNamespace(applied=2, stale=0, invalid=0, snapshots=0,
                                    applied_as_of=[now - timedelta(seconds=3), now - timedelta(seconds=90)]))
    assert REGISTRY.get_sample_value("ranking_standing_age_seconds_count") == before + 2
    assert REGISTRY.get_sample_value("ranking_standing_age_seconds_bucket", {"le": "60.0"}) >= 1


def test_notify_serves_its_consumers_and_its_dispatchers_heartbeat_age(tmp_path: Path):
    """The dispatcher beats while its transport loops run; a dispatcher that never started is +Inf."""
    import threading

    from services.notify.dispatcher import Dispatcher

    app = create_service_app("notify", consumer_state_dir=tmp_path, consumer_processes=("consumer", "dispatcher"))
    page = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'stream_consumer_heartbeat_age_seconds{process="dispatcher",service="notify"} +Inf' in page

    class Idle:
        name = "email"

    stop = threading.Event()
    dispatcher = Dispatcher(store=None, transports={"email": Idle()}, clock=lambda: datetime.now(UTC),
                            heartbeat=Heartbeat(tmp_path, process="dispatcher"))
    dispatcher.run_once = lambda name: 0  # nothing due: the loop idles
    runner = threading.Thread(target=dispatcher.run, args=(stop,), kwargs={"idle_s": 0.05})
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / f"dispatcher-{os.getpid()}.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert heartbeat_age_s(tmp_path, process="dispatcher") < 5
    assert heartbeat_age_s(tmp_path) == float("inf")  # the consumer's is its own
