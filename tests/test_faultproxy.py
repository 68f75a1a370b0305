"""The fault-injecting proxy, driven with requests against a tiny loopback HTTP server."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from faultproxy import FaultProxy, _HttpFraming

BIG = 100_000
TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class CountingHandler(BaseHTTPRequestHandler):
    """GET / says hello, GET /big?size=N sends N bytes, POST /records keeps the body."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/big":
            self._reply(200, b"x" * int(parse_qs(url.query)["size"][0]))
        else:
            self._reply(200, b"hello")

    def do_POST(self):
        body = self._read_body()
        self.server.posts.append(body)
        self._reply(201, b'{"stored": %d}' % len(self.server.posts))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.read(2)
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _reply(self, status: int, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    httpd.daemon_threads = True
    httpd.posts = []
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def proxy(server):
    with FaultProxy(upstream=("127.0.0.1", server.server_address[1])) as proxy:
        yield proxy


def fresh(method: str, url: str, **kwargs) -> requests.Response:
    """One request on a new connection, ignoring any proxy settings in the environment."""
    with requests.Session() as session:
        session.trust_env = False
        return session.request(method, url, timeout=kwargs.pop("timeout", 5), **kwargs)


def proxy_threads(proxy) -> list[threading.Thread]:
    prefix = f"faultproxy:{proxy.port}:"
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def test_pass_forwards_get_and_post(proxy, server):
    assert proxy.url == f"http://127.0.0.1:{proxy.port}"
    assert fresh("GET", proxy.url + "/").content == b"hello"
    answer = fresh("POST", proxy.url + "/records", data=b"record-1")
    assert answer.status_code == 201
    assert server.posts == [b"record-1"]
    stats = proxy.stats
    assert stats["connections"] == 2
    assert stats["requests_forwarded"] == 2
    assert stats["faults_injected"] == 0
    assert stats["bytes_up"] > len(b"record-1") and stats["bytes_down"] > len(b"hello")


def test_pass_keeps_connections_alive(proxy, server):
    with requests.Session() as session:
        session.trust_env = False
        for number in range(3):
            assert (
                session.post(proxy.url + "/records", data=b"r%d" % number, timeout=5).status_code
                == 201
            )
        assert session.get(proxy.url + "/big?size=5000", timeout=5).content == b"x" * 5000
    assert server.posts == [b"r0", b"r1", b"r2"]
    assert proxy.stats["connections"] == 1
    assert proxy.stats["requests_forwarded"] == 4


def test_refuse_fails_fast_then_same_port_serves_again(proxy):
    port = proxy.port
    assert fresh("GET", proxy.url + "/").content == b"hello"  # the port has carried traffic
    proxy.set_mode("refuse")
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        fresh("GET", proxy.url + "/")
    assert time.monotonic() - started < 1.0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    proxy.set_mode("pass")
    assert proxy.port == port
    assert fresh("GET", f"http://127.0.0.1:{port}/").content == b"hello"
    for _ in range(3):  # flipping at once re-binds too
        proxy.set_mode("refuse")
        proxy.set_mode("pass")
    assert fresh("GET", proxy.url + "/").content == b"hello"


def test_fail_next_while_refusing_listens_again(proxy, server):
    proxy.set_mode("refuse")
    proxy.set_mode("fail_next", count=1, how="stall", seconds=0.5, then="refuse")
    with pytest.raises(requests.Timeout):
        fresh("GET", proxy.url + "/", timeout=0.3)
    with pytest.raises(requests.ConnectionError):
        fresh("GET", proxy.url + "/")
    assert proxy.mode == "refuse"


def test_reset_after_request_loses_the_answer_but_server_committed(proxy, server):
    proxy.set_mode("reset_after_request")
    with pytest.raises(requests.ConnectionError):
        fresh("POST", proxy.url + "/records", data=b"lost-answer")
    assert server.posts == [b"lost-answer"]
    assert proxy.stats["faults_injected"] == 1
    assert proxy.stats["requests_forwarded"] == 1
    assert proxy.stats["bytes_down"] == 0


def test_reset_after_request_reads_a_chunked_body_in_full(proxy, server):
    proxy.set_mode("reset_after_request")
    parts = [b"part-one,", b"part-two,", b"part-three"]
    with pytest.raises(requests.ConnectionError):
        fresh("POST", proxy.url + "/records", data=iter(parts))
    assert server.posts == [b"".join(parts)]


def test_reset_mid_response_cuts_the_answer(proxy, server):
    proxy.set_mode("reset_mid_response", after_bytes=200)
    with pytest.raises(TRANSPORT_ERRORS):  # even an answer under 200 bytes is cut
        fresh("POST", proxy.url + "/records", data=b"half")
    assert server.posts == [b"half"]
    assert 0 < proxy.stats["bytes_down"] <= 200

    proxy.set_mode("reset_mid_response", after_bytes=1000)
    with pytest.raises(TRANSPORT_ERRORS):
        fresh("GET", proxy.url + f"/big?size={BIG}")
    assert proxy.stats["faults_injected"] == 2


def test_stall_makes_the_client_time_out(proxy, server):
    proxy.set_mode("stall", seconds=5)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        fresh("POST", proxy.url + "/records", data=b"never-arrives", timeout=1)
    assert time.monotonic() - started < 2.5
    assert server.posts == []
    assert proxy.stats["faults_injected"] == 1


def test_throttle_limits_bandwidth_and_adds_latency(proxy):
    proxy.set_mode("throttle", bytes_per_second=50_000, latency=0.1)
    started = time.monotonic()
    answer = fresh("GET", proxy.url + f"/big?size={BIG}", timeout=15)
    assert answer.content == b"x" * BIG
    assert time.monotonic() - started >= 1.5  # 100 KB at 50 KB/s is 2 s

    latency = 0.4
    proxy.set_mode("throttle", bytes_per_second=None, latency=latency)
    started = time.monotonic()
    assert fresh("GET", proxy.url + "/", timeout=15).content == b"hello"
    assert time.monotonic() - started >= 2 * latency * 0.95  # one way each for request and answer


def test_fail_next_then_pass(proxy, server):
    proxy.set_mode("fail_next", count=2, then="pass", how="reset_after_request")
    outcomes = []
    for number in range(3):
        try:
            outcomes.append(fresh("POST", proxy.url + "/records", data=b"r%d" % number).status_code)
        except requests.ConnectionError:
            outcomes.append("error")
    assert outcomes == ["error", "error", 201]
    assert server.posts == [b"r0", b"r1", b"r2"]  # every lost answer was committed
    assert proxy.mode == "pass"
    assert proxy.stats["faults_injected"] == 2


def test_fail_next_with_refuse_resets_at_once(proxy, server):
    proxy.set_mode("fail_next", count=1, how="refuse")
    with pytest.raises(requests.ConnectionError):
        fresh("POST", proxy.url + "/records", data=b"dropped")
    assert fresh("POST", proxy.url + "/records", data=b"kept").status_code == 201
    assert server.posts == [b"kept"]


def test_stop_is_bounded_and_closes_the_port(server):
    proxy = FaultProxy(upstream=("127.0.0.1", server.server_address[1])).start()
    port = proxy.port
    session = requests.Session()
    session.trust_env = False
    assert session.get(proxy.url + "/", timeout=5).content == b"hello"  # idle keep-alive
    proxy.set_mode("stall", seconds=30)
    stalled = socket.create_connection(("127.0.0.1", port), timeout=2)
    stalled.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    half = socket.create_connection(("127.0.0.1", port), timeout=2)
    half.sendall(b"POST /records HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")  # never completes
    time.sleep(0.2)

    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 5
    assert proxy_threads(proxy) == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    for sock in (stalled, half):
        sock.close()
    session.close()


def test_rejects_bad_configuration(server):
    with pytest.raises(ValueError):
        FaultProxy(upstream=("10.0.0.1", 80))
    with pytest.raises(ValueError):
        FaultProxy(upstream=("localhost", 80))
    proxy = FaultProxy(upstream=("127.0.0.1", server.server_address[1]))
    with pytest.raises(ValueError):
        proxy.set_mode("explode")
    with pytest.raises(TypeError):
        proxy.set_mode("stall", after_bytes=3)
    with pytest.raises(ValueError):
        proxy.set_mode("stall", seconds=float("inf"))
    with pytest.raises(ValueError):
        proxy.set_mode("fail_next", how="throttle")


def test_framing_counts_pipelined_and_chunked_messages():
    requests_seen = _HttpFraming()
    stream = (
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /r HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
        b"POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n"
    )
    assert sum(requests_seen.feed(stream[i : i + 7]) for i in range(0, len(stream), 7)) == 3
    assert requests_seen.methods == ["GET", "POST", "POST"]

    answers = _HttpFraming(response=True, request_method="GET")
    assert (
        answers.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        == 1
    )
    until_close = _HttpFraming(response=True)
    assert until_close.feed(b"HTTP/1.0 200 OK\r\n\r\nbody") == 0
    assert until_close.finish()
    head = _HttpFraming(response=True, request_method="HEAD")
    assert head.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n") == 1
