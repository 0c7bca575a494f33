"""Slow clients cannot starve ingest: the buffering proxy in front of it (as under `make run`).

And what gunicorn itself answers (request line or header too large) is the platform's JSON.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
import requests

from tests.integration.ingest_env import AUTH, ingest_env
from tests.support.processes import ServiceProcess
from tests.support.proxy import ProxyProcess

SLOW = 64
VOTE = {"district_code": "3706", "score": 5}


@pytest.fixture
def ingest(settings):
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings, TRUSTED_PROXY_HOPS="1"),
                        workers=2, threads=8) as svc:
        yield svc


class SlowHeaders:
    """Connections that send a request's headers a byte at a time and never finish them."""

    def __init__(self, port: int, count: int):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /v1/votes HTTP/1.1\r\nHost: x\r\n")
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"a")

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def _votes_within_client_timeout(url: str, n: int = 10) -> list[int]:
    statuses = []
    for _ in range(n):
        started = time.monotonic()
        response = requests.post(url + "/v1/votes", json=VOTE, headers=AUTH, timeout=5)
        assert time.monotonic() - started < 5
        statuses.append(response.status_code)
    return statuses


@pytest.fixture
def one_worker_ingest(settings):
    """One gunicorn worker: with two, the kernel may hand one worker most of the slow connections and
    the other few, so whether the unproxied vote waits would depend on which worker accepts it."""
    with ServiceProcess("services.ingest.wsgi:app", ingest_env(settings, TRUSTED_PROXY_HOPS="1"),
                        workers=1, threads=8) as svc:
        yield svc


def test_64_slow_header_connections_do_not_delay_ordinary_votes_behind_the_proxy(one_worker_ingest):
    ingest = one_worker_ingest
    # Without the proxy, gunicorn's 8 threads each wait on a slow client and votes time out:
    slow = SlowHeaders(ingest.port, SLOW)
    try:
        time.sleep(1.0)
        with pytest.raises(requests.Timeout):
            requests.post(ingest.url + "/v1/votes", json=VOTE, headers=AUTH, timeout=5)
    finally:
        slow.close()
    with ProxyProcess(ingest.port) as proxy:
        slow = SlowHeaders(proxy.port, SLOW)
        try:
            time.sleep(1.0)
            assert _votes_within_client_timeout(proxy.url) == [202] * 10
        finally:
            slow.close()


def test_a_client_trickling_its_header_is_cut_off_by_the_proxy(ingest):
    with ProxyProcess(ingest.port, header_timeout_s=3) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=30)
        sock.sendall(b"POST /v1/votes HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 20:
            try:
                sock.send(b"a")
                sock.settimeout(1.0)
                if sock.recv(4096) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        sock.close()
        assert closed and time.monotonic() - started < 10


def test_the_proxy_answers_oversize_requests_in_json_and_passes_the_client_address(ingest):
    with ProxyProcess(ingest.port) as proxy:
        big_header = requests.post(proxy.url + "/v1/votes", json=VOTE, headers={**AUTH, "X-Big": "a" * 20000},
                                   timeout=10)
        assert big_header.status_code == 431 and big_header.json()["error"] == "header_fields_too_large"
        big_body = requests.post(proxy.url + "/v1/votes/batch", data=b"x" * (2 * 1024 * 1024), headers=AUTH,
                                 timeout=10)
        assert big_body.status_code == 413 and big_body.json()["error"] == "payload_too_large"
        assert requests.get(proxy.url + "/metrics", timeout=5).status_code == 404
        spoofed = requests.post(proxy.url + "/v1/votes", json=VOTE, timeout=10,
                                headers={**AUTH, "X-Forwarded-For": "198.51.100.1"})
        assert spoofed.status_code == 202


def test_bodies_the_service_refuses_early_get_its_answer_through_the_proxy_never_a_503(ingest):
    """A body the view never reads (over ingest's 64 KiB, or sent without a key) left the keep-alive connection
    unsafe to reuse: some of these got nginx's 503 instead of ingest's 413 or 401."""
    cases = [("/v1/votes", 65 * 1024, AUTH, 413), ("/v1/votes", 300 * 1024, AUTH, 413),
             ("/v1/votes/batch", 900 * 1024, {}, 401), ("/v1/votes", 1000 * 1024, {}, 401)]
    with ProxyProcess(ingest.port) as proxy:
        seen = []
        for path, size, headers, wanted in cases:
            for _ in range(25):
                r = requests.post(proxy.url + path, data=b"x" * size, timeout=30,
                                  headers={**headers, "Content-Type": "application/json"})
                seen.append((path, size // 1024, r.status_code, wanted))
        assert [s for s in seen if s[2] != s[3]] == []


@pytest.mark.parametrize(("raw", "status", "error"), [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, "header_fields_too_large"),
    (b"GARBAGE\r\n\r\n", 400, "bad_request"),
    # Thai typed into a URL by a client that does not percent-encode: a precise error, not mojibake quoted back.
    ("GET /d/หัวตะพาน?q=หัว HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400, "url_not_encoded"),
])
def test_gunicorns_own_refusals_are_json_and_its_log_has_no_client_address(ingest, raw, status, error):
    with socket.create_connection(("127.0.0.1", ingest.port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode())
    assert b"Content-Type: application/json" in head
    answer = requests.models.complexjson.loads(body.decode("utf-8"))
    assert answer["error"] == error and "à¸" not in answer["message"] and "\\x" not in answer["message"]
    time.sleep(0.3)
    assert "ip=127.0.0.1" not in ingest.output() and "ip=[address]" in ingest.output()


def test_make_runs_starter_puts_the_proxy_in_front_of_the_public_service(settings, monkeypatch, tmp_path):
    from dataclasses import replace

    from tests.support.processes import ROOT, free_port
    from tests.support.scoring import wait_until
    from tests.support.supervised import local_services, own_supervisor

    starter = local_services()
    for name, value in ingest_env(settings).items():
        monkeypatch.setenv(name, value)
    manifest = replace(next(m for m in starter.manifests() if m.public), port=free_port())
    proxy_port = free_port()
    with own_supervisor(tmp_path) as supervisor:
        starter.start_service(supervisor, str(ROOT / ".venv" / "bin" / "python"), manifest, tmp_path)
        starter.apply(supervisor, [starter.proxy_program(manifest, tmp_path, proxy_port)])
        public = f"http://127.0.0.1:{proxy_port}"
        wait_until(lambda: _ok(public + "/healthz"), 30, "ingest through the proxy")
        assert requests.post(public + "/v1/votes", json=VOTE, headers=AUTH, timeout=10).status_code == 202
        wait_until(lambda: supervisor.pid("proxy") and supervisor.pid("ingest"), 30, "both RUNNING under supervisord")


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False
