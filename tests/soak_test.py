#!/usr/bin/env python3
"""soak_test.py - sustained load while everything that can change, changes.

    BIN=bin/image-policy-webhook [SOAK_SECONDS=600] [WRAP="valgrind ..."] \\
        tests/soak_test.py

Starts tests/kube_stub.py (--openshift, pages of 4 items) and "$BIN serve
--kube --kubeconfig K --config C --record-dir D --record-max-files 200" on
loopback, the serving pair laid out as a mounted Kubernetes Secret
(tls.crt and tls.key through a ..data symlink). For SOAK_SECONDS (default 600):

- four client threads post the fixture requests (tests/fixtures, both
  endpoints, each with a uid of its own) over keep-alive TLS connections,
  SOAK_RATE requests a second together (default 400; 0: as fast as they
  go), and a fifth opens a new connection for each request, ten a second,
  noting the certificate served;
- every 10 s the ..data symlink is swapped to a new timestamped directory
  (three good pairs in turn; every fourth swap a certificate with another
  pair's key, which the server must refuse and keep the old one);
- every 3 s the config is rewritten (crossProject.enforcement deny, then
  warn; every fifth one broken) and the server gets SIGHUP;
- every 2 s the stub API server changes: a RoleBinding put or deleted, the
  cluster's registries changed, every watch cut, history compacted with
  open watches kicked (410), the next continue token expired, or the
  server down for 3 s and up again (every other time as a restarted one);
- /metrics is read every 10 s; the server's VmRSS (with its anonymous and
  file-backed parts) and open file descriptors (/proc/PID) every 5 s.

SOAK_CHANGES (default "rotate,hup,stub") names the changes made, to tell
which one a finding follows (the checks of the others then fail).

A request fails when it does not get a 200 with an AdmissionReview of the
request's apiVersion and uid (a /mutate answer must also equal the first
answer to that case); a connection refused or reset fails its request. A
keep-alive connection the server closed while it was idle is opened again,
counted, not failed. RSS is compared as the median of its samples over
the minute after the first one and over the last minute (a third of the
run each if it is shorter than three minutes), so that one sample taken
in a passing peak weighs nothing. Descriptors, which follow the stub's
outages (one a watch), are compared at two quiet points, after the first
minute and at the end: changes paused, the stub up, every watch open
again, load still running. Then a RoleBinding flips a decision within
2 s (the watch still works), recordings are capped with complete files only, each good certificate was
served within 10 s of its swap, each reload counted, SIGTERM exits 0 and
stderr holds only JSON lines (an ASan, UBSan, LSan or valgrind report
fails). RSS growth is asserted (< 2 %) only for a plain binary: ASan's
quarantine and valgrind's shadow memory grow by design. Bounded by an
alarm; every process is stopped by its PID. One line per check, the
figures, then "N passed, N failed"; exit 1 on any failure.
"""
import base64
import copy
import hashlib
import http.client
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

import opstest
from opstest import check, wait_for

P = "image_policy_webhook_"
# What serve --kube watches (webhook/kube.c's kube_resources), by the
# stub's names: the stub serves more kinds (the audit's workloads).
WATCHED = ("rolebindings", "clusterrolebindings", "roles", "clusterroles",
           "serviceaccounts", "images")
SECONDS = int(os.environ.get("SOAK_SECONDS") or 600)
WRAP = shlex.split(os.environ.get("WRAP") or "")
KEEPALIVE_CLIENTS = 4
# Requests a second over the keep-alive connections together (0: as fast as
# they go): moderate, on a machine shared with others, and within what the
# recording's disk writes keep up with.
RATE = float(os.environ.get("SOAK_RATE") or 400)
CHURN_INTERVAL = 0.1
ROTATE_EVERY, SIGHUP_EVERY, STUB_EVERY = 10.0, 3.0, 2.0
METRICS_EVERY, SAMPLE_EVERY = 10.0, 5.0
MAX_FILES = 200
CHANGES = (os.environ.get("SOAK_CHANGES") or "rotate,hup,stub").split(",")
UID = b"@@SOAK-UID@@"
RBAC = os.path.join(opstest.ROOT, "tests", "fixtures", "rbac", "rbac-list.json")
SAS = os.path.join(opstest.ROOT, "tests", "kube", "serviceaccounts.json")
POD = os.path.join(opstest.FIXTURES, "apiserver-v1.20",
                   "validate-pod-create-cross-project-tag.json")
CASE_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-\d{6,}-(mutate|validate)-"
                       r"[A-Za-z0-9._-]+\.json$")
# What a slow server (valgrind) needs more time for.
SLOW = 4 if WRAP else 1

procs = []


def stop_all():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def on_alarm(signo, frame):
    check(False, f"the whole run within {SECONDS + 240 * SLOW} s", "alarm")
    stop_all()
    opstest.finish()


# ---------------------------------------------------------------------------
# The load.

class Case:
    """A fixture request with a uid placeholder, and what its answer must be."""

    def __init__(self, path, case):
        review = copy.deepcopy(case["request"])
        review["request"]["uid"] = UID.decode()
        self.name = os.path.relpath(path, opstest.FIXTURES)
        self.endpoint = case["endpoint"]
        self.body = json.dumps(review).encode()
        self.api = review.get("apiVersion", "admission.k8s.io/v1")
        self.first = None  # the first /mutate response, uid removed
        self.lock = threading.Lock()

    def check(self, status, data, uid):
        """None when the answer is right, else why not."""
        if status != 200:
            return f"HTTP {status}: {data[:200]!r}"
        try:
            ans = json.loads(data)
        except ValueError as e:
            return f"not JSON ({e}): {data[:200]!r}"
        r = ans.get("response") if isinstance(ans, dict) else None
        if (ans.get("kind") != "AdmissionReview" or ans.get("apiVersion") != self.api
                or not isinstance(r, dict) or r.get("uid") != uid
                or not isinstance(r.get("allowed"), bool)):
            return f"not the AdmissionReview answer to {uid}: {data[:300]!r}"
        if self.endpoint == "mutate":
            r = dict(r)
            del r["uid"]
            if isinstance(r.get("patch"), str):
                r["patch"] = json.loads(base64.b64decode(r["patch"]))
            with self.lock:
                if self.first is None:
                    self.first = r
            if r != self.first:
                return f"/mutate answer changed: {r!r} != {self.first!r}"
        return None


class Client(threading.Thread):
    """Posts the cases in turn until stop: over one keep-alive connection,
    or (churn) a new connection for each request, every CHURN_INTERVAL s."""

    def __init__(self, server, cases, n, stop, churn=False):
        super().__init__(daemon=True)
        self.server, self.cases, self.n, self.stop = server, cases, n, stop
        self.churn = churn
        self.count = self.fails = self.reopened = 0
        self.by_endpoint = {"mutate": 0, "validate": 0}
        self.failures = []  # (seconds into the run, why), the first 20
        self.served = []  # churn: (monotonic time, sha256 of the cert)
        self.max_latency = 0.0
        self.t0 = time.monotonic()

    def connection(self):
        return self.server.connection(timeout=30 * SLOW)

    def idle_closed(self, conn):
        """Whether the server closed this idle connection: readable before
        anything was sent is its FIN or TLS close_notify."""
        sock = conn.sock
        if sock is None:
            return False
        r, _, _ = select.select([sock], [], [], 0)
        return bool(r)

    def pace(self, interval):
        """Wait for the next slot of this client's share of RATE; a client
        that fell behind (a slow server) starts again from now."""
        now = time.monotonic()
        self.next_at = max(self.next_at + interval, now - 1.0)
        if self.next_at > now:
            self.stop.wait(self.next_at - now)

    def run(self):
        conn = None
        i = self.n * 7
        self.next_at = time.monotonic()
        interval = KEEPALIVE_CLIENTS / RATE if RATE > 0 else 0
        while not self.stop.is_set():
            if self.churn:
                self.stop.wait(CHURN_INTERVAL)
            elif interval:
                self.pace(interval)
            case = self.cases[i % len(self.cases)]
            i += 1
            uid = f"soak-{self.n}-{self.count}"
            if conn is not None and self.idle_closed(conn):
                conn.close()
                conn = None
                self.reopened += 1
            t = time.monotonic()
            why = None
            try:
                if conn is None:
                    conn = self.connection()
                    conn.connect()
                    if self.churn:
                        der = conn.sock.getpeercert(binary_form=True)
                        self.served.append(
                            (t, hashlib.sha256(der).hexdigest()))
                conn.request("POST", f"/{case.endpoint}?timeout=10s",
                             body=case.body.replace(UID, uid.encode()),
                             headers=opstest.HEADERS)
                resp = conn.getresponse()
                why = case.check(resp.status, resp.read(), uid)
            except (OSError, http.client.HTTPException) as e:
                why = f"{type(e).__name__}: {e}"
                conn.close()
                conn = None
            self.max_latency = max(self.max_latency, time.monotonic() - t)
            self.count += 1
            self.by_endpoint[case.endpoint] += 1
            if why is not None:
                self.fails += 1
                if len(self.failures) < 20:
                    self.failures.append((time.monotonic() - self.t0,
                                          f"{case.name}: {why}"))
            if self.churn:
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


# ---------------------------------------------------------------------------
# What changes.

class Stub:
    def __init__(self, tmp, certs):
        self.log = open(os.path.join(tmp, "stub.log"), "w")
        self.p = subprocess.Popen(
            [sys.executable, os.path.join(opstest.ROOT, "tests", "kube_stub.py"),
             "--cert", f"{certs}/tls.crt", "--key", f"{certs}/tls.key",
             "--token", "soak", "--data", RBAC, "--data", SAS, "--openshift",
             "--page-cap", "4", "--bookmark-interval", "1"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        procs.append(self.p)
        info = json.loads(self.p.stdout.readline())
        self.port, self.control = info["port"], info["control"]
        self.up = True

    def call(self, path, body=None):
        return opstest.stub_call(self.control,
                                 "POST" if body is not None else "GET", path,
                                 body, timeout=30)

    def state(self):
        return self.call("/state")

    def kubeconfig(self, path, ca):
        return opstest.kubeconfig(path, f"https://127.0.0.1:{self.port}",
                                  {"certificate-authority": ca},
                                  {"token": "soak"})


def binding(name, sa_ns, sa):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": "project-b"},
            "subjects": [{"kind": "ServiceAccount", "name": sa,
                          "namespace": sa_ns}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole", "name": "system:image-puller"}}


def image_config(external):
    return {"apiVersion": "config.openshift.io/v1", "kind": "Image",
            "metadata": {"name": "cluster"}, "spec": {},
            "status": {"internalRegistryHostname":
                       "image-registry.openshift-image-registry.svc:5000",
                       "externalRegistryHostnames": [external]}}


class Secret:
    """A folder laid out as the kubelet mounts a Secret."""

    def __init__(self, path, cert, key):
        self.path = path
        self.n = 0
        os.makedirs(path)
        first = self.put(cert, key)
        os.symlink(first, os.path.join(path, "..data"))
        os.symlink("..data/tls.crt", os.path.join(path, "tls.crt"))
        os.symlink("..data/tls.key", os.path.join(path, "tls.key"))

    def put(self, cert, key):
        self.n += 1
        name = f"..2026_01_01_00_00_{self.n:02d}.{self.n}"
        d = os.path.join(self.path, name)
        os.mkdir(d)
        shutil.copy(cert, os.path.join(d, "tls.crt"))
        shutil.copy(key, os.path.join(d, "tls.key"))
        os.chmod(os.path.join(d, "tls.key"), 0o600)
        return name

    def swap(self, cert, key):
        """A new timestamped folder, ..data renamed over, the old removed."""
        name = self.put(cert, key)
        data = os.path.join(self.path, "..data")
        old = os.readlink(data)
        os.symlink(name, data + "_tmp")
        os.replace(data + "_tmp", data)
        shutil.rmtree(os.path.join(self.path, old))


def pairs(tmp, certs):
    """Three serving pairs signed by the dev CA: [(cert, key, sha256)]."""
    d = os.path.join(tmp, "pki")
    os.makedirs(d)
    for f in ("ca.crt", "ca.key"):
        shutil.copy(os.path.join(certs, f), d)
    out = []
    for i in range(3):
        r = subprocess.run([opstest.binary(), "certs", "--service",
                            "image-policy-webhook", "--namespace", "ipw",
                            "--out", d, "--hosts", "127.0.0.1", "--days", "365"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            check(False, "serving pairs", r.stderr.strip())
            opstest.finish()
        c, k = os.path.join(tmp, f"pair{i}.crt"), os.path.join(tmp, f"pair{i}.key")
        shutil.copy(os.path.join(d, "tls.crt"), c)
        shutil.copy(os.path.join(d, "tls.key"), k)
        out.append((c, k, fingerprint(c)))
    return out


def fingerprint(pem_path):
    with open(pem_path) as f:
        pem = f.read()
    b64 = "".join(l for l in pem.splitlines() if l and "-----" not in l)
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def metrics(server):
    """{name{labels}: value} from /metrics; None when it fails."""
    try:
        status, _, data = server.get("/metrics")
    except (OSError, http.client.HTTPException):
        return None
    if status != 200:
        return None
    out = {}
    for line in data.decode().splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            out[k] = float(v)
    return out


def proc_sample(pid):
    """{rss, anon, file: kB (VmRSS, RssAnon, RssFile), fds: open
    descriptors} of pid."""
    keys = {"VmRSS:": "rss", "RssAnon:": "anon", "RssFile:": "file"}
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k = line.split(":", 1)[0] + ":"
            if k in keys:
                out[keys[k]] = int(line.split()[1])
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


# ---------------------------------------------------------------------------

class Soak:
    def __init__(self):
        self.tmp = opstest.tmpdir()
        certs = opstest.certs()
        self.pairs = pairs(self.tmp, certs)
        self.secret = Secret(os.path.join(self.tmp, "secret"),
                             *self.pairs[0][:2])
        self.stub = Stub(self.tmp, certs)
        self.cfg = os.path.join(self.tmp, "config.yaml")
        write_atomic(self.cfg, "crossProject:\n  enforcement: deny\n")
        self.records = os.path.join(self.tmp, "records")
        os.mkdir(self.records)
        kc = self.stub.kubeconfig(os.path.join(self.tmp, "kubeconfig"),
                                  f"{certs}/ca.crt")
        self.server = opstest.Server(
            "--kube", "--kubeconfig", kc, "--config", self.cfg,
            "--record-dir", self.records, "--record-max-files", str(MAX_FILES),
            name="soak", wrap=WRAP, start_timeout=60 * SLOW,
            tls=(os.path.join(self.secret.path, "tls.crt"),
                 os.path.join(self.secret.path, "tls.key")))
        self.rotations = []  # (monotonic time, sha256 or None when broken)
        self.hups = self.hups_broken = 0
        self.stub_actions = {}
        self.metric_reads = self.metric_fails = 0
        self.samples = []  # (seconds into the run, proc_sample())
        self.quiet_fds = []  # (seconds into the run, descriptors)
        self.up_at = None
        self.restart = False

    # -- changes --
    def rotate(self):
        k = len(self.rotations) + 1
        if k % 4 == 0:  # a certificate with another pair's key
            a, b = self.pairs[k % 3], self.pairs[(k + 1) % 3]
            self.secret.swap(a[0], b[1])
            self.rotations.append((time.monotonic(), None))
        else:
            c, key, fp = self.pairs[k % 3]
            self.secret.swap(c, key)
            self.rotations.append((time.monotonic(), fp))

    def sighup(self):
        self.hups += 1
        if self.hups % 5 == 0:
            write_atomic(self.cfg, "crossProject:\n  enforcement: maybe\n")
            self.hups_broken += 1
        else:
            mode = "deny" if self.hups % 2 else "warn"
            write_atomic(self.cfg, f"crossProject:\n  enforcement: {mode}\n")
        self.server.signal(signal.SIGHUP)

    STUB_CYCLE = ["put", "cut", "put", "delete", "compact", "registries",
                  "put", "expire", "delete", "down"]

    def stub_step(self, k):
        what = self.STUB_CYCLE[k % len(self.STUB_CYCLE)]
        s = self.stub
        n = k % 7
        if what == "put":
            s.call("/put", {"object": binding(f"soak-{n}", "project-s",
                                              f"sa-{k % 13}")})
        elif what == "delete":
            s.call("/delete", {"kind": "RoleBinding", "namespace": "project-b",
                               "name": f"soak-{n}"})
        elif what == "cut":
            s.call("/cut", {})
        elif what == "compact":
            s.call("/compact", {"kick": True})
        elif what == "registries":
            s.call("/put", {"object": image_config(
                f"registry-{k % 3}.apps.example.com")})
        elif what == "expire":
            s.call("/expire-continue", {"count": 1})
            s.call("/compact", {"kick": True})
        elif what == "down":
            s.call("/down", {})
            s.up = False
            self.up_at = time.monotonic() + 3
        self.stub_actions[what] = self.stub_actions.get(what, 0) + 1

    def stub_up(self):
        self.restart = not self.restart
        self.stub.call("/up", {"restart": self.restart})
        self.stub.up = True
        self.up_at = None
        key = "up (restarted)" if self.restart else "up"
        self.stub_actions[key] = self.stub_actions.get(key, 0) + 1

    def read_metrics(self):
        self.metric_reads += 1
        if metrics(self.server) is None:
            self.metric_fails += 1

    def sample(self):
        self.samples.append((time.monotonic() - self.t0,
                             proc_sample(self.server.proc.pid)))

    def watching(self):
        st = self.stub.state()
        m = metrics(self.server) or {}
        return (all(st["watches"].get(r, 0) >= 1 for r in WATCHED)
                and m.get(P + "rbac_watch_connected") == 1)

    def quiet_point(self, name):
        """Changes paused: the stub up, every watch open again; then the
        median of three descriptor counts a second apart."""
        if not self.stub.up:
            self.stub_up()
        ok = wait_for(self.watching, 60 * SLOW, 0.2)
        check(ok, f"{name}: every watch open again")
        time.sleep(2)
        got = []
        for _ in range(3):
            got.append(proc_sample(self.server.proc.pid)["fds"])
            time.sleep(1)
        self.quiet_fds.append((time.monotonic() - self.t0, median(got)))

    def window(self, t0, t1):
        """(seconds, the median of each figure) of the samples in [t0, t1)."""
        got = [x for t, x in self.samples if t0 <= t < t1]
        return t1, {k: median([x[k] for x in got]) for k in got[0]}

    # -- the run --
    def run(self):
        s = self.server.start()
        check(True, f"serve --kube ready (pid {s.proc.pid})")
        cases = [Case(p, c) for p, c in opstest.cases()]
        stop = threading.Event()
        clients = [Client(s, cases, n, stop) for n in range(KEEPALIVE_CLIENTS)]
        churn = Client(s, cases, KEEPALIVE_CLIENTS, stop, churn=True)
        clients.append(churn)
        self.t0 = time.monotonic()
        for c in clients:
            c.start()
        end = self.t0 + SECONDS
        first = self.t0 + min(60.0, SECONDS / 3)
        due = {"rotate": ROTATE_EVERY, "hup": SIGHUP_EVERY, "stub": STUB_EVERY,
               "metrics": METRICS_EVERY, "sample": 0.0}
        due = {k: self.t0 + v for k, v in due.items()}
        k = 0
        try:
            while time.monotonic() < end and s.proc.poll() is None:
                now = time.monotonic()
                if not self.quiet_fds and now >= first:
                    self.quiet_point("after the first minute, changes paused")
                    for key in due:
                        due[key] = max(due[key], time.monotonic())
                    continue
                if self.up_at is not None and now >= self.up_at:
                    self.stub_up()
                if now >= due["rotate"] and "rotate" in CHANGES:
                    self.rotate()
                    due["rotate"] += ROTATE_EVERY
                if now >= due["hup"] and "hup" in CHANGES:
                    self.sighup()
                    due["hup"] += SIGHUP_EVERY
                if now >= due["stub"] and self.up_at is None and "stub" in CHANGES:
                    self.stub_step(k)
                    k += 1
                    due["stub"] += STUB_EVERY
                if now >= due["metrics"]:
                    self.read_metrics()
                    due["metrics"] += METRICS_EVERY
                if now >= due["sample"]:
                    self.sample()
                    due["sample"] += SAMPLE_EVERY
                time.sleep(0.05)
            check(s.proc.poll() is None,
                  f"the server ran through {SECONDS} s of load and changes",
                  f"exit {s.proc.poll()} after {time.monotonic() - self.t0:.0f} s")
            if s.proc.poll() is not None:
                self.show_log()
                return
            load_seconds = time.monotonic() - self.t0
            self.sample()
            self.quiet_point("after the changes")
            self.after_changes()
        finally:
            stop.set()
            for c in clients:
                c.join(60 * SLOW)
        self.report_load(clients, churn, load_seconds)
        self.report_memory()
        self.report_changes(churn)
        self.report_exit()

    def show_log(self):
        """The size of the server's log and its last lines but reviews."""
        lines = self.server.raw_lines()
        rest = [l for l in lines if '"msg":"review"' not in l]
        print(f"--- the server's log: {os.path.getsize(self.server.log_path)} "
              f"bytes, {len(lines)} lines; the last lines but reviews:")
        for line in rest[-20:]:
            print(line[:400])
        if any("signal received" in l for l in rest):
            print("--- the server was stopped by a SIGTERM or SIGINT that this "
                  "test did not send (another process)")

    def after_changes(self):
        """The last config in force, then a grant flips a decision."""
        write_atomic(self.cfg, "crossProject:\n  enforcement: deny\n")
        self.server.signal(signal.SIGHUP)
        self.hups += 1
        with open(POD) as f:
            review = json.load(f)["request"]
        req = review["request"]
        req["namespace"] = req["object"]["metadata"]["namespace"] = "project-d"

        def allowed():
            req["uid"] = f"soak-flip-{time.monotonic_ns()}"
            status, _, data = self.server.post("validate", review)
            return json.loads(data)["response"]["allowed"] if status == 200 else None

        limit = 2 * SLOW
        check(wait_for(lambda: allowed() is False, limit, 0.05),
              f"after the changes: a cross-project pull denied (deny config in force within {limit} s)")
        self.stub.call("/put", {"object": binding("soak-final", "project-d",
                                                  "default")})
        t = time.monotonic()
        ok = wait_for(lambda: allowed() is True, limit, 0.02)
        check(ok, f"after the changes: a RoleBinding put allows within {limit} s "
              f"({time.monotonic() - t:.2f} s): the watch still follows the API")
        self.stub.call("/delete", {"kind": "RoleBinding",
                                   "namespace": "project-b", "name": "soak-final"})
        t = time.monotonic()
        ok = wait_for(lambda: allowed() is False, limit, 0.02)
        check(ok, f"after the changes: deleted, denied again within {limit} s "
              f"({time.monotonic() - t:.2f} s)")
        self.final_metrics = metrics(self.server) or {}

    def report_load(self, clients, churn, seconds):
        total = sum(c.count for c in clients)
        fails = sum(c.fails for c in clients)
        by = {e: sum(c.by_endpoint[e] for c in clients) for e in ("mutate", "validate")}
        reopened = sum(c.reopened for c in clients)
        details = [f"client {c.n} at {t:.1f} s: {why}"
                   for c in clients for t, why in c.failures]
        check(total > 0 and fails == 0,
              f"{total} requests in {seconds:.0f} s ({total / seconds:.0f}/s; "
              f"/mutate {by['mutate']}, /validate {by['validate']}; "
              f"{churn.count} on new connections), {fails} failed",
              "; ".join(details[:20]))
        check(all(c.by_endpoint["mutate"] and c.by_endpoint["validate"]
                  for c in clients[:KEEPALIVE_CLIENTS]),
              f"both endpoints from each of {KEEPALIVE_CLIENTS} keep-alive "
              f"connections; idle connections closed by the server and "
              f"opened again: {reopened}; slowest answer "
              f"{max(c.max_latency for c in clients) * 1000:.0f} ms")
        self.figures = {"seconds": seconds, "requests": total, "failed": fails,
                        "rate": total / seconds}

    def report_memory(self):
        w = min(60.0, SECONDS / 3)
        (tb, b), (te, e) = self.window(w, 2 * w), self.window(SECONDS - w, 1e9)
        te = SECONDS
        growth = (e["rss"] - b["rss"]) * 100.0 / b["rss"]
        rss = [x["rss"] for _, x in self.samples]
        fds = [x["fds"] for _, x in self.samples]
        minutes = " ".join(f"{x['rss'] / 1024:.1f}" for t, x in self.samples
                           if int(t) % 60 < SAMPLE_EVERY)
        asan = b"__asan_init" in open(opstest.binary(), "rb").read()
        what = (f"VmRSS (median) {b['rss'] / 1024:.1f} MB over {w:.0f}-{tb:.0f} "
                f"s, {e['rss'] / 1024:.1f} MB over {te - w:.0f}-{te:.0f} s "
                f"({growth:+.2f} %; "
                f"anonymous {b['anon'] / 1024:.1f} and {e['anon'] / 1024:.1f}, "
                f"file-backed {b['file'] / 1024:.1f} and "
                f"{e['file'] / 1024:.1f}; each minute: {minutes} MB)")
        if WRAP or asan:
            check(True, what + ": growth not checked under "
                  + ("valgrind" if WRAP else "ASan"))
        else:
            check(growth < 2.0, what + ": grows less than 2 %")
        (tf, fb), (tl, fe) = self.quiet_fds
        check(abs(fe - fb) <= 2,
              f"file descriptors {fb} at {tf:.0f} s, {fe} at {tl:.0f} s, "
              f"every watch open (samples under the changes from {min(fds)} "
              f"to {max(fds)}): flat within 2")
        self.figures.update(rss_base=b["rss"], rss_end=e["rss"], growth=growth,
                            t_base=tb, fd_base=fb, fd_end=fe, w=w, tf=tf,
                            tl=tl,
                            rss_max=max(rss))

    def report_changes(self, churn):
        m = self.final_metrics
        seen = sorted(churn.served)
        good = [(t, fp) for t, fp in self.rotations if fp is not None]
        late = []
        for t, fp in good:
            if not any(t <= ts <= t + ROTATE_EVERY * SLOW and f == fp
                       for ts, f in seen):
                late.append(f"{t - self.t0:.0f} s")
        broken = len(self.rotations) - len(good)
        check(good and not late,
              f"{len(self.rotations)} ..data swaps: each of the {len(good)} "
              f"good pairs served to new connections within "
              f"{ROTATE_EVERY * SLOW:.0f} s", "not seen after " + ", ".join(late))
        refused = sum("new certificate refused, serving the old one" in l
                      for l in self.server.raw_lines())
        check(broken == 0 or refused >= broken,
              f"{broken} broken pairs refused with a log line ({refused} lines)")
        ok = m.get(P + 'config_reloads_total{result="success"}')
        bad = m.get(P + 'config_reloads_total{result="failure"}')
        check(ok == self.hups - self.hups_broken and bad == self.hups_broken,
              f"{self.hups} SIGHUPs: {ok:.0f} reloads, {bad:.0f} refused (broken config)"
              if ok is not None and bad is not None else "SIGHUP reloads counted",
              f"sent {self.hups}, {self.hups_broken} broken")
        acts = ", ".join(f"{v} {k}" for k, v in sorted(self.stub_actions.items()))
        relists = m.get(P + "rbac_relists_total", 0)
        expired = m.get(P + "rbac_watch_expired_total", 0)
        reconnects = m.get(P + "rbac_reconnects_total", 0)
        check(relists > 0 and expired > 0 and reconnects > 0,
              f"stub API server: {acts}; the webhook relisted {relists:.0f} "
              f"times, got 410 {expired:.0f} times, reconnected "
              f"{reconnects:.0f} times")
        check(self.metric_reads > 0 and self.metric_fails == 0,
              f"/metrics read {self.metric_reads} times under load",
              f"{self.metric_fails} failed")
        self.rotated = m.get(P + 'recorded_reviews_total{result="rotated"}', 0)
        self.rec_fail = m.get(P + 'recorded_reviews_total{result="failure"}', 0)

    def report_exit(self):
        rc = self.server.stop(timeout=60 * SLOW)
        check(rc == 0, "SIGTERM: exit 0", f"exit {rc}")
        names = os.listdir(self.records)
        bad = [n for n in names if not CASE_NAME.match(n)]
        broken = []
        for n in names:
            try:
                with open(os.path.join(self.records, n)) as f:
                    c = json.load(f)
                if "answer" not in c or "request" not in c:
                    broken.append(n)
            except (OSError, ValueError):
                broken.append(n)
        check(len(names) <= MAX_FILES and not bad and not broken
              and self.rotated > 0 and self.rec_fail == 0,
              f"recordings: {len(names)} case files (at most {MAX_FILES}), "
              f"each complete, {self.rotated:.0f} rotated away, "
              f"{self.rec_fail:.0f} not recorded",
              f"other files {bad[:5]}, broken {broken[:5]}")
        lines = self.server.raw_lines()
        foreign = []
        for line in lines:
            try:
                json.loads(line)
            except ValueError:
                foreign.append(line)
        check(not foreign, f"stderr: {len(lines)} lines, every one JSON (no "
              "sanitizer or valgrind report)", "\n".join(foreign[:40]))
        expected = re.compile(r"new certificate refused|reload failed")
        errors = [l.get("msg", "") for l in self.server.lines()
                  if isinstance(l, dict) and l.get("level") == "error"
                  and not expected.search(l.get("msg", ""))]
        check(not errors, "no error line but the refused certificates and "
              "configs", "; ".join(errors[:10]))
        check(self.stub.p.poll() is None, "the stub API server ran throughout")
        f = self.figures
        print(f"figures: {f['seconds']:.0f} s, {f['requests']} requests, "
              f"{f['rate']:.0f} requests/s, {f['failed']} failed; VmRSS "
              f"{f['rss_base'] / 1024:.1f} MB over {f['w']:.0f}-"
              f"{f['t_base']:.0f} s, {f['rss_end'] / 1024:.1f} MB over the "
              f"last {f['w']:.0f} s ({f['growth']:+.2f} %, at most "
              f"{f['rss_max'] / 1024:.1f}); fds {f['fd_base']} at "
              f"{f['tf']:.0f} s, {f['fd_end']} at {f['tl']:.0f} s", flush=True)


def main():
    opstest.binary()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(SECONDS + 240 * SLOW)
    soak = Soak()
    try:
        soak.run()
    finally:
        signal.alarm(0)
        stop_all()
    opstest.finish()


if __name__ == "__main__":
    main()
