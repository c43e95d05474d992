#!/usr/bin/env python3
"""shutdown_test.py - SIGTERM and SIGINT: stop accepting, finish what is in
flight, exit 0 within the grace period; a second signal exits at once.

    BIN=bin/image-policy-webhook tests/shutdown_test.py

Checks, each against its own server on a free loopback port:
- under load (client threads posting on keep-alive connections, reconnecting
  when the server says Connection: close): SIGTERM; no request that reached
  the server (TLS handshake done, request sent) fails, the server exits 0
  within --grace-period, and new connections are refused afterwards;
- a request in flight (body half sent) when SIGTERM comes is answered once
  its body is complete, with Connection: close, and the server exits 0;
- a request that never completes: exit 0 when the grace period is over;
- a second signal while waiting: the process exits at once;
- SIGINT stops an idle server like SIGTERM.
"""
import json
import signal
import ssl
import threading
import time

import opstest
from opstest import Server, check

GRACE = 5


def pick_case():
    for path, c in opstest.cases():
        if c["endpoint"] == "mutate" and c["answer"]["response"].get("patch"):
            return c
    return opstest.cases()[0][1]


class Load:
    """Client threads posting until the server refuses them: keep-alive
    ones, and ones that open a new connection for every request."""

    def __init__(self, server, case, threads=4, fresh=2):
        self.server = server
        self.case = case
        self.body = json.dumps(case["request"]).encode()
        self.uid = case["request"]["request"]["uid"]
        self.lock = threading.Lock()
        self.ok = 0
        self.ok_after_signal = 0
        self.closed_by_server = 0
        self.refused = 0
        self.failures = []
        self.signalled = threading.Event()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i < fresh,),
                                         daemon=True)
                        for i in range(threads + fresh)]

    def note(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)

    def fail(self, why):
        with self.lock:
            self.failures.append(why)

    def run(self, fresh):
        conn = None
        while not self.stop.is_set():
            if conn is None:
                conn = self.server.connection(timeout=10)
                try:
                    conn.connect()  # TCP and the TLS handshake
                except (OSError, ssl.SSLError) as e:
                    conn.close()
                    conn = None
                    self.note("refused")
                    if self.signalled.is_set():
                        return  # stopped accepting: this client is done
                    self.fail(f"refused before the signal: {e!r}")
                    time.sleep(0.05)
                    continue
            after = self.signalled.is_set()
            try:
                conn.request("POST", "/mutate?timeout=10s", body=self.body,
                             headers=opstest.HEADERS)
                resp = conn.getresponse()
                data = resp.read()
            except Exception as e:  # the request reached an accepted socket
                self.fail(f"request failed{' after the signal' if after else ''}: {e!r}")
                conn.close()
                conn = None
                continue
            try:
                uid = json.loads(data)["response"]["uid"]
            except (ValueError, KeyError, TypeError):
                uid = None
            if resp.status != 200 or uid != self.uid:
                self.fail(f"status {resp.status}, body {data[:200]!r}")
            else:
                self.note("ok")
                if after:
                    self.note("ok_after_signal")
            if resp.will_close or fresh:
                if resp.will_close and not fresh:
                    self.note("closed_by_server")
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


def test_under_load():
    s = Server("--grace-period", str(GRACE), name="load").start()
    load = Load(s, pick_case())
    for t in load.threads:
        t.start()
    time.sleep(1.5)
    before = load.ok
    load.signalled.set()
    t0 = time.monotonic()
    s.signal(signal.SIGTERM)
    rc = s.wait(GRACE + 10)
    took = time.monotonic() - t0
    for t in load.threads:
        t.join(5)
    load.stop.set()
    check(before > 0, f"load: {before} requests answered before SIGTERM")
    check(not load.failures,
          f"load: no failed request among those accepted "
          f"({load.ok} answered, {load.ok_after_signal} of them after the "
          f"signal, {load.closed_by_server} told Connection: close, "
          f"{load.refused} connections refused after the signal)",
          "; ".join(load.failures[:5]))
    check(rc == 0, "load: exit 0 after SIGTERM", f"exit status {rc}")
    check(took <= GRACE + 1,
          f"load: exited {took:.2f} s after SIGTERM (grace period {GRACE} s)")
    try:
        opstest.raw_tls(s.port, timeout=2).close()
        refused = False
    except (OSError, ssl.SSLError):
        refused = True
    check(refused, "load: connections refused once stopped")


def half_request(port, body):
    """A TLS socket with the headers and half the body of a POST sent."""
    t = opstest.raw_tls(port)
    head = (f"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    t.sendall(head + body[: len(body) // 2])
    return t


def read_all(t):
    data = b""
    try:
        while True:
            chunk = t.recv(65536)
            if not chunk:
                break
            data += chunk
    except (OSError, ssl.SSLError):
        pass
    return data


def wait_log(s, text, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(isinstance(l, dict) and text in l.get("msg", "")
               for l in s.lines()):
            return True
        time.sleep(0.05)
    return False


def test_in_flight_finishes():
    case = pick_case()
    body = json.dumps(case["request"]).encode()
    s = Server("--grace-period", str(GRACE), name="inflight").start()
    t = half_request(s.port, body)
    time.sleep(0.3)
    s.signal(signal.SIGTERM)
    check(wait_log(s, "signal received"), "in flight: SIGTERM seen")
    time.sleep(0.5)
    check(s.proc.poll() is None,
          "in flight: still running while a request is in flight")
    t.sendall(body[len(body) // 2:])
    data = read_all(t)
    t.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    ok = head.startswith(b"HTTP/1.1 200") and b"connection: close" in head.lower()
    try:
        ok = ok and json.loads(rest)["response"]["uid"] == case["request"]["request"]["uid"]
    except ValueError:
        ok = False
    check(ok, "in flight: answered 200 with Connection: close after SIGTERM",
          repr(data[:300]))
    rc = s.wait(GRACE)
    check(rc == 0, "in flight: exit 0 once it is answered", f"exit status {rc}")


def test_grace_over():
    body = json.dumps(pick_case()["request"]).encode()
    s = Server("--grace-period", "2", name="grace").start()
    t = half_request(s.port, body)
    time.sleep(0.3)
    t0 = time.monotonic()
    s.signal(signal.SIGTERM)
    rc = s.wait(10)
    took = time.monotonic() - t0
    t.close()
    check(rc == 0 and 1.8 <= took <= 3.5,
          f"stuck request: exit 0 when the 2 s grace period is over "
          f"(after {took:.2f} s)", f"exit status {rc}")
    check(wait_log(s, "grace period over", 1), "stuck request: logged")


def test_second_signal():
    body = json.dumps(pick_case()["request"]).encode()
    s = Server("--grace-period", "60", name="second").start()
    t = half_request(s.port, body)
    time.sleep(0.3)
    s.signal(signal.SIGTERM)
    wait_log(s, "signal received")
    time.sleep(0.3)
    t0 = time.monotonic()
    s.signal(signal.SIGINT)
    rc = s.wait(5)
    took = time.monotonic() - t0
    t.close()
    check(rc is not None and rc != 0 and took < 1.5,
          f"second signal: exits at once ({took:.2f} s, status {rc})",
          f"exit status {rc}")


def test_sigint():
    s = Server(name="sigint").start()
    t0 = time.monotonic()
    s.signal(signal.SIGINT)
    rc = s.wait(10)
    check(rc == 0 and time.monotonic() - t0 < 2,
          "SIGINT: an idle server exits 0 at once", f"exit status {rc}")


def test_bad_flag():
    import subprocess
    for v in ("0", "x", "3601", ""):
        r = subprocess.run([opstest.binary(), "serve", "--tls-cert", "a",
                            "--tls-key", "b", "--grace-period", v],
                           capture_output=True, text=True)
        check(r.returncode == 2 and len(r.stderr.splitlines()) == 1,
              f"--grace-period {v!r}: exit 2 with one line",
              f"{r.returncode}: {r.stderr!r}")


if __name__ == "__main__":
    test_bad_flag()
    test_sigint()
    test_under_load()
    test_in_flight_finishes()
    test_grace_over()
    test_second_signal()
    opstest.finish()
