#!/usr/bin/env python3
"""sighup_test.py - bindings and config reloaded on SIGHUP under load.

    BIN=bin/image-policy-webhook tests/sighup_test.py

Starts `serve --config C --bindings B` on a free loopback port. While two
client threads keep posting /validate requests over keep-alive connections
(bounded: they stop when the test ends, 60 s at most), it:

- checks that a cross-project pod is denied (B grants nothing);
- writes a B that grants the pull, sends SIGHUP, and checks the next
  requests are allowed (within one second);
- writes a broken B, sends SIGHUP: the old state stays (still allowed) and
  the log says why;
- writes a C that sets crossProject.enforcement: warn and a B that grants
  nothing, SIGHUP: allowed with a warning (config and bindings swap
  together);
- counts the requests that failed (anything but a 200 AdmissionReview): 0;
- starts `serve --record-dir D` (its writer thread starts before the
  others) and sends SIGHUP three times: each one reloads, none kills it;
- starts `serve` with a malformed bindings file: exit 2, the message names
  the file and the item.

One line per check, then "N passed, N failed"; exit 1 on any failure.
"""
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BIN", os.path.join(ROOT, "bin/image-policy-webhook"))
REG = "image-registry.openshift-image-registry.svc:5000"

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what, flush=True)
    else:
        failed += 1
        print("FAIL " + what + (": " + detail if detail else ""), flush=True)


def review(uid):
    return json.dumps({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid, "operation": "CREATE", "namespace": "project-a",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "object": {"spec": {"containers": [
                {"name": "app", "image": REG + "/project-b/app:v1"}]}},
        }}).encode()


GRANT = """apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: pull, namespace: project-b}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:image-puller}
  subjects: [{kind: ServiceAccount, name: default, namespace: project-a}]
"""
NOTHING = "apiVersion: v1\nkind: List\nitems: []\n"
BROKEN = """apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: no-role-ref, namespace: project-b}
  subjects: [{kind: ServiceAccount, name: default, namespace: project-a}]
"""


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class Client(threading.Thread):
    """Posts /validate in a loop; records every answer's decision."""

    def __init__(self, port, ctx, stop):
        super().__init__(daemon=True)
        self.port, self.ctx, self.stop = port, ctx, stop
        self.count = self.errors = 0
        self.last = None
        self.error_detail = ""

    def run(self):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=self.ctx, timeout=10)
        deadline = time.time() + 60
        while not self.stop.is_set() and time.time() < deadline:
            try:
                conn.request("POST", "/validate?timeout=10s",
                             body=review("load-%d" % self.count),
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                body = resp.read()
                ans = json.loads(body)
                if resp.status != 200 or ans.get("kind") != "AdmissionReview":
                    raise ValueError("HTTP %d %r" % (resp.status, body[:200]))
                self.last = ans["response"]
            except Exception as e:  # any failure counts
                self.errors += 1
                self.error_detail = str(e)
                conn.close()
                conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, context=self.ctx, timeout=10)
            self.count += 1
        conn.close()


def decide(port, ctx):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                       timeout=10)
    conn.request("POST", "/validate", body=review("probe"),
                 headers={"Content-Type": "application/json"})
    resp = json.loads(conn.getresponse().read())["response"]
    conn.close()
    return resp


def wait_for(port, ctx, pred, seconds=1.0):
    """Poll until pred(answer) holds; returns the seconds it took or None."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        if pred(decide(port, ctx)):
            return time.time() - t0
        time.sleep(0.02)
    return None


def record_sighup(tmp, certs, cfg):
    """SIGHUP is blocked in every thread but the reloader: the recording
    writer's thread included, or the signal's default action ends the
    process."""
    rec = os.path.join(tmp, "records")
    os.mkdir(rec)
    logpath = os.path.join(tmp, "record-server.log")
    with open(logpath, "w") as log:
        srv = subprocess.Popen(
            [BIN, "serve", "--tls-cert", os.path.join(certs, "tls.crt"),
             "--tls-key", os.path.join(certs, "tls.key"), "--listen",
             "127.0.0.1:0", "--config", cfg, "--record-dir", rec],
            stderr=log)

    def text():
        with open(logpath) as f:
            return f.read()

    try:
        t0 = time.time()
        while "listening on" not in text() and time.time() - t0 < 10:
            time.sleep(0.05)
        for i in range(1, 4):
            srv.send_signal(signal.SIGHUP)
            t0 = time.time()
            while (text().count("reloaded config and bindings") < i
                   and srv.poll() is None and time.time() - t0 < 5):
                time.sleep(0.05)
        n = text().count("reloaded config and bindings")
        check(srv.poll() is None and n == 3,
              "serve --record-dir: three SIGHUPs, three reloads, still "
              "running", "exit %r, %d reloads" % (srv.poll(), n))
    finally:
        if srv.poll() is None:
            srv.send_signal(signal.SIGTERM)
        try:
            rc = srv.wait(15)
        except subprocess.TimeoutExpired:
            srv.kill()
            rc = srv.wait()
    check(rc == 0, "serve --record-dir: SIGTERM after SIGHUPs, exit 0",
          "exit %r" % rc)


def main():
    tmp = tempfile.mkdtemp()
    certs = os.path.join(tmp, "certs")
    subprocess.run([os.path.join(ROOT, "hack/dev-certs.sh"), certs],
                   check=True, stdout=subprocess.DEVNULL)
    cfg = os.path.join(tmp, "config.yaml")
    bindings = os.path.join(tmp, "bindings.yaml")
    write(cfg, "crossProject:\n  enforcement: deny\n")
    write(bindings, NOTHING)
    log = open(os.path.join(tmp, "server.log"), "w+")
    srv = subprocess.Popen(
        [BIN, "serve", "--tls-cert", os.path.join(certs, "tls.crt"),
         "--tls-key", os.path.join(certs, "tls.key"), "--listen",
         "127.0.0.1:0", "--config", cfg, "--bindings", bindings],
        stderr=log)
    stop = threading.Event()
    clients = []
    try:
        port = None
        for _ in range(100):
            log.seek(0)
            for line in log:
                if "listening on https://127.0.0.1:" in line:
                    port = int(line.split("127.0.0.1:")[1].split()[0]
                               .strip('",}'))
            if port:
                break
            time.sleep(0.1)
        check(port is not None, "server started")
        if port is None:
            return
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.crt"))
        clients = [Client(port, ctx, stop) for _ in range(2)]
        for c in clients:
            c.start()

        check(not decide(port, ctx)["allowed"],
              "cross-project pull denied with no grant")

        write(bindings, GRANT)
        srv.send_signal(signal.SIGHUP)
        took = wait_for(port, ctx, lambda r: r["allowed"])
        check(took is not None, "SIGHUP: a new grant allows within 1 s",
              "still denied")

        write(bindings, BROKEN)
        srv.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        log.seek(0)
        text = log.read()
        check("reload failed" in text and "roleRef" in text,
              "SIGHUP with a broken file: logged why", text[-400:])
        check(decide(port, ctx)["allowed"],
              "SIGHUP with a broken file: the old state stays")

        write(cfg, "crossProject:\n  enforcement: warn\n")
        write(bindings, NOTHING)
        srv.send_signal(signal.SIGHUP)
        took = wait_for(port, ctx, lambda r: r["allowed"] and
                        len(r.get("warnings", [])) == 1)
        check(took is not None,
              "SIGHUP: config and bindings swapped together (warn mode)")

        time.sleep(0.3)
        stop.set()
        for c in clients:
            c.join(15)
        total = sum(c.count for c in clients)
        errors = sum(c.errors for c in clients)
        check(total > 0 and errors == 0,
              "%d requests during the reloads, %d failed" % (total, errors),
              "; ".join(c.error_detail for c in clients if c.errors))
    finally:
        stop.set()
        srv.send_signal(signal.SIGTERM)
        try:
            rc = srv.wait(15)
        except subprocess.TimeoutExpired:
            srv.kill()
            rc = None
        check(rc == 0, "SIGTERM: exit 0", "exit %r" % rc)

    record_sighup(tmp, certs, cfg)

    write(bindings, BROKEN)
    r = subprocess.run(
        [BIN, "serve", "--tls-cert", os.path.join(certs, "tls.crt"),
         "--tls-key", os.path.join(certs, "tls.key"), "--listen",
         "127.0.0.1:0", "--bindings", bindings],
        capture_output=True, text=True, timeout=20)
    msg = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(msg) == 1 and bindings in msg[0] and
          "items[0]" in msg[0] and "no-role-ref" in msg[0],
          "a malformed bindings file at start: exit 2, names file and item",
          "exit %d: %r" % (r.returncode, r.stderr))


if __name__ == "__main__":
    main()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
