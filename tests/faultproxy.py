"""A loopback TCP proxy that injects network faults between an HTTP client and server.

    proxy = FaultProxy(upstream=("127.0.0.1", server_port))
    proxy.start()                      # or: with FaultProxy(...) as proxy:
    proxy.set_mode("reset_after_request")
    ...
    proxy.stop()

Modes (see ``set_mode``) apply to connections accepted after the call. Only
IPv4 loopback addresses are used; every loop waits in short slices and ends on
``stop()``, on its own deadline, or after ``idle_timeout`` without traffic.
Standard library only; one thread per connection (two when piping).
"""

from __future__ import annotations

import ipaddress
import math
import select
import socket
import struct
import threading
import time

__all__ = ["FaultProxy", "MODES", "FAULTS"]

LISTEN_HOST = "127.0.0.1"
MODES = (
    "pass",
    "refuse",
    "reset_after_request",
    "reset_mid_response",
    "stall",
    "throttle",
    "fail_next",
)
FAULTS = ("reset_after_request", "reset_mid_response", "stall", "refuse")

_SLICE = 0.2  # seconds any blocking call waits before checking for stop
_BURST_GAP = 0.05  # idle time after which the next byte starts a new burst
_MAX_HEAD = 256 * 1024  # largest header block the framing parser accepts
_RECV = 65536

_PARAMS = {
    "pass": {},
    "refuse": {},
    "reset_after_request": {},
    "reset_mid_response": {"after_bytes": 200},
    "stall": {"seconds": 5.0},
    "throttle": {"bytes_per_second": 50_000, "latency": 1.0},
}


class _FramingError(ValueError):
    """The byte stream is not HTTP/1.x as this parser understands it."""


class _HttpFraming:
    """Incremental HTTP/1.x message framing: finds where messages end, nothing more.

    Requests: Content-Length or chunked bodies (else no body). Responses: 1xx are
    interim, 204/304 and answers to HEAD have no body, otherwise Content-Length,
    chunked, or read until the connection closes (see ``finish``).
    """

    def __init__(self, response: bool = False, request_method: str = "GET"):
        self.response = response
        self.request_method = request_method.upper()
        self.complete = 0  # number of complete (final) messages seen
        self.methods: list[str] = []  # request methods, in order of their heads
        self._buf = b""
        self._state = "head"
        self._remaining = 0

    def feed(self, data: bytes) -> int:
        """Consume bytes; return how many messages completed within them."""
        before = self.complete
        self._buf += data
        while self._step():
            pass
        return self.complete - before

    def finish(self) -> bool:
        """At end of stream: True if the last message is complete (close-delimited)."""
        if self._state == "until_close":
            self._state = "head"
            self.complete += 1
        return self._state == "head" and not self._buf.strip(b"\r\n")

    def _step(self) -> bool:
        state, buf = self._state, self._buf
        if state == "head":
            stripped = buf.lstrip(b"\r\n")
            end = stripped.find(b"\r\n\r\n")
            if end < 0:
                if len(stripped) > _MAX_HEAD:
                    raise _FramingError("header block too large")
                self._buf = stripped
                return False
            self._buf = stripped[end + 4 :]
            self._start_body(stripped[:end].decode("latin-1"))
            return True
        if state in ("body", "chunk_data"):
            if not buf:
                return False
            take = min(self._remaining, len(buf))
            self._buf, self._remaining = buf[take:], self._remaining - take
            if self._remaining:
                return False
            if state == "body":
                self._done()
            else:
                self._state = "chunk_size"
            return True
        if state in ("chunk_size", "trailer"):
            end = buf.find(b"\r\n")
            if end < 0:
                if len(buf) > _MAX_HEAD:
                    raise _FramingError("chunk line too long")
                return False
            line, self._buf = buf[:end], buf[end + 2 :]
            if state == "trailer":
                if not line:
                    self._done()
                return True
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as error:
                raise _FramingError(f"bad chunk size {line[:40]!r}") from error
            if size == 0:
                self._state = "trailer"
            else:
                self._state, self._remaining = "chunk_data", size + 2  # data + CRLF
            return True
        if state == "until_close":
            self._buf = b""
        return False

    def _start_body(self, head: str) -> None:
        lines = head.split("\r\n")
        first = lines[0].split()
        if len(first) < 2:
            raise _FramingError(f"bad start line {lines[0][:60]!r}")
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise _FramingError(f"bad header line {line[:60]!r}")
            key = name.strip().lower()
            headers[key] = (headers[key] + "," if key in headers else "") + value.strip()
        if self.response:
            if not first[0].startswith("HTTP/") or not first[1].isdigit():
                raise _FramingError(f"bad status line {lines[0][:60]!r}")
            status = int(first[1])
            if 100 <= status < 200:  # interim answer: the final one follows
                self._state = "head"
                return
            if status in (204, 304) or self.request_method == "HEAD":
                self._done()
                return
        else:
            if not first[-1].startswith("HTTP/"):
                raise _FramingError(f"bad request line {lines[0][:60]!r}")
            self.methods.append(first[0].upper())
        encoding = headers.get("transfer-encoding", "").lower()
        if encoding:
            if encoding.replace(" ", "").split(",")[-1] == "chunked":
                self._state = "chunk_size"
            elif self.response:
                self._state = "until_close"
            else:
                raise _FramingError(f"unsupported request transfer-encoding {encoding!r}")
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"].split(",")[0])
            except ValueError as error:
                raise _FramingError("bad content-length") from error
            self._state, self._remaining = "body", length
            if length == 0:
                self._done()
        elif self.response:
            self._state = "until_close"
        else:
            self._done()

    def _done(self) -> None:
        self.complete += 1
        self._state = "head"


class _Link:
    """One proxied connection: the client socket, the upstream one, and their closing."""

    def __init__(self, proxy: FaultProxy, client: socket.socket):
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.last_activity = time.monotonic()
        self._lock = threading.Lock()
        self._closed = False

    def connect_upstream(self) -> socket.socket:
        sock = socket.create_connection(self.proxy.upstream, timeout=2.0)
        _tune(sock)
        with self._lock:
            if self._closed:
                sock.close()
                raise OSError("link already closed")
            self.upstream = sock
        self.proxy._track(sock)
        return sock

    def close(self, reset_client: bool = False, reset_upstream: bool = False) -> None:
        """Close both sides once; a reset side gets an RST instead of a FIN."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _close(self.client, reset_client)
        self.proxy._untrack(self.client)
        if self.upstream is not None:
            _close(self.upstream, reset_upstream)
            self.proxy._untrack(self.upstream)


def _tune(sock: socket.socket) -> None:
    sock.settimeout(_SLICE)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass


def _close(sock: socket.socket, reset: bool) -> None:
    """Close a socket; with reset, SO_LINGER 0 makes the kernel send RST."""
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _check_loopback(host: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError as error:
        raise ValueError(f"upstream host must be a loopback IP literal, not {host!r}") from error
    if address.version != 4 or not address.is_loopback:
        raise ValueError(f"upstream host must be an IPv4 loopback address, not {host!r}")


def _checked_params(mode: str, given: dict) -> dict:
    allowed = _PARAMS[mode]
    unknown = set(given) - set(allowed)
    if unknown:
        raise TypeError(f"mode {mode!r} takes no parameter(s) {sorted(unknown)}")
    params = {**allowed, **given}
    if mode == "reset_mid_response":
        if not isinstance(params["after_bytes"], int) or params["after_bytes"] < 0:
            raise ValueError("after_bytes must be an int >= 0")
    elif mode == "stall":
        seconds = params["seconds"]
        if not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
            raise ValueError("seconds must be a finite number >= 0")
    elif mode == "throttle":
        rate, latency = params["bytes_per_second"], params["latency"]
        if rate is not None and (not isinstance(rate, (int, float)) or not 0 < rate < math.inf):
            raise ValueError("bytes_per_second must be a finite number > 0, or None")
        if not isinstance(latency, (int, float)) or not 0 <= latency < math.inf:
            raise ValueError("latency must be a finite number >= 0")
    return params


class FaultProxy:
    """TCP proxy on 127.0.0.1:<port> to a loopback upstream, with switchable faults."""

    def __init__(self, upstream: tuple[str, int], port: int = 0, idle_timeout: float = 30.0):
        host, upstream_port = upstream
        _check_loopback(host)
        self.upstream = (host, int(upstream_port))
        self.idle_timeout = float(idle_timeout)
        self._requested_port = int(port)
        self._port: int | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._threads: set[threading.Thread] = set()
        self._sockets: set[socket.socket] = set()
        self._mode: tuple[str, dict] = ("pass", {})
        self._fail_next: dict | None = None  # {"left", "how", "params", "then"} while active
        self._stats = dict.fromkeys(
            ("connections", "requests_forwarded", "faults_injected", "bytes_up", "bytes_down"), 0
        )

    # ---- public API -------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("proxy not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{LISTEN_HOST}:{self.port}"

    @property
    def mode(self) -> str:
        """The current mode's name ("fail_next" while failures are pending)."""
        with self._lock:
            return "fail_next" if self._fail_next else self._mode[0]

    @property
    def stats(self) -> dict:
        """A snapshot of the counters."""
        with self._lock:
            return dict(self._stats)

    def start(self) -> FaultProxy:
        """Bind 127.0.0.1:<port> and start accepting."""
        with self._lock:
            if self._accept_thread is not None:
                raise RuntimeError("proxy already started")
            self._listener = self._bind(self._requested_port)
            self._port = self._listener.getsockname()[1]
            if self._mode[0] == "refuse" and self._fail_next is None:
                self._close_listener()
            self._accept_thread = self._spawn(self._accept_loop, "accept")
        return self

    def set_mode(self, mode: str, **params) -> None:
        """Switch mode for connections accepted from now on.

        pass; refuse; reset_after_request; reset_mid_response(after_bytes=200);
        stall(seconds=5); throttle(bytes_per_second=50_000 or None, latency=1.0 one-way);
        fail_next(count=1, how="reset_after_request", then="pass", then_params=None,
        plus the parameters of `how`). A `how` of "refuse" resets each connection at once.
        """
        if mode == "fail_next":
            count = params.pop("count", 1)
            how = params.pop("how", "reset_after_request")
            then = params.pop("then", "pass")
            then_params = params.pop("then_params", None) or {}
            if not isinstance(count, int) or count < 0:
                raise ValueError("count must be an int >= 0")
            if how not in FAULTS:
                raise ValueError(f"how must be one of {FAULTS}, not {how!r}")
            if then not in _PARAMS:
                raise ValueError(f"then must be one of {tuple(_PARAMS)}, not {then!r}")
            fault = {
                "left": count,
                "how": how,
                "params": _checked_params(how, params),
                "then": (then, _checked_params(then, then_params)),
            }
            with self._lock:
                if count == 0:
                    self._fail_next = None
                    self._apply(*fault["then"])
                else:
                    self._ensure_listening()  # the failing connections must be accepted
                    self._fail_next = fault
            return
        if mode not in _PARAMS:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        checked = _checked_params(mode, params)
        with self._lock:
            self._fail_next = None
            self._apply(mode, checked)

    def stop(self, timeout: float = 4.0) -> None:
        """Close the listener and every connection; join all threads (bounded)."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        with self._lock:
            self._close_listener()
            sockets = list(self._sockets)
        for sock in sockets:  # wake threads at once rather than after a slice
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        while time.monotonic() < deadline:
            with self._lock:
                alive = [
                    t for t in self._threads if t.is_alive() and t is not threading.current_thread()
                ]
            if not alive:
                break
            for thread in alive:
                thread.join(max(0.0, min(_SLICE, deadline - time.monotonic())))
        with self._lock:
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            _close(sock, reset=False)

    def __enter__(self) -> FaultProxy:
        if self._accept_thread is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- listener and modes ----------------------------------------------

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((LISTEN_HOST, port))
            sock.listen(64)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def _close_listener(self) -> None:
        """Stop listening now (lock held).

        The accept thread's select() holds a reference to the socket, so close()
        alone would leave it in LISTEN until select returns; shutdown() ends the
        LISTEN state at once: connects are refused and the port can be re-bound.
        """
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None

    def _apply(self, mode: str, params: dict) -> None:
        """Set the base mode (lock held); refuse closes the listener, others re-bind it."""
        if mode == "refuse":
            self._close_listener()
        else:
            self._ensure_listening()
        self._mode = (mode, params)

    def _ensure_listening(self) -> None:
        """Re-bind the same port after refusing (lock held); SO_REUSEADDR allows it."""
        if self._listener is None and self._port is not None and not self._stop.is_set():
            self._listener = self._bind(self._port)

    def _mode_for_new_connection(self) -> tuple[str, dict]:
        with self._lock:
            fault = self._fail_next
            if fault is None:
                return self._mode
            fault["left"] -= 1
            if fault["left"] <= 0:
                self._fail_next = None
                self._apply(*fault["then"])
            return fault["how"], fault["params"]

    # ---- threads and bookkeeping -------------------------------------------

    def _spawn(self, target, role: str, *args) -> threading.Thread:
        thread = threading.Thread(
            target=self._run,
            args=(target, args),
            daemon=True,
            name=f"faultproxy:{self._port}:{role}",
        )
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def _run(self, target, args) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for key, delta in deltas.items():
                self._stats[key] += delta

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:  # refusing: nothing is listening
                self._stop.wait(0.05)
                continue
            try:
                readable, _, _ = select.select([listener], [], [], _SLICE)
            except (OSError, ValueError):  # closed by set_mode("refuse")
                continue
            if not readable:
                continue
            with self._lock:
                if listener is not self._listener or self._stop.is_set():
                    continue
                try:
                    client, _ = listener.accept()
                except (BlockingIOError, InterruptedError, OSError):
                    continue
                self._sockets.add(client)
            _tune(client)
            self._count(connections=1)
            mode, params = self._mode_for_new_connection()
            self._spawn(self._serve, "conn", _Link(self, client), mode, params)

    # ---- per-connection behaviour -----------------------------------------

    def _serve(self, link: _Link, mode: str, params: dict) -> None:
        reset_client = False
        try:
            if mode == "refuse":  # only reachable through fail_next
                self._count(faults_injected=1)
                reset_client = True
            elif mode in ("pass", "throttle"):
                self._pipe(link, params if mode == "throttle" else None)
            else:
                reset_client = getattr(self, "_fault_" + mode)(link, **params)
        except OSError:
            reset_client = True
        finally:
            link.close(reset_client=reset_client)

    def _deadline(self) -> float:
        return time.monotonic() + self.idle_timeout

    def _recv(self, sock: socket.socket, deadline: float) -> bytes | None:
        """Receive some bytes: b"" at EOF, None on stop or deadline."""
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                return sock.recv(_RECV)
            except TimeoutError:
                continue
        return None

    def _send(self, sock: socket.socket, data: bytes, deadline: float) -> bool:
        """Send everything, in slices that notice stop; False if cut short."""
        view = memoryview(data)
        while view:
            if self._stop.is_set() or time.monotonic() >= deadline:
                return False
            try:
                sent = sock.send(view)
            except TimeoutError:
                continue
            view = view[sent:]
        return True

    def _read_message(self, sock, framing: _HttpFraming, keep: int | None = None):
        """Read until `framing` sees one complete message; (ok, total bytes, kept bytes).

        Keeps everything read, or only the first `keep` bytes when given.
        """
        deadline, total, kept = self._deadline(), 0, bytearray()
        while True:
            data = self._recv(sock, deadline)
            if data is None:
                return False, total, bytes(kept)
            if not data:
                return framing.finish(), total, bytes(kept)
            total += len(data)
            kept += data if keep is None else data[: max(0, keep - len(kept))]
            try:
                if framing.feed(data):
                    return True, total, bytes(kept)
            except _FramingError:
                return False, total, bytes(kept)

    def _forward_request(self, link: _Link):
        """Read one request from the client and send it upstream; return its method or None."""
        requests = _HttpFraming()
        ok, _, request = self._read_message(link.client, requests)
        if not ok:
            return None
        upstream = link.connect_upstream()
        self._count(requests_forwarded=1, bytes_up=len(request))
        if not self._send(upstream, request, self._deadline()):
            return None
        return requests.methods[0]

    def _fault_reset_after_request(self, link: _Link) -> bool:
        """The lost answer: the server answers in full, the client gets an RST instead."""
        method = self._forward_request(link)
        if method is None:
            return True
        self._read_message(link.upstream, _HttpFraming(True, method), keep=0)
        self._count(faults_injected=1)
        return True

    def _fault_reset_mid_response(self, link: _Link, after_bytes: int) -> bool:
        """Forward at most `after_bytes` of the answer (never all of it), then RST."""
        method = self._forward_request(link)
        if method is None:
            return True
        _, total, head = self._read_message(
            link.upstream, _HttpFraming(True, method), keep=after_bytes
        )
        part = head[: max(0, min(after_bytes, total - 1))]
        if part:
            self._count(bytes_down=len(part))
            if self._send(link.client, part, self._deadline()):
                self._stop.wait(0.05)  # let the client read the part before the RST
        self._count(faults_injected=1)
        return True

    def _fault_stall(self, link: _Link, seconds: float) -> bool:
        """Read the request, answer nothing for `seconds`, then close (FIN)."""
        ok, _, _ = self._read_message(link.client, _HttpFraming())
        if not ok:
            return False
        self._count(faults_injected=1)
        self._stop.wait(seconds)
        return False

    def _pipe(self, link: _Link, throttle: dict | None) -> None:
        """Pipe bytes both ways until both sides finish, counting requests on the way."""
        try:
            link.connect_upstream()
        except OSError:
            link.close(reset_client=True)
            return
        outcome = {}
        up = self._spawn(
            self._pump, "up", link, link.client, link.upstream, "up", throttle, outcome
        )
        self._pump(link, link.upstream, link.client, "down", throttle, outcome)
        while up.is_alive() and not self._stop.is_set():
            up.join(_SLICE)
        up.join(_SLICE * 2)
        abort = "error" in outcome.values() or self._stop.is_set()
        link.close(reset_client=abort, reset_upstream=abort)

    def _pump(self, link, src, dst, direction, throttle, outcome) -> None:
        """Copy src → dst; on EOF pass the half-close on; on error abort the link."""
        requests = _HttpFraming() if direction == "up" else None
        rate = throttle and throttle["bytes_per_second"]
        latency = throttle["latency"] if throttle else 0.0
        chunk = min(_RECV, max(512, int(rate) // 20)) if rate else _RECV
        last_sent = -math.inf
        next_send = 0.0
        try:
            while not self._stop.is_set():
                try:
                    data = src.recv(chunk)
                except TimeoutError:
                    if time.monotonic() - link.last_activity > self.idle_timeout:
                        outcome[direction] = "idle"
                        link.close(reset_client=True, reset_upstream=True)
                        return
                    continue
                if not data:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    outcome[direction] = "eof"
                    return
                now = time.monotonic()
                link.last_activity = now
                if throttle:
                    if now - last_sent > _BURST_GAP:  # first byte of a new burst
                        next_send = now + latency
                    delay = next_send - now
                    if delay > 0 and self._stop.wait(delay):
                        return
                    if rate:
                        next_send = max(next_send, time.monotonic()) + len(data) / rate
                # Count before sending, so a peer that has the bytes sees them counted.
                self._count(**{"bytes_" + direction: len(data)})
                if requests is not None:
                    try:
                        finished = requests.feed(data)
                    except _FramingError:  # not HTTP as we know it: just pipe
                        requests = None
                    else:
                        if finished:
                            self._count(requests_forwarded=finished)
                if not self._send(dst, data, time.monotonic() + self.idle_timeout):
                    outcome[direction] = "error"
                    return
                last_sent = link.last_activity = time.monotonic()
        except OSError:
            outcome[direction] = "error"
            link.close(reset_client=True, reset_upstream=True)
