#!/usr/bin/env python3
"""kube_test.py - end to end: serve --kube against the stub API server.

    BIN=bin/image-policy-webhook tests/kube_test.py [-k NAME]

Runs tests/kube_stub.py (loopback HTTPS) and the real binary, and shows:
that the stub answers as the recorded kube-apiserver did (tests/kube/wire);
not ready while the API is down at start, ready once it is up; a
RoleBinding added or deleted flips /validate within one second; a watch cut
mid-stream resumes from its resourceVersion with no event lost; 410 Gone
leads to a new list; a malformed event is logged and skipped; a rotated
token file is used on the next request; a lost API keeps the last state
(ready, deciding) and catches up when back (restarted: 410, listed again);
a ClusterRole without the images rule (403, not 404) keeps it not ready;
the periodic resync repairs
what no event said; OpenShift's image config adds registries; kubeconfig
variants (token, tokenFile, client certificate files and data, CA file and
data, insecure-skip-tls-verify) connect and bad ones do not; the in-cluster
configuration (when a private mount namespace is allowed); audit --kube
over the stub's workloads (table, json and PolicyReports, owner folding,
--namespace lists only the namespaces' paths, pages, a forbidden kind named
with exit 2, OpenShift's kinds, CronJob at batch/v1beta1); can-pull --kube
yes, -v and no; serve --audit-interval: the audit gauges, and a RoleBinding
deleted shows as a finding (gauge and warn line) within an interval and
goes back to 0 when restored. One line per check, then "N passed, N
failed"; exit 1 on any failure. Every process it starts is killed at the
end; the whole run is bounded by an alarm.
"""
import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import opstest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
WIRE = os.path.join(TESTS, "kube", "wire")
RBAC = os.path.join(TESTS, "fixtures", "rbac", "rbac-list.json")
SAS = os.path.join(TESTS, "kube", "serviceaccounts.json")
WORKLOADS = os.path.join(TESTS, "kube", "workloads.json")
POD = os.path.join(TESTS, "fixtures", "apiserver-v1.20",
                   "validate-pod-create-cross-project-tag.json")
RB_PATH = "/apis/rbac.authorization.k8s.io/v1/rolebindings"
# The kinds serve --kube watches on plain Kubernetes (the stub serves more).
WATCHED = ("rolebindings", "clusterrolebindings", "roles", "clusterroles",
           "serviceaccounts")

procs = []

# One line a check, counted in opstest (the operability tests' report).
report = opstest.check
wait_for = opstest.wait_for
kubeconfig = opstest.kubeconfig


class Stub:
    def __init__(self, tmp, certs, extra=(), name="stub"):
        self.log = open(os.path.join(tmp, f"{name}.log"), "w")
        args = [sys.executable, os.path.join(TESTS, "kube_stub.py"),
                "--cert", f"{certs}/tls.crt", "--key", f"{certs}/tls.key",
                "--data", RBAC, "--data", SAS, "--bookmark-interval", "0.5"]
        self.p = subprocess.Popen(args + list(extra), stdout=subprocess.PIPE,
                                  stderr=self.log, text=True)
        procs.append(self.p)
        line = self.p.stdout.readline()
        info = json.loads(line)
        self.port, self.control = info["port"], info["control"]

    def call(self, method, path, body=None):
        return opstest.stub_call(self.control, method, path, body)

    def put(self, obj, silent=False):
        return self.call("POST", "/put", {"object": obj, "silent": silent})["rv"]

    def delete(self, kind, ns, name):
        return self.call("POST", "/delete",
                         {"kind": kind, "namespace": ns, "name": name})["rv"]

    def requests(self):
        return self.call("GET", "/requests")

    def clear(self):
        self.call("POST", "/requests/clear", {})

    def state(self):
        return self.call("GET", "/state")

    def stop(self):
        self.p.kill()
        self.p.wait()
        self.log.close()


class Webhook:
    def __init__(self, tmp, certs, args, name, env=None, wrap=None):
        self.certs = certs
        self.logpath = os.path.join(tmp, f"{name}.log")
        self.log = open(self.logpath, "w")
        cmd = [BIN, "serve", "--tls-cert", f"{certs}/tls.crt", "--tls-key",
               f"{certs}/tls.key", "--listen", "127.0.0.1:0"] + list(args)
        if wrap is not None:
            cmd = wrap(cmd)
        e = dict(os.environ)
        for v in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                  "all_proxy", "ALL_PROXY"):
            e.pop(v, None)
        e.update(env or {})
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                  stderr=self.log, env=e)
        procs.append(self.p)
        m = wait_for(lambda: re.search(
            r"listening on https://127\.0\.0\.1:(\d+)", self.text()), 10)
        if not m:
            raise RuntimeError(f"{name}: no 'listening on' line:\n{self.text()}")
        self.port = int(m.group(1))
        self.ctx = ssl.create_default_context(cafile=f"{certs}/ca.crt")
        self.conn = None

    def text(self):
        with open(self.logpath) as f:
            return f.read()

    def lines(self):
        out = []
        for line in self.text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"msg": line, "level": "?"})
        return out

    def logged(self, pattern):
        return [m for m in self.lines() if re.search(pattern, m.get("msg", ""))]

    def request(self, method, path, body=None):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(
                        "127.0.0.1", self.port, context=self.ctx, timeout=10)
                hdrs = {"Content-Type": "application/json"} if body else {}
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        return None

    def ready(self):
        try:
            return self.request("GET", "/readyz")[0] == 200
        except OSError:
            return False

    def readyz(self):
        try:
            return self.request("GET", "/readyz")[0]
        except OSError as e:
            return repr(e)

    def allowed(self, ns="project-d", image=None):
        with open(POD) as f:
            review = json.load(f)["request"]
        req = review["request"]
        req["uid"] = f"kube-test-{time.monotonic_ns()}"
        req["namespace"] = ns
        req["object"]["metadata"]["namespace"] = ns
        if image:
            req["object"]["spec"]["containers"][0]["image"] = image
        status, body = self.request("POST", "/validate?timeout=10s",
                                    json.dumps(review).encode())
        if status != 200:
            raise RuntimeError(f"/validate: HTTP {status}: {body[:200]!r}")
        return json.loads(body)["response"]["allowed"]

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if self.conn is not None:
            self.conn.close()
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        self.log.close()
        if rc != 0:
            # What a crash at exit leaves is all there is to go on in CI.
            for line in self.text().splitlines()[-12:]:
                print(f"     log: {line[:300]}")
        return rc


def puller_binding(name, ns="project-b", sa_ns="project-d", sa="default"):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns},
            "subjects": [{"kind": "ServiceAccount", "name": sa,
                          "namespace": sa_ns}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole", "name": "system:image-puller"}}


def flip_time(wh, want, timeout=3.0):
    """Seconds until /validate answers allowed == want, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if wh.allowed() == want:
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def watch_requests(reqs, path=RB_PATH):
    return [r for r in reqs if r["path"] == path and r["watch"]]


def list_requests(reqs, path=RB_PATH):
    return [r for r in reqs if r["path"] == path and not r["watch"]]


# ---------------------------------------------------------------------------
# The stub against the recordings.

def read_wire(name):
    with open(os.path.join(WIRE, name), "rb") as f:
        return f.read()


def wire_headers(name):
    lines = read_wire(name).decode().split("\r\n")
    return lines[0], [l.split(":", 1)[0] for l in lines[1:] if l]


def drop_managed(v):
    if isinstance(v, dict):
        return {k: drop_managed(x) for k, x in v.items() if k != "managedFields"}
    if isinstance(v, list):
        return [drop_managed(x) for x in v]
    return v


def raw_get(port, path, token, ua="image-policy-webhook-fixtures/1.0"):
    """One GET over a fresh TLS socket; the raw response bytes."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        with ctx.wrap_socket(s) as t:
            t.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                       f"User-Agent: {ua}\r\nAccept: application/json\r\n"
                       f"Authorization: Bearer {token}\r\n"
                       "Connection: close\r\n\r\n").encode())
            out = b""
            while True:
                try:
                    d = t.recv(65536)
                except (ssl.SSLError, OSError):
                    break
                if not d:
                    break
                out += d
    return out


def dechunk(body):
    """The chunks of a chunked body, and whether it ended with 0 CRLF CRLF."""
    chunks = []
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        n = int(size_line, 16)
        if n == 0:
            return chunks, rest == b"\r\n"
        chunks.append(rest[:n])
        body = rest[n + 2:]
    return chunks, False


def body_of(raw):
    """The body of a raw response, chunked or not."""
    _, _, hdrs, body = split_response(raw)
    if "chunked" in hdrs.get("transfer-encoding", ""):
        return b"".join(dechunk(body)[0])
    return body


def framing(length):
    """What Go's net/http sends for a body written at once: under 2048
    bytes a Content-Length, else chunked."""
    return "Content-Length" if length < 2048 else "Transfer-Encoding"


def split_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    return lines[0], [l.split(":", 1)[0] for l in lines[1:]], dict(
        (l.split(":", 1)[0].lower(), l.split(":", 1)[1].strip()) for l in lines[1:]), body


def test_conformance(tmp, certs):
    stub = Stub(tmp, certs, ["--token", "t"], name="stub-conformance")
    try:
        # Pages of ?limit=2 against the recorded pages.
        cont = None
        for page in range(1, 7):
            path = RB_PATH + "?limit=2"
            if cont:
                path += "&continue=" + urllib.parse.quote(cont, safe="")
            raw = raw_get(stub.port, path, "t")
            status, names, hdrs, _ = split_response(raw)
            body = body_of(raw)
            rstatus, rnames = wire_headers(f"rolebindings-list-limit2-page{page}.headers.txt")
            rbody = read_wire(f"rolebindings-list-limit2-page{page}.json")
            recorded = drop_managed(json.loads(rbody))
            want = (json.dumps(recorded, separators=(",", ":")) + "\n").encode()
            report(body == want, f"stub: list page {page} of limit=2 is the recorded "
                   "body byte for byte (without managedFields)",
                   f"got {body[:300]!r}")
            # The files from kubectl have no managedFields, so the bodies are
            # smaller than recorded: the framing follows the size, as the
            # recording does.
            report(rnames[-1] == framing(len(rbody)) and status == rstatus and
                   names == rnames[:-1] + [framing(len(body))],
                   f"stub: list page {page}: status line and headers as recorded "
                   f"({names[-1]} for {len(body)} bytes)",
                   f"{status} {names} vs {rstatus} {rnames}")
            cont = json.loads(body)["metadata"].get("continue")
        # curl's User-Agent gets pretty JSON, as the recording shows.
        raw = raw_get(stub.port, RB_PATH + "?limit=2", "t", ua="curl/7.88.1")
        pretty = body_of(raw)
        rec = drop_managed(json.loads(read_wire(
            "rolebindings-list-limit2-page1.curl-user-agent-pretty.json")))
        report(b'\n  "kind": "RoleBindingList"' in b"\n" + pretty[1:] and
               json.loads(pretty) == rec,
               "stub: a curl User-Agent gets the same list pretty-printed")
        # A watch from 263 with the recorded create, patch, delete.
        result = {}

        def watch():
            result["raw"] = raw_get(
                stub.port, RB_PATH + "?watch=1&resourceVersion=263&"
                "allowWatchBookmarks=true&timeoutSeconds=2", "t")
        th = threading.Thread(target=watch)
        th.start()
        wait_for(lambda: stub.state()["watches"]["rolebindings"] > 0, 5)
        rb = puller_binding("watch-demo", sa_ns="project-a")
        stub.put(rb)
        rb["subjects"].append({"kind": "ServiceAccount", "name": "builder",
                               "namespace": "project-a"})
        stub.put(rb)
        stub.delete("RoleBinding", "project-b", "watch-demo")
        th.join(10)
        status, names, hdrs, body = split_response(result.get("raw", b""))
        rstatus, rnames = wire_headers(
            "rolebindings-watch-rv266-bookmarks-timeout5.http1.1-chunked-raw.headers.txt")
        report(status == rstatus and names == rnames,
               "stub: watch status line and headers as recorded (chunked, no "
               "flow-schema headers)", f"{status} {names}")
        chunks, ended = dechunk(body)
        events = [json.loads(c) for c in chunks]
        one_per_chunk = all(c.endswith(b"\n") and c.count(b"\n") == 1 for c in chunks)
        report(one_per_chunk and ended, "stub: one event per chunk, each ending "
               "in a newline, then the zero chunk (as the --raw recording)")
        recorded = [json.loads(l) for l in read_wire(
            "rolebindings-watch-rv263-bookmarks-timeout5.ndjson").splitlines()]
        types = [e["type"] for e in events if e["type"] != "BOOKMARK"]
        report(types == ["ADDED", "MODIFIED", "DELETED"],
               "stub: ADDED, MODIFIED, DELETED of the recorded kubectl actions",
               str(types))
        shape = [(e["type"], list(drop_managed(e["object"]).keys()),
                  list(drop_managed(e["object"])["metadata"].keys()))
                 for e in events if e["type"] != "BOOKMARK"]
        rshape = [(e["type"], list(drop_managed(e["object"]).keys()),
                   list(drop_managed(e["object"])["metadata"].keys()))
                  for e in recorded if e["type"] != "BOOKMARK"]
        report(shape == rshape, "stub: event objects have the recorded fields "
               "in the recorded order", f"{shape} vs {rshape}")
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        report(rvs[:3] == [264, 265, 266] and events[2]["object"]["subjects"] ==
               events[1]["object"]["subjects"],
               "stub: resourceVersions 264, 265, 266 as recorded; DELETED "
               "carries the last state", str(rvs))
        bms = [e for e in events if e["type"] == "BOOKMARK"]
        rbm = [e for e in recorded if e["type"] == "BOOKMARK"][0]
        report(bms and bms[-1]["object"] == rbm["object"],
               "stub: BOOKMARK is the recorded empty RoleBinding at rv 266",
               json.dumps(bms[-1] if bms else None))
        # Too old: the watch cache's ERROR event.
        status, names, hdrs, body = split_response(raw_get(
            stub.port, RB_PATH + "?watch=1&resourceVersion=1&"
            "allowWatchBookmarks=true&timeoutSeconds=5", "t"))
        chunks, ended = dechunk(body)
        rec = json.loads(read_wire("rolebindings-watch-rv1-too-old-410-watchcache.ndjson"))
        ev = json.loads(chunks[0]) if chunks else {}
        report(status.endswith("200 OK") and len(chunks) == 1 and ended and
               list(ev.get("object", {}).keys()) == list(rec["object"].keys()) and
               ev["object"]["code"] == 410 and ev["object"]["reason"] == "Expired" and
               re.fullmatch(r"too old resource version: 1 \(\d+\)", ev["object"]["message"]),
               "stub: a too-old watch gets HTTP 200, one ERROR 410 Expired "
               "event and the end, as recorded", repr(chunks))
        # An expired continue token: HTTP 410 with a Status and a new token.
        first = json.loads(body_of(raw_get(stub.port, RB_PATH + "?limit=2", "t")))
        stub.put(puller_binding("compaction-demo"))
        stub.call("POST", "/compact", {})
        status, names, hdrs, body = split_response(raw_get(
            stub.port, RB_PATH + "?limit=2&continue=" +
            urllib.parse.quote(first["metadata"]["continue"], safe=""), "t"))
        rstatus, rnames = wire_headers("rolebindings-list-continue-after-compaction-410.headers.txt")
        rec = json.loads(read_wire("rolebindings-list-continue-after-compaction-410.json"))
        got = json.loads(body)
        tok = json.loads(base64.urlsafe_b64decode(
            got["metadata"]["continue"] + "==="))
        report(status == rstatus and names == rnames and
               {k: v for k, v in got.items() if k != "metadata"} ==
               {k: v for k, v in rec.items() if k != "metadata"} and tok["rv"] == -1,
               "stub: an expired continue token gets the recorded HTTP 410 "
               "Status with an inconsistent-continue token (rv -1)",
               f"{status} {body[:200]!r}")
    finally:
        stub.stop()


# ---------------------------------------------------------------------------
# The webhook following the stub.

def test_main(tmp, certs):
    token_file = os.path.join(tmp, "token")
    write_atomic(token_file, "token-one\n")
    stub = Stub(tmp, certs, ["--token", "token-one", "--down", "--page-cap", "4"],
                name="stub-main")
    kc = kubeconfig(os.path.join(tmp, "main.kubeconfig"),
                    f"https://127.0.0.1:{stub.port}",
                    {"certificate-authority": f"{certs}/ca.crt"},
                    {"tokenFile": token_file})
    # The status line every second: what it says can be checked.
    wh = Webhook(tmp, certs, ["--kubeconfig", kc, "--kube-status-interval",
                              "1"], "webhook-main")
    try:
        # Down at start: not ready; up: ready.
        time.sleep(1.5)
        codes = {wh.readyz() for _ in range(3)}
        report(codes == {503}, "API down at start: /readyz 503", str(codes))
        report(not wh.logged(r"^/readyz"),
               "API down at start: the expected 503s of /readyz are not "
               "logged at info or above (debug)",
               json.dumps(wh.logged(r"^/readyz")[:2]))
        report(bool(wh.logged(r"rolebindings: list: .*not ready until listed")),
               "API down at start: the log says why and that it is not ready")
        stub.call("POST", "/up", {})
        t0 = time.monotonic()
        ok = wait_for(wh.ready, 15)
        report(ok, f"API up: /readyz 200 after {time.monotonic() - t0:.1f} s")
        report(bool(wh.logged(r"listed rolebindings( after \d+ failed "
                              r"attempts)?: 11 objects in 3 pages")) and
               bool(wh.logged(r"listed clusterroles( after \d+ failed "
                              r"attempts)?: 60 objects in 15 pages")),
               "paginated lists: continue followed over every page (the stub "
               "returns at most 4 items a page)")
        report(bool(wh.logged(r"^kube: synced \(rolebindings 11, "
                              r"clusterrolebindings 42, roles 8, clusterroles "
                              r"60, serviceaccounts \d+\).*ready")),
               "log: synced with the counts of each kind")
        report(wh.allowed(ns="project-a") is True and wh.allowed() is False,
               "decisions from the listed bindings: project-a may pull from "
               "project-b, project-d may not")
        wait_for(lambda: all(stub.state()["watches"][k] > 0 for k in WATCHED),
                 10)

        # The status line says what is true: every watch open.
        n0 = len(wh.lines())
        wait_for(lambda: len([m for m in wh.lines()[n0:]
                              if m.get("msg", "").startswith("kube: status")])
                 >= 2, 5)
        status = [m["msg"] for m in wh.lines()[n0:]
                  if m.get("msg", "").startswith("kube: status")]
        report(len(status) >= 2 and
               all("synced, watching, state age 0 s" in m for m in status),
               f"status line with every watch open: 'watching' ({len(status)} "
               f"lines a second apart)", json.dumps(status[:3]))

        # Flip within one second.
        stub.put(puller_binding("flip"))
        t = flip_time(wh, True)
        report(t is not None and t <= 1.0,
               f"RoleBinding added: /validate allows within 1 s ({t})")
        stub.delete("RoleBinding", "project-b", "flip")
        t = flip_time(wh, False)
        report(t is not None and t <= 1.0,
               f"RoleBinding deleted: /validate denies within 1 s ({t})")

        # A string holding \u0000 (valid JSON; anyone who may write a
        # RoleBinding may put one in an annotation) neither breaks the watch
        # nor loses the event.
        nul = puller_binding("nul")
        nul["metadata"]["annotations"] = {"note": "a\x00b"}
        stub.put(nul)
        t = flip_time(wh, True)
        report(t is not None and t <= 1.0,
               f"RoleBinding with \\u0000 in an annotation: applied from the "
               f"watch within 1 s ({t})")
        stub.delete("RoleBinding", "project-b", "nul")
        t = flip_time(wh, False)
        report(t is not None and t <= 1.0,
               f"RoleBinding with \\u0000 deleted: denied within 1 s ({t})")

        # Requests flow while the index changes under them.
        results = []

        def hammer(stop):
            other = Webhook.__new__(Webhook)
            other.port, other.ctx, other.conn = wh.port, wh.ctx, None
            while not stop.is_set():
                t1 = time.monotonic()
                try:
                    results.append((other.allowed(ns="project-a"),
                                    time.monotonic() - t1))
                except Exception as e:  # noqa: BLE001 - counted as a failure
                    results.append((repr(e), 0))
            if other.conn is not None:
                other.conn.close()
        stop = threading.Event()
        threads = [threading.Thread(target=hammer, args=(stop,)) for _ in range(4)]
        for th in threads:
            th.start()
        for i in range(100):
            stub.put(puller_binding(f"churn-{i % 10}", sa_ns=f"project-x{i}"))
            if i % 3 == 0:
                stub.delete("RoleBinding", "project-b", f"churn-{(i + 5) % 10}")
        time.sleep(0.3)
        stop.set()
        for th in threads:
            th.join(10)
        bad = [r for r in results if r[0] is not True]
        worst = max((r[1] for r in results), default=0)
        report(len(results) > 50 and not bad,
               f"{len(results)} requests while bindings changed (100 puts, 34 "
               f"deletes): "
               f"none failed or wrong (slowest {worst * 1000:.0f} ms)",
               f"{len(bad)} bad: {bad[:3]}")
        for i in range(10):
            stub.delete("RoleBinding", "project-b", f"churn-{i}")

        # Cut mid-watch; a change made before the watch is back is not lost.
        wait_for(lambda: stub.state()["watches"]["rolebindings"] > 0, 5)
        last_rv = stub.state()["rv"]
        stub.clear()
        stub.call("POST", "/cut", {})
        rv = stub.put(puller_binding("after-cut"))
        t = flip_time(wh, True, 5)
        reqs = stub.requests()
        resumed = watch_requests(reqs)
        report(t is not None, f"cut mid-watch: the change made while "
               f"disconnected arrives ({t})")
        report(resumed and int(resumed[0]["query"]["resourceVersion"]) >= last_rv - 3
               and int(resumed[0]["query"]["resourceVersion"]) < rv
               and not list_requests(reqs),
               "cut mid-watch: resumed by a watch from the last "
               "resourceVersion, no relist",
               json.dumps([r["query"] for r in reqs if r["path"] == RB_PATH]))
        report(bool(wh.logged(r"rolebindings: watch lost")) and
               bool(wait_for(lambda: wh.logged(r"rolebindings: watching again"), 3)),
               "log: watch lost, then watching again")
        stub.delete("RoleBinding", "project-b", "after-cut")
        flip_time(wh, False)

        # 410 Gone: a new list, which also sees what no event said.
        wait_for(lambda: stub.state()["watches"]["rolebindings"] > 0, 5)
        stub.put(puller_binding("silent-before-410"), silent=True)
        time.sleep(0.3)
        report(wh.allowed() is False, "a change no event announced is not seen "
               "by the watch")
        stub.clear()
        stub.call("POST", "/compact", {"kick": True})
        t = flip_time(wh, True, 5)
        reqs = stub.requests()
        lists = list_requests(reqs)
        report(t is not None and lists and "continue" not in lists[0]["query"],
               f"410 Gone: a new list ({t}), which sees the change",
               json.dumps([r["query"] for r in reqs if r["path"] == RB_PATH]))
        report(bool(wh.logged(r"rolebindings: resourceVersion \d+ expired "
                              r"\(410 Gone.*listing again")),
               "log: expired (410 Gone), listing again")
        stub.delete("RoleBinding", "project-b", "silent-before-410")
        report(flip_time(wh, False, 3) is not None, "after the relist the watch "
               "goes on (a delete arrives)")

        # An expired continue token in the middle of a list: listed again.
        # Every kind watching first: a list still running from the step
        # before would take the expiry before the log is cleared.
        wait_for(lambda: all(stub.state()["watches"][k] > 0
                             for k in WATCHED), 10)
        stub.put(puller_binding("silent-before-continue"), silent=True)
        stub.clear()
        stub.call("POST", "/expire-continue", {"count": 1})
        stub.call("POST", "/compact", {"kick": True})
        t = flip_time(wh, True, 5)
        lists = [r["query"] for r in stub.requests() if not r["watch"]]
        report(t is not None and
               bool(wh.logged(r"continue token expired \(410 Gone.*listing "
                              r"again in one request")) and
               any("limit" not in q and "continue" not in q for q in lists),
               "continue token expired (HTTP 410) mid-list: the list starts "
               "again in one request and completes", json.dumps(lists[:6]))
        stub.delete("RoleBinding", "project-b", "silent-before-continue")
        flip_time(wh, False)

        # Malformed events: logged and skipped, the watch goes on.
        wait_for(lambda: stub.state()["watches"]["rolebindings"] > 0, 5)
        stub.clear()
        skipped0 = len(wh.logged(r"skipped a malformed"))
        stub.call("POST", "/inject", {"resource": "rolebindings",
                                      "line": '{"type":"ADDED","object":{'})
        bad = puller_binding("malformed")
        bad["roleRef"] = "system:image-puller"
        bad["metadata"]["resourceVersion"] = "1"
        stub.call("POST", "/inject", {"resource": "rolebindings",
                                      "line": json.dumps({"type": "ADDED", "object": bad})})
        stub.put(puller_binding("after-malformed"))
        t = flip_time(wh, True, 3)
        msgs = wh.logged(r"skipped a malformed")[skipped0:]
        report(t is not None and len(msgs) == 2,
               "malformed events (not JSON; a RoleBinding with a bad roleRef) "
               "are logged and skipped, the next event applies",
               json.dumps([m["msg"] for m in msgs]))
        report(not watch_requests(stub.requests()),
               "malformed events: the watch was not dropped for them")
        stub.delete("RoleBinding", "project-b", "after-malformed")
        flip_time(wh, False)

        # Token rotation: the next request carries the new token.
        write_atomic(token_file, "token-two\n")
        stub.call("POST", "/tokens", {"tokens": ["token-two"]})
        stub.clear()
        stub.call("POST", "/cut", {})
        wait_for(lambda: len(watch_requests(stub.requests())) > 0, 5)
        reqs = stub.requests()
        toks = {r["token"] for r in reqs}
        report(toks == {"token-two"} and all(r["user"] for r in reqs),
               "rotated token file: the next requests carry the new token",
               str(toks))
        stub.put(puller_binding("after-rotation"))
        report(flip_time(wh, True, 5) is not None,
               "rotated token file: the watch goes on")
        stub.delete("RoleBinding", "project-b", "after-rotation")
        flip_time(wh, False)

        # The API lost while running: ready, same decisions, catching up.
        down_at = time.monotonic()
        n_down = len(wh.lines())
        stub.call("POST", "/down", {})
        time.sleep(1.0)
        report(wh.readyz() == 200 and wh.allowed(ns="project-a") is True and
               wh.allowed() is False,
               "API lost: still ready, deciding on the last known state")
        stub.put(puller_binding("while-down"))
        wait_for(lambda: wh.logged(r"deciding on the last known state \(\d+ s old\)"), 5)
        report(bool(wh.logged(r"deciding on the last known state \(\d+ s old\)")),
               "API lost: the log says it decides on the last known state and "
               "how old it is")
        # Down long enough that a backoff would have grown past 4 s.
        time.sleep(max(0.0, 7.0 - (time.monotonic() - down_at)))
        status = [m["msg"] for m in wh.lines()[n_down:]
                  if m.get("msg", "").startswith("kube: status")]
        report(status and all("not watching every kind" in m for m in status),
               "status line while the API is lost: 'not watching every kind'",
               json.dumps(status[:2]))
        # Back as a restarted kube-apiserver is: its new watch cache starts
        # at the current resourceVersion, so the watches get 410 and list.
        n_up = len(wh.lines())
        stub.call("POST", "/up", {"restart": True})
        t = flip_time(wh, True, 20)
        report(t is not None and t <= 2.0,
               f"API back after 7 s away: the change made meanwhile arrives "
               f"within 2 s ({'none' if t is None else f'{t:.2f} s'}; refused "
               f"connections are retried every second, not backed off)")
        report(bool(wait_for(lambda: wh.logged(
            r"rolebindings: resourceVersion \d+ expired \(410 Gone"), 5)),
            "API back after a restart: the old resourceVersion is 410, listed again")
        order = [m["msg"] for m in wh.lines()[n_up:]
                 if re.match(r"kube: (listed )?rolebindings", m.get("msg", ""))]
        expired = [i for i, m in enumerate(order) if "expired (410" in m]
        again = [i for i, m in enumerate(order) if "watching again" in m]
        report(expired and not [i for i in again if i < expired[0]],
               "log order after the restart: no 'watching again ... the index "
               "is current' before the 410 that relists", json.dumps(order[:4]))

        # SIGHUP reloads the config and keeps the live index.
        wh.signal(signal.SIGHUP)
        wait_for(lambda: wh.logged(r"reloaded config"), 5)
        report(bool(wh.logged(r"reloaded config")) and wh.allowed() is True,
               "SIGHUP: config reloaded, the live bindings kept")
        stub.delete("RoleBinding", "project-b", "while-down")
        report(flip_time(wh, False, 2) is not None,
               "SIGHUP: the watch still feeds the new state")
    finally:
        rc = wh.stop()
        stub.stop()
    report(rc == 0, f"SIGTERM: exits 0 with the watches open ({rc})")
    errors = [m for m in wh.lines() if m.get("level") == "?"]
    report(not errors, "every log line is JSON", json.dumps(errors[:3]))


def test_resync_openshift(tmp, certs):
    stub = Stub(tmp, certs, ["--token", "t", "--openshift"], name="stub-openshift")
    kc = kubeconfig(os.path.join(tmp, "os.kubeconfig"),
                    f"https://127.0.0.1:{stub.port}",
                    {"certificate-authority-data": b64file(f"{certs}/ca.crt")},
                    {"token": "t"})
    wh = Webhook(tmp, certs, ["--kubeconfig", kc, "--kube-resync", "2"],
                 "webhook-openshift")
    ext = "registry.apps.example.com/project-b/app:v1"
    try:
        report(wait_for(wh.ready, 10), "OpenShift: ready")
        report(bool(wh.logged(r"registry hostnames image-registry\.openshift-"
                              r"image-registry\.svc:5000, registry\.apps\.example\.com")),
               "OpenShift: images.config.openshift.io/cluster's hostnames logged")
        report(wh.allowed(image=ext) is False and
               wh.allowed(ns="project-a", image=ext) is True,
               "OpenShift: the external registry hostname is judged as the "
               "integrated registry")
        stub.put({"apiVersion": "config.openshift.io/v1", "kind": "Image",
                  "metadata": {"name": "cluster"}, "spec": {},
                  "status": {"internalRegistryHostname":
                             "image-registry.openshift-image-registry.svc:5000"}})
        report(wait_for(lambda: wh.allowed(image=ext) is True, 3),
               "OpenShift: a changed image config applies (hostname gone: not "
               "judged)")
        # Resync: a change that no event announced shows after the period.
        wait_for(lambda: stub.state()["watches"]["rolebindings"] > 0, 5)
        stub.put(puller_binding("silent"), silent=True)
        t = flip_time(wh, True, 6)
        report(t is not None and bool(wh.logged(r"periodic resync")),
               f"--kube-resync 2: the periodic relist repairs a missed "
               f"change ({t})")
    finally:
        rc = wh.stop()
        stub.stop()
    report(rc == 0, "OpenShift: SIGTERM exits 0", f"exit status {rc}")


def test_forbidden(tmp, certs):
    """A ClusterRole without the images rule: kube-apiserver authorizes
    before it routes, so plain Kubernetes answers 403, not 404."""
    stub = Stub(tmp, certs, ["--token", "t", "--forbid", "images"],
                name="stub-forbidden")
    kc = kubeconfig(os.path.join(tmp, "forbid.kubeconfig"),
                    f"https://127.0.0.1:{stub.port}",
                    {"certificate-authority-data": b64file(f"{certs}/ca.crt")},
                    {"token": "t"})
    wh = Webhook(tmp, certs, ["--kubeconfig", kc], "webhook-forbidden")
    try:
        seen = wait_for(lambda: wh.logged(r"images.*HTTP 403: images\.config\."
                                          r"openshift\.io \"cluster\" is forbidden"), 5)
        report(bool(seen) and wh.readyz() == 503,
               "images forbidden (403, not 404): not ready, the log says why",
               f"readyz {wh.readyz()}")
        stub.call("POST", "/forbid", {"resources": []})
        report(wait_for(wh.ready, 10), "granted: 404 then, ready")
    finally:
        wh.stop()
        stub.stop()


def make_client_cert(tmp, certs):
    d = os.path.join(tmp, "client")
    os.makedirs(d, exist_ok=True)
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=clientAuth\n")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-out", f"{d}/client.key")
    run("openssl", "req", "-new", "-key", f"{d}/client.key", "-subj",
        "/O=system:serviceaccounts/CN=image-policy-webhook", "-out", f"{d}/client.csr")
    run("openssl", "x509", "-req", "-in", f"{d}/client.csr", "-CA",
        f"{certs}/ca.crt", "-CAkey", f"{certs}/ca.key", "-set_serial", "0x1234",
        "-days", "2", "-sha256", "-extfile", ext, "-out", f"{d}/client.crt")
    return f"{d}/client.crt", f"{d}/client.key"


def test_kubeconfigs(tmp, certs):
    crt, key = make_client_cert(tmp, certs)
    other = os.path.join(tmp, "other-ca")
    subprocess.run([os.path.join(ROOT, "hack", "dev-certs.sh"), other],
                   check=True, capture_output=True)
    tok_file = os.path.join(tmp, "kc-token")
    write_atomic(tok_file, "  kc-token-file\n")
    stub = Stub(tmp, certs, ["--token", "kc-token", "--token", "kc-token-file",
                             "--client-ca", f"{certs}/ca.crt"], name="stub-kc")
    server = f"https://127.0.0.1:{stub.port}"
    ca_file = {"certificate-authority": f"{certs}/ca.crt"}
    ca_data = {"certificate-authority-data": b64file(f"{certs}/ca.crt")}
    variants = [
        ("token, CA file", ca_file, {"token": "kc-token"}, "token:kc-token"),
        ("tokenFile, insecure-skip-tls-verify",
         {"insecure-skip-tls-verify": True}, {"tokenFile": tok_file},
         "token:kc-token-file"),
        ("client certificate and key files, CA data", ca_data,
         {"client-certificate": crt, "client-key": key},
         "cert:image-policy-webhook"),
        ("client certificate and key data, CA data", ca_data,
         {"client-certificate-data": b64file(crt),
          "client-key-data": b64file(key)}, "cert:image-policy-webhook"),
    ]
    try:
        for i, (name, cluster, user, who) in enumerate(variants):
            stub.clear()
            kc = kubeconfig(os.path.join(tmp, f"kc{i}.yaml"), server, cluster, user)
            wh = Webhook(tmp, certs, ["--kubeconfig", kc], f"webhook-kc{i}")
            try:
                ok = wait_for(wh.ready, 10)
                users = {r["user"] for r in stub.requests()}
                report(ok and users == {who},
                       f"kubeconfig {name}: connects and is ready", str(users))
            finally:
                rc = wh.stop()
            report(rc == 0, f"kubeconfig {name}: SIGTERM exits 0 ({rc})")
        bad = [
            ("a CA that did not sign the server", {"certificate-authority":
                                                   f"{other}/ca.crt"},
             {"token": "kc-token"}, r"certificate|SSL"),
            ("a wrong token", ca_file, {"token": "nope"}, r"HTTP 401"),
        ]
        for i, (name, cluster, user, pattern) in enumerate(bad):
            kc = kubeconfig(os.path.join(tmp, f"bad{i}.yaml"), server, cluster, user)
            wh = Webhook(tmp, certs, ["--kubeconfig", kc], f"webhook-bad{i}")
            try:
                logged = wait_for(lambda: wh.logged(pattern), 5)
                report(bool(logged) and wh.readyz() == 503,
                       f"kubeconfig with {name}: not ready, the log says why",
                       wh.text()[-400:])
            finally:
                wh.stop()
        # Bad files are refused at start: exit 2 and one line.
        kc = kubeconfig(os.path.join(tmp, "exec.yaml"), server, ca_file,
                        {"exec": {"command": "x"}})
        r = subprocess.run([BIN, "serve", "--tls-cert", f"{certs}/tls.crt",
                            "--tls-key", f"{certs}/tls.key", "--kubeconfig", kc],
                           capture_output=True, text=True, timeout=10)
        report(r.returncode == 2 and "exec is not supported" in r.stderr and
               r.stderr.count("\n") == 1,
               "kubeconfig with an exec plugin: exit 2, one line", r.stderr)
        r = subprocess.run([BIN, "serve", "--tls-cert", f"{certs}/tls.crt",
                            "--tls-key", f"{certs}/tls.key", "--kube",
                            "--bindings", RBAC], capture_output=True, text=True,
                           timeout=10)
        report(r.returncode == 2, "--kube with --bindings: exit 2", r.stderr)
    finally:
        stub.stop()


def test_in_cluster(tmp, certs):
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-m", "true"], capture_output=True).returncode != 0:
        print("note: in-cluster test skipped (no private mount namespace: "
              "unshare -m needs CAP_SYS_ADMIN); tokenFile covers rotation")
        return
    sa = os.path.join(tmp, "sa")
    os.makedirs(sa)

    def kubelet_write(token, gen):
        # The kubelet's atomic writer: a timestamped directory, ..data
        # pointing at it, and token -> ..data/token.
        d = os.path.join(sa, f"..{gen}")
        os.makedirs(d)
        shutil.copy(f"{certs}/ca.crt", os.path.join(d, "ca.crt"))
        with open(os.path.join(d, "token"), "w") as f:
            f.write(token)
        os.symlink(f"..{gen}", os.path.join(sa, "..data_tmp"))
        os.replace(os.path.join(sa, "..data_tmp"), os.path.join(sa, "..data"))
        for n in ("token", "ca.crt"):
            if not os.path.islink(os.path.join(sa, n)):
                os.symlink(f"..data/{n}", os.path.join(sa, n))

    kubelet_write("sa-token-1", "2026_11_28_1")
    stub = Stub(tmp, certs, ["--token", "sa-token-1"], name="stub-incluster")
    target = "/var/run/secrets/kubernetes.io/serviceaccount"

    def wrap(cmd):
        script = ("mount -t tmpfs tmpfs /run && mkdir -p " + target +
                  " && mount --bind \"$0\" " + target + " && exec \"$@\"")
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                script, sa] + cmd
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1",
           "KUBERNETES_SERVICE_PORT": str(stub.port)}
    wh = Webhook(tmp, certs, ["--kube"], "webhook-incluster", env=env, wrap=wrap)
    try:
        report(wait_for(wh.ready, 10) and bool(wh.logged(r"\(in-cluster\), bearer "
                                                         r"token file /var/run")),
               "in-cluster (--kube): service account token and CA, ready")
        wait_for(lambda: stub.state()["watches"]["rolebindings"] > 0, 5)
        kubelet_write("sa-token-2", "2026_11_28_2")
        stub.call("POST", "/tokens", {"tokens": ["sa-token-2"]})
        stub.clear()
        stub.call("POST", "/cut", {})
        wait_for(lambda: len(watch_requests(stub.requests())) > 0, 5)
        toks = {r["token"] for r in stub.requests()}
        report(toks == {"sa-token-2"}, "in-cluster: the token rotated by the "
               "kubelet (..data swap) is used on the next request", str(toks))
        stub.put(puller_binding("in-cluster"))
        report(flip_time(wh, True, 5) is not None, "in-cluster: events apply "
               "after the rotation")
    finally:
        wh.stop()
        stub.stop()


# ---------------------------------------------------------------------------
# audit --kube, can-pull --kube and serve --audit-interval against the stub.

# Every collection audit lists (CronJob where 1.21 and later serve it).
AUDITED = ["/api/v1/pods", "/api/v1/podtemplates",
           "/api/v1/replicationcontrollers", "/apis/apps/v1/replicasets",
           "/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets",
           "/apis/apps/v1/daemonsets", "/apis/batch/v1/jobs",
           "/apis/batch/v1/cronjobs",
           "/apis/apps.openshift.io/v1/deploymentconfigs",
           "/apis/build.openshift.io/v1/buildconfigs",
           "/apis/build.openshift.io/v1/builds",
           "/apis/image.openshift.io/v1/imagestreams"]
FIX_D_B = ("oc policy add-role-to-user system:image-puller "
           "system:serviceaccount:project-d:default --namespace=project-b")


def cli(*args, timeout=60):
    """BIN with args, no proxy in the environment; CompletedProcess."""
    e = {k: v for k, v in os.environ.items()
         if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    return subprocess.run([BIN] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=e)


def table_rows(text):
    """The rows of audit's table (cells split at two or more spaces) and
    its summary line."""
    lines = text.splitlines()
    rows = [tuple(re.split(r"\s{2,}", l.strip())) for l in lines[1:-1]]
    return rows, lines[-1] if lines else ""


def namespaced(path, ns):
    prefix, _, res = path.rpartition("/")
    return f"{prefix}/namespaces/{ns}/{res}"


def workload_lists(reqs):
    """The paths of the workload lists among reqs (RBAC lists left out)."""
    return [r["path"] for r in reqs if not r["watch"] and
            re.search(r"/(pods|podtemplates|replicationcontrollers|"
                      r"replicasets|deployments|statefulsets|daemonsets|jobs|"
                      r"cronjobs|deploymentconfigs|buildconfigs|builds|"
                      r"imagestreams)$", r["path"])]


def stub_kubeconfig(tmp, certs, stub, name):
    return kubeconfig(os.path.join(tmp, f"{name}.kubeconfig"),
                      f"https://127.0.0.1:{stub.port}",
                      {"certificate-authority": f"{certs}/ca.crt"},
                      {"token": "t"})


def test_audit(tmp, certs):
    stub = Stub(tmp, certs, ["--token", "t", "--data", WORKLOADS,
                             "--page-cap", "1"], name="stub-audit")
    kc = stub_kubeconfig(tmp, certs, stub, "audit")
    try:
        # The whole cluster, as a table.
        t0 = time.monotonic()
        r = cli("audit", "--kubeconfig", kc)
        took = time.monotonic() - t0
        rows, summary = table_rows(r.stdout)
        want = [("project-d", "CronJob/nightly", 'container "report"', "deny",
                 "cross-project", FIX_D_B.replace("project-b", "project-c")),
                ("project-d", "Deployment/web (+2 pods)", 'container "app"',
                 "deny", "cross-project", FIX_D_B)]
        report(r.returncode == 1 and rows == want and
               summary == "8 objects, 5 denied, 0 warned",
               f"audit --kube, table: the 2 findings of the 8 workloads, exit 1 "
               f"({took:.2f} s)", f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        notes = [l for l in r.stderr.splitlines() if "not served (404)" in l]
        report(len(notes) == 4 and all(" note: " in l for l in notes) and
               "could not be read" not in r.stderr,
               "audit --kube on plain Kubernetes: the 4 OpenShift kinds noted "
               "as not served (404), not failures", r.stderr)
        reqs = stub.requests()
        pod_lists = [r_["query"] for r_ in reqs
                     if r_["path"] == "/api/v1/pods" and not r_["watch"]]
        report(len(pod_lists) == 3 and "continue" not in pod_lists[0] and
               all("continue" in q and q.get("limit") for q in pod_lists[1:]),
               "audit --kube: lists in pages (the stub gives 1 item a page: "
               "3 pods in 3 requests, continue followed)", json.dumps(pod_lists))
        report(sorted(set(workload_lists(reqs))) == sorted(AUDITED),
               "audit --kube: every audited collection listed cluster-wide",
               json.dumps(sorted(set(workload_lists(reqs)))))

        # JSON: owner folding and the fields of a finding.
        r = cli("audit", "--kubeconfig", kc, "--output", "json")
        try:
            found = json.loads(r.stdout)
        except ValueError:
            found = None
        web = [f for f in found or [] if f.get("name", "").startswith("web")]
        report(r.returncode == 1 and len(web) == 1 and
               web[0]["kind"] == "Deployment" and web[0]["pods"] == 2 and
               web[0]["uid"] == "6f1d2a3b-0000-4000-8000-0000000000d1",
               "audit --kube, json: a Deployment, its ReplicaSet and 2 pods "
               "denied alike make one finding, at the Deployment, pods 2",
               r.stdout[:600])
        report(web and web[0] == {
            "namespace": "project-d", "apiVersion": "apps/v1",
            "kind": "Deployment", "name": "web",
            "uid": "6f1d2a3b-0000-4000-8000-0000000000d1",
            "field": 'container "app"', "result": "deny",
            "reason": "cross-project", "fix": FIX_D_B, "pods": 2,
            "message": 'container "app" uses image "image-registry.openshift-'
                       'image-registry.svc:5000/project-b/app:v1" from project '
                       '"project-b", but service account "default" of project '
                       '"project-d" may not pull from it (no RBAC grant of get '
                       'on imagestreams/layers there); fix: ' + FIX_D_B},
               "audit --kube, json: the finding's fields (kind as the API "
               "lists it: list items carry none)", json.dumps(web))

        # --namespace: per-namespace paths only.
        stub.clear()
        r = cli("audit", "--kubeconfig", kc, "--namespace", "project-e",
                "--namespace", "project-a", "--output", "json")
        paths = workload_lists(stub.requests())
        report(r.returncode == 0 and r.stdout.strip() == "[]" and
               "2 objects, 0 denied, 0 warned" in r.stderr,
               "audit --namespace project-e --namespace project-a: their 2 "
               "workloads, nothing denied, exit 0", r.stdout + r.stderr)
        report(sorted(set(paths)) == sorted(
            namespaced(p, ns) for p in AUDITED
            for ns in ("project-e", "project-a")),
            "audit --namespace: only /…/namespaces/NS/<resource> lists (the "
            "stub's requests)", json.dumps(sorted(set(paths))))
        r = cli("audit", "--kubeconfig", kc, "--namespace", "project-d")
        rows, summary = table_rows(r.stdout)
        report(r.returncode == 1 and rows == want and
               summary == "6 objects, 5 denied, 0 warned",
               "audit --namespace project-d: its findings, exit 1",
               r.stdout + r.stderr)

        # PolicyReports: one a namespace with audited objects.
        r = cli("audit", "--kubeconfig", kc, "--output", "policyreport")
        try:
            lst = json.loads(r.stdout)
        except ValueError:
            lst = {}
        reports = {p["metadata"]["namespace"]: p for p in lst.get("items", [])}
        d = reports.get("project-d", {})
        report(r.returncode == 1 and lst.get("kind") == "List" and
               sorted(reports) == ["project-a", "project-d", "project-e"] and
               d.get("summary") == {"pass": 0, "fail": 2, "warn": 0,
                                    "error": 0, "skip": 0} and
               [x["result"] for x in d.get("results", [])] == ["fail", "fail"] and
               reports["project-e"].get("results") == [],
               "audit --output policyreport: a PolicyReport per namespace "
               "audited, project-d's with 2 fail results, the others empty",
               r.stdout[:600])

        # A kind the API refuses: named, exit 2, the rest still reported.
        stub.call("POST", "/forbid", {"resources": ["deployments"]})
        r = cli("audit", "--kubeconfig", kc)
        rows, summary = table_rows(r.stdout)
        report(r.returncode == 2 and
               "list /apis/apps/v1/deployments: HTTP 403: deployments.apps is "
               "forbidden" in r.stderr and "could not be read" in r.stderr and
               [x[1] for x in rows] == ["CronJob/nightly",
                                        "ReplicaSet/web-7c9d6b5f4 (+2 pods)"],
               "audit with deployments forbidden (403): the kind named, exit 2, "
               "the rest reported (the pods fold into their ReplicaSet)",
               f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        r = cli("audit", "--kubeconfig", kc, "--namespace", "project-e")
        report(r.returncode == 2 and
               'list /apis/apps/v1/namespaces/project-e/deployments: HTTP 403: '
               'deployments.apps is forbidden: User "t" cannot list resource '
               '"deployments" in API group "apps" in the namespace '
               '"project-e"' in r.stderr,
               "audit --namespace with deployments forbidden: the namespace's "
               "path and the API's message, exit 2", r.stderr)
        stub.call("POST", "/forbid", {"resources": ["rolebindings"]})
        r = cli("audit", "--kubeconfig", kc, timeout=90)
        report(r.returncode == 2 and r.stdout == "" and
               "rolebindings" in r.stderr and "403" in r.stderr,
               "audit with rolebindings forbidden: no audit on half the RBAC, "
               "exit 2", f"exit {r.returncode}\n{r.stdout}{r.stderr}")
    finally:
        stub.stop()

    # OpenShift, and CronJob where 1.20 serves it (batch/v1beta1).
    stub = Stub(tmp, certs, ["--token", "t", "--data", WORKLOADS, "--openshift",
                             "--cronjob-api", "batch/v1beta1"],
                name="stub-audit-openshift")
    kc = stub_kubeconfig(tmp, certs, stub, "audit-openshift")
    try:
        r = cli("audit", "--kubeconfig", kc, "--output", "json")
        try:
            found = json.loads(r.stdout)
        except ValueError:
            found = []
        got = sorted((f["kind"], f["name"], f["reason"]) for f in found)
        report(r.returncode == 1 and got == [
            ("Build", "ruby-app-1", "cross-project"),
            ("BuildConfig", "ruby-app", "cross-project"),
            ("CronJob", "nightly", "cross-project"),
            ("Deployment", "web", "cross-project"),
            ("DeploymentConfig", "legacy", "cross-project"),
            ("ImageStream", "mirror", "cross-stream-alias")] and
            "not served" not in r.stderr,
            "audit --kube on OpenShift: DeploymentConfig, BuildConfig, Build "
            "and ImageStream listed and audited", f"{got}\n{r.stderr}")
        paths = workload_lists(stub.requests())
        report("/apis/batch/v1/cronjobs" in paths and
               "/apis/batch/v1beta1/cronjobs" in paths and
               any(f["kind"] == "CronJob" and f["apiVersion"] == "batch/v1beta1"
                   for f in found),
               "audit --kube: CronJob from batch/v1beta1 when batch/v1 is 404 "
               "(1.20)", json.dumps(paths))
    finally:
        stub.stop()


def test_can_pull(tmp, certs):
    stub = Stub(tmp, certs, ["--token", "t", "--data", WORKLOADS],
                name="stub-can-pull")
    kc = stub_kubeconfig(tmp, certs, stub, "can-pull")
    try:
        t0 = time.monotonic()
        r = cli("can-pull", "--kubeconfig", kc, "project-a/default", "project-b")
        took = time.monotonic() - t0
        report(r.returncode == 0 and r.stdout ==
               "yes: RoleBinding project-b/image-puller-project-a-default "
               "(ClusterRole system:image-puller, OpenShift's bootstrap "
               "definition) grants get imagestreams/layers to ServiceAccount "
               "project-a/default\n",
               f"can-pull --kube yes: the RoleBinding named, exit 0 ({took:.2f} s)",
               f"exit {r.returncode}\n{r.stdout}{r.stderr}")
        r = cli("can-pull", "--kubeconfig", kc, "-v", "project-a/default",
                "project-b")
        lines = r.stdout.splitlines()
        report(r.returncode == 0 and len(lines) == 2 and
               lines[0].startswith("yes: RoleBinding project-b/image-puller-"
                                   "project-a-default ") and
               lines[1] == "also: RoleBinding project-b/image-puller-project-a-"
                           "all-sas (ClusterRole system:image-puller, "
                           "OpenShift's bootstrap definition) grants get "
                           "imagestreams/layers to Group "
                           "system:serviceaccounts:project-a",
               "can-pull --kube -v: every grant (the ServiceAccount's and its "
               "group's)", r.stdout + r.stderr)
        r = cli("can-pull", "--kubeconfig", kc, "project-d/default",
                "project-b/app")
        report(r.returncode == 1 and r.stdout.startswith("no: nothing grants ")
               and r.stdout.rstrip("\n").endswith("; fix: " + FIX_D_B) and
               r.stdout.count("\n") == 1,
               "can-pull --kube no: one line with the fix, exit 1", r.stdout)
        r1 = cli("can-pull", "--kubeconfig", kc, "project-c/default",
                 "project-b/app")
        r2 = cli("can-pull", "--kubeconfig", kc, "project-c/default",
                 "project-b/other")
        report(r1.returncode == 0 and "RoleBinding project-b/app-layers-reader-"
               "project-c (Role app-layers-reader)" in r1.stdout and
               r2.returncode == 1,
               "can-pull --kube: a Role with resourceNames [app] grants stream "
               "app, not stream other", r1.stdout + r2.stdout)
        # Each run reads the API anew.
        r1 = cli("can-pull", "--kubeconfig", kc, "project-e/default", "project-b")
        stub.delete("RoleBinding", "project-b", "pull-e")
        r2 = cli("can-pull", "--kubeconfig", kc, "project-e/default", "project-b")
        report(r1.returncode == 0 and "RoleBinding project-b/pull-e " in r1.stdout
               and r2.returncode == 1,
               "can-pull --kube: yes through RoleBinding pull-e; no once it is "
               "deleted from the API", r1.stdout + r2.stdout)
        r = cli("can-pull", "--kubeconfig", kc, "project-a", "project-b")
        report(r.returncode == 2 and r.stdout == "" and
               r.stderr.count("\n") == 1,
               "can-pull with NAMESPACE but no /SERVICEACCOUNT: exit 2, one "
               "line", r.stderr)
        stub.call("POST", "/forbid", {"resources": ["clusterroles"]})
        r = cli("can-pull", "--kubeconfig", kc, "project-a/default", "project-b",
                timeout=90)
        report(r.returncode == 2 and r.stdout == "" and "403" in r.stderr,
               "can-pull with clusterroles forbidden: no answer on half the "
               "RBAC, exit 2", f"exit {r.returncode}\n{r.stdout}{r.stderr}")
    finally:
        stub.stop()


def metric(text, name, labels=""):
    """The value of one series of /metrics text, or None."""
    m = re.search(r"^image_policy_webhook_" + re.escape(name + labels) +
                  r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def test_audit_interval(tmp, certs):
    stub = Stub(tmp, certs, ["--token", "t", "--data", WORKLOADS,
                             "--page-cap", "1"], name="stub-audit-interval")
    # project-d's Deployment left out: the Deployment series starts absent.
    for kind, name in (("Deployment", "web"), ("ReplicaSet", "web-7c9d6b5f4"),
                       ("Pod", "web-7c9d6b5f4-k2x8p"),
                       ("Pod", "web-7c9d6b5f4-q9z4m")):
        stub.delete(kind, "project-d", name)
    # Two pods, so that listing them takes two pages.
    stub.put({"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "debug-2", "namespace": "project-d"},
              "spec": {"containers": [{"name": "app", "image":
                                       "registry.example.com/team/tool:v2"}]}})
    kc = stub_kubeconfig(tmp, certs, stub, "audit-interval")
    wh = Webhook(tmp, certs, ["--kubeconfig", kc, "--audit-interval", "1s"],
                 "webhook-audit-interval")
    dep = '{reason="cross-project",kind="Deployment"}'
    cron = '{reason="cross-project",kind="CronJob"}'

    def scrape():
        try:
            status, body = wh.request("GET", "/metrics")
        except OSError:
            return ""
        return body.decode() if status == 200 else ""

    def runs():
        return wh.logged(r"^audit: \d+ objects")
    try:
        t0 = time.monotonic()
        text = wait_for(lambda: (lambda t: t if metric(
            t, "audit_last_run_timestamp_seconds") else "")(scrape()), 10, 0.1)
        took = time.monotonic() - t0
        ts = metric(text, "audit_last_run_timestamp_seconds")
        dur = metric(text, "audit_duration_seconds")
        report(metric(text, "audit_findings", cron) == 1 and
               metric(text, "audit_findings", dep) is None and
               ts is not None and abs(ts - time.time()) < 60 and
               dur is not None and 0 < dur < 1 and
               "# TYPE image_policy_webhook_audit_findings gauge" in text,
               f"serve --audit-interval 1s: /metrics has the audit gauges after "
               f"the first run ({took:.2f} s from start): CronJob 1, no "
               f"Deployment series", "\n".join(
                   l for l in text.splitlines() if "audit" in l))
        wait_for(lambda: len(runs()) >= 2, 5, 0.1)
        first = [m["msg"] for m in runs()]
        report(len(first) >= 2 and re.fullmatch(
            r"audit: 5 objects, 1 denied, 0 warned: 1 findings \(1 new\) in "
            r"\d+ ms; next in 1 s", first[0]) is not None and
            re.fullmatch(r"audit: 5 objects, 1 denied, 0 warned: 1 findings "
                         r"\(0 new\) in \d+ ms; next in 1 s", first[1]) is not None,
            "serve --audit-interval: one info summary line a run (1 new, "
            "then 0 new)", json.dumps(first[:2]))
        report(len(wh.logged(r"^audit: deny project-d CronJob/nightly "
                             r"cross-project: ")) == 1,
               "serve --audit-interval: a finding's warn line once, not each run",
               json.dumps([m["msg"] for m in wh.logged(r"CronJob/nightly")][:3]))
        if shutil.which("promtool"):
            r = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
            out = (r.stdout + r.stderr).strip()
            report(r.returncode == 0 and not out,
                   "serve --audit-interval: promtool check metrics finds "
                   "nothing in /metrics with the audit gauges",
                   f"exit {r.returncode}: {out[:500]}")

        # A continue token expired in the middle of an audit's list: that
        # collection listed again in one request, nothing lost.
        n = len(runs())
        stub.clear()
        stub.call("POST", "/expire-continue", {"count": 1})
        wait_for(lambda: len(runs()) >= n + 2, 5, 0.1)
        pods = [r_["query"] for r_ in stub.requests()
                if r_["path"] == "/api/v1/pods" and not r_["watch"]]
        report(len(pods) >= 3 and "continue" in pods[1] and
               "limit" not in pods[2] and "continue" not in pods[2] and
               all(m["msg"].startswith("audit: 5 objects, 1 denied")
                   for m in runs()[n:n + 2]),
               "an audit's continue token expired (410): the pods listed "
               "again in one request, every object audited",
               json.dumps(pods[:4]) + json.dumps(runs()[n:n + 2]))

        # A RoleBinding deleted under a running Deployment.
        stub.delete("RoleBinding", "project-b", "pull-e")
        t0 = time.monotonic()
        ok = wait_for(lambda: metric(scrape(), "audit_findings", dep) == 1, 5, 0.05)
        t = time.monotonic() - t0
        report(ok and t < 3,
               f"RoleBinding deleted: the Deployment's finding in /metrics "
               f"within {t:.2f} s (interval 1 s)",
               "\n".join(l for l in scrape().splitlines() if "findings{" in l))
        warn = wh.logged(r"^audit: deny project-e Deployment/api cross-project: "
                         r"container \"app\": container \"app\" uses image "
                         r"\"image-registry\.openshift-image-registry\.svc:5000/"
                         r"project-b/app:v1\" ")
        report(len(warn) == 1 and warn[0].get("level") == "warn",
               "... and one warn line: audit: deny project-e Deployment/api "
               "cross-project: container \"app\": ...", json.dumps(warn))
        stub.put(puller_binding("pull-e", sa_ns="project-e"))
        t0 = time.monotonic()
        text = wait_for(lambda: (lambda t: t if metric(
            t, "audit_findings", dep) == 0 else "")(scrape()), 5, 0.05)
        t = time.monotonic() - t0
        report(bool(text) and t < 3 and metric(text, "audit_findings", cron) == 1,
               f"RoleBinding back: the Deployment series at 0 within {t:.2f} s "
               f"(kept, not gone), CronJob still 1",
               "\n".join(l for l in scrape().splitlines() if "findings{" in l))
        report(wh.allowed(ns="project-a") is True and wh.allowed() is False,
               "serve --audit-interval: /validate decides as before")

        # The API lost: a run that cannot list publishes nothing (neither
        # resolves the findings nor announces them again when it is back).
        stub.call("POST", "/down", {})
        failing = r"^audit: \d+ inputs could not be read \(see above\): the " \
                  r"findings and metrics of the last complete audit kept"
        wait_for(lambda: wh.logged(failing), 5, 0.1)
        ts1 = metric(scrape(), "audit_last_run_timestamp_seconds")
        n = len(wh.logged(failing))
        wait_for(lambda: len(wh.logged(failing)) >= n + 2, 5, 0.1)
        text = scrape()
        report(len(wh.logged(failing)) >= n + 2 and
               metric(text, "audit_last_run_timestamp_seconds") == ts1 and
               metric(text, "audit_findings", cron) == 1 and
               metric(text, "audit_findings", dep) == 0,
               "API lost: the audits that cannot list say so and publish "
               "nothing (CronJob still 1, last run time kept)",
               "\n".join(l for l in text.splitlines() if "audit" in l
                         and not l.startswith("#")))
        stub.call("POST", "/up", {})
        n = len(runs())
        wait_for(lambda: len(runs()) >= n + 1, 10, 0.1)
        report(len(runs()) >= n + 1 and "(0 new)" in runs()[-1]["msg"] and
               len(wh.logged(r"^audit: deny project-d CronJob/nightly ")) == 1,
               "API back: the next audit finds the same, announces nothing "
               "again", json.dumps([m["msg"] for m in runs()[n:]]))
    finally:
        rc = wh.stop()
        stub.stop()
    report(rc == 0, f"serve --audit-interval: SIGTERM exits 0 ({rc})")
    r = cli("serve", "--tls-cert", f"{certs}/tls.crt", "--tls-key",
            f"{certs}/tls.key", "--audit-interval", "5s", timeout=10)
    report(r.returncode == 2 and "--audit-interval needs --kube" in r.stderr,
           "--audit-interval without --kube: exit 2", r.stderr)


def main():
    global BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", help="run only the tests whose name contains this")
    args = ap.parse_args()
    BIN = os.environ.get("BIN") or ""
    if not BIN or not os.access(BIN, os.X_OK):
        print("kube_test.py: set BIN to the image-policy-webhook binary",
              file=sys.stderr)
        return 2
    BIN = os.path.abspath(BIN)
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        TimeoutError("kube_test.py: over its time limit")))
    signal.alarm(int(os.environ.get("KUBE_TEST_TIMEOUT", "300")))
    tmp = tempfile.mkdtemp(prefix="kube-test-")
    tests = [test_conformance, test_main, test_resync_openshift,
             test_forbidden, test_kubeconfigs, test_in_cluster, test_audit,
             test_can_pull, test_audit_interval]
    try:
        certs = os.path.join(tmp, "certs")
        subprocess.run([os.path.join(ROOT, "hack", "dev-certs.sh"), certs],
                       check=True, capture_output=True)
        for t in tests:
            if args.k and args.k not in t.__name__:
                continue
            print(f"== {t.__name__}", flush=True)
            try:
                t(tmp, certs)
            except Exception as e:  # a crash of one test is a failure
                report(False, t.__name__, repr(e))
    finally:
        signal.alarm(0)
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if os.environ.get("KEEP"):
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if opstest.failed:
        print("(KEEP=1 keeps the logs)")
    print(f"{opstest.passed} passed, {opstest.failed} failed")
    return 1 if opstest.failed else 0


if __name__ == "__main__":
    sys.exit(main())
