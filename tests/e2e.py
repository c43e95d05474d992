#!/usr/bin/env python3
"""e2e.py - the client side of tests/e2e.sh: calls a running server.

    tests/e2e.py --port N --cacert CA [--host 127.0.0.1] [--fixtures DIR]
                 [--max-body BYTES]

Posts the request of every case file under DIR (DIR/*.json, DIR/*/*.json,
...) that has neither "config" nor "bindings" to /<endpoint>?timeout=10s the way kube-apiserver does
(HTTP/1.1 over TLS, ALPN http/1.1, no SNI for an IP, the same headers, one
keep-alive connection for all of them) and compares the answer with the
case's "answer" (tests/jsoncmp.py). Then checks the HTTP errors and the
probes. Prints one line per check, "ok ..." or "FAIL ...", and exits 1 if
any failed.
"""
import argparse
import glob
import gzip
import http.client
import json
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jsoncmp  # noqa: E402

API_HEADERS = {
    "User-Agent": "kube-apiserver-admission",
    "Accept": "application/json, */*",
    "Content-Type": "application/json",
    "Accept-Encoding": "gzip",
}

failed = 0


def report(ok, what, detail=""):
    global failed
    if not ok:
        failed += 1
    line = ("ok   " if ok else "FAIL ") + what
    if detail and not ok:
        line += ": " + detail
    print(line, flush=True)


def tls_context(cacert):
    ctx = ssl.create_default_context(cafile=cacert)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class CountingConnection(http.client.HTTPSConnection):
    """Counts the TCP connections it opens (keep-alive check)."""

    opened = 0

    def connect(self):
        CountingConnection.opened += 1
        super().connect()


def body_of(resp):
    data = resp.read()
    if (resp.getheader("Content-Encoding") or "").lower() == "gzip":
        data = gzip.decompress(data)
    return data


def run_cases(args, ctx):
    # audit/ holds cluster dumps for `audit`, one broken on purpose.
    files = sorted(p for p in glob.glob(os.path.join(args.fixtures, "**",
                                                     "*.json"), recursive=True)
                   if os.path.relpath(p, args.fixtures).split(os.sep)[0]
                   != "audit")
    cases = []
    for path in files:
        try:
            with open(path) as f:
                case = json.load(f)
        except (OSError, ValueError) as e:
            report(False, f"case {os.path.relpath(path, args.fixtures)}",
                   f"unreadable: {e}")
            continue
        # Other JSON files (RBAC lists, configs) are not cases.
        if not isinstance(case, dict) or "request" not in case or "endpoint" not in case:
            continue
        if "config" in case or "bindings" in case:
            continue
        cases.append((path, case))
    if not cases:
        print(f"note: no case file without config and bindings in {args.fixtures}")
        return
    conn = CountingConnection(args.host, args.port, context=ctx, timeout=30)
    CountingConnection.opened = 0
    for path, case in cases:
        name = os.path.relpath(path, args.fixtures)
        ep = case.get("endpoint")
        if ep not in ("mutate", "validate") or "request" not in case or "answer" not in case:
            report(False, f"case {name}", "needs endpoint mutate|validate, request and answer")
            continue
        body = json.dumps(case["request"]).encode()
        try:
            conn.request("POST", f"/{ep}?timeout=10s", body=body, headers=API_HEADERS)
            resp = conn.getresponse()
            data = body_of(resp)
        except (OSError, http.client.HTTPException) as e:
            report(False, f"{ep} {name}", f"request failed: {e!r}")
            conn.close()
            continue
        if resp.status != 200:
            report(False, f"{ep} {name}", f"status {resp.status}: {data[:300]!r}")
            continue
        try:
            got = json.loads(data)
        except ValueError:
            report(False, f"{ep} {name}", f"answer is not JSON: {data[:300]!r}")
            continue
        d = jsoncmp.compare(case["answer"], got)
        report(not d, f"{ep} {name}", "; ".join(d))
    conn.close()
    report(CountingConnection.opened == 1,
           f"keep-alive: {len(cases)} cases over {CountingConnection.opened} connection(s)",
           "want one connection")


def call(args, ctx, method, path, headers=None, body=None):
    """One request on a fresh connection: (status, headers, body bytes)."""
    conn = http.client.HTTPSConnection(args.host, args.port, context=ctx, timeout=15)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp, body_of(resp)
    finally:
        conn.close()


def check_error(args, ctx, what, want, method, path, headers=None, body=None,
                need_code=True, allow=None):
    try:
        status, resp, data = call(args, ctx, method, path, headers, body)
    except (OSError, http.client.HTTPException) as e:
        report(False, what, f"request failed: {e!r}")
        return
    problems = []
    if status != want:
        problems.append(f"status {status}, want {want}")
    ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        problems.append(f"Content-Type {ctype!r}")
    try:
        j = json.loads(data)
        if not isinstance(j, dict) or not isinstance(j.get("error"), str):
            problems.append(f"no \"error\" string in {data[:200]!r}")
        elif need_code and j.get("code") != want:
            problems.append(f"code {j.get('code')!r} in the body")
    except ValueError:
        problems.append(f"body is not JSON: {data[:200]!r}")
    if allow is not None and allow not in (resp.getheader("Allow") or ""):
        problems.append(f"Allow {resp.getheader('Allow')!r}, want {allow}")
    report(not problems, what, "; ".join(problems))


def raw_exchange(args, ctx, head, body=b"", timeout=10):
    """Send bytes on a TLS socket, read until the server closes."""
    s = socket.create_connection((args.host, args.port), timeout=timeout)
    t = ctx.wrap_socket(s, server_hostname=args.host)
    data = b""
    try:
        t.sendall(head)
        if body:
            try:
                t.sendall(body)
            except OSError:
                pass  # the answer may still be readable
        while True:
            chunk = t.recv(65536)
            if not chunk:
                break
            data += chunk
    except (OSError, ssl.SSLError):
        pass
    finally:
        t.close()
    return data


def parse_raw(data):
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return status, body


def check_413(args, ctx):
    limit = args.max_body
    head = (f"POST /mutate?timeout=10s HTTP/1.1\r\nHost: {args.host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {limit + 1}\r\n\r\n").encode()
    t0 = time.time()
    status, body = parse_raw(raw_exchange(args, ctx, head))
    took = time.time() - t0
    ok = status == 413 and took < 5
    try:
        ok = ok and json.loads(body).get("code") == 413
    except ValueError:
        ok = False
    report(ok, "413 from Content-Length, before any body",
           f"status {status} after {took:.1f}s: {body[:200]!r}")
    # The same with the body sent anyway: the answer must not be lost to a
    # reset (lingering close).
    status, body = parse_raw(raw_exchange(args, ctx, head, b" " * (limit + 1), timeout=30))
    report(status == 413, "413 with the body sent anyway (answer not lost)",
           f"status {status}: {body[:200]!r}")


def run_http_checks(args, ctx):
    good = json.dumps({"kind": "AdmissionReview"}).encode()
    check_error(args, ctx, "404 unknown path", 404, "POST", "/nope",
                API_HEADERS, good)
    check_error(args, ctx, "405 GET /mutate", 405, "GET", "/mutate",
                {"Accept": "application/json"}, allow="POST")
    check_error(args, ctx, "405 POST /healthz", 405, "POST", "/healthz",
                API_HEADERS, good, allow="GET")
    check_error(args, ctx, "415 Content-Type text/plain", 415, "POST",
                "/validate", dict(API_HEADERS, **{"Content-Type": "text/plain"}), good)
    check_error(args, ctx, "415 no Content-Type", 415, "POST", "/mutate",
                {"Accept": "application/json"}, good)
    check_413(args, ctx)
    check_error(args, ctx, "400 JSON that is not an AdmissionReview", 400, "POST",
                "/mutate?timeout=10s", API_HEADERS, b'{"hello":"world"}', need_code=False)
    check_error(args, ctx, "400 garbage body", 400, "POST", "/validate?timeout=10s",
                API_HEADERS, b"\x00garbage{[", need_code=False)
    check_error(args, ctx, "400 empty body", 400, "POST", "/validate",
                API_HEADERS, b"", need_code=False)
    for path in ("/healthz", "/readyz"):
        try:
            status, resp, data = call(args, ctx, "GET", path)
            ok = status == 200 and isinstance(json.loads(data), dict)
            report(ok, f"200 GET {path}", f"status {status}: {data[:200]!r}")
        except (OSError, ValueError, http.client.HTTPException) as e:
            report(False, f"200 GET {path}", repr(e))
    status, body = parse_raw(raw_exchange(
        args, ctx, b"GET /healthz HTTP/1.0\r\n\r\n"))
    report(status == 200, "200 GET /healthz over HTTP/1.0", f"status {status}")
    # Parameters of the media type are allowed.
    try:
        status, _, data = call(args, ctx, "POST", "/mutate", dict(
            API_HEADERS, **{"Content-Type": "Application/JSON; charset=utf-8"}), b"{}")
        report(status == 400, "Content-Type with charset is accepted (then 400 for {})",
               f"status {status}: {data[:200]!r}")
    except (OSError, http.client.HTTPException) as e:
        report(False, "Content-Type with charset", repr(e))


def check_tls(args, cacert):
    """TLS 1.3 by default (what kube-apiserver negotiates), 1.2 accepted."""
    for want, maxv in (("TLSv1.3", None), ("TLSv1.2", ssl.TLSVersion.TLSv1_2)):
        ctx = tls_context(cacert)
        if maxv is not None:
            ctx.maximum_version = maxv
        try:
            s = socket.create_connection((args.host, args.port), timeout=10)
            t = ctx.wrap_socket(s, server_hostname=args.host)
            got = t.version()
            t.close()
            report(got == want, f"TLS handshake {want}", f"negotiated {got}")
        except (OSError, ssl.SSLError) as e:
            report(False, f"TLS handshake {want}", repr(e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--fixtures", default="tests/fixtures")
    ap.add_argument("--max-body", type=int, default=8 << 20)
    args = ap.parse_args()
    ctx = tls_context(args.cacert)
    run_cases(args, ctx)
    run_http_checks(args, ctx)
    check_tls(args, args.cacert)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
