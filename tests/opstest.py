#!/usr/bin/env python3
"""opstest.py - what the operability tests share: a server to start, a TLS
client, fixture cases, and the ok/FAIL report.

Used by tests/metrics_test.py, logs_test.py, record_test.py and
shutdown_test.py. Each test starts "$BIN serve" on a free loopback port
with dev certificates made in a temporary directory (hack/dev-certs.sh),
prints one line per check ("ok ..." or "FAIL ..."), then "N passed, N
failed", and exits 1 on any failure. Servers are always killed at exit.
"""
import atexit
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
HEADERS = {
    "User-Agent": "kube-apiserver-admission",
    "Accept": "application/json, */*",
    "Content-Type": "application/json",
}

passed = 0
failed = 0
_servers = []
_tmp = None


def check(ok, what, detail=""):
    """Report one check; returns ok."""
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL {what}" + (f": {detail}" if detail else ""), flush=True)
    return ok



def wait_for(cond, timeout, step=0.02):
    """Poll cond() every step seconds until it is true or timeout seconds
    passed; its last value."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)

def finish():
    """The closing line; exit 1 on any failure."""
    for s in _servers:
        if failed and s.proc is not None:
            s.dump_log()
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


def binary():
    b = os.environ.get("BIN", "")
    if not b or not os.access(b, os.X_OK):
        print(f"{sys.argv[0]}: set BIN to the image-policy-webhook binary",
              file=sys.stderr)
        sys.exit(2)
    return os.path.abspath(b)


def dlopened():
    """The sonames BIN loads only when first needed (libcurl, libcrypto):
    BIN.dlopen, which make writes beside it."""
    path = binary() + ".dlopen"
    try:
        with open(path) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError as e:
        check(False, "the list of libraries loaded on first use", str(e))
        finish()


def mapped(pid, soname):
    """Whether process pid maps the library soname (its file is named
    soname or soname.N...)."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            name = os.path.basename(line.split(None, 5)[-1].strip())
            if name == soname or name.startswith(soname + "."):
                return True
    return False


def tmpdir():
    """A temporary directory for this test, removed at exit."""
    global _tmp
    if _tmp is None:
        _tmp = tempfile.mkdtemp(prefix="ipw-ops-")
        atexit.register(shutil.rmtree, _tmp, True)
    return _tmp


def certs():
    """Dev certificates (ca.crt, tls.crt, tls.key) made once."""
    d = os.path.join(tmpdir(), "certs")
    if not os.path.exists(os.path.join(d, "tls.crt")):
        r = subprocess.run([os.path.join(ROOT, "hack", "dev-certs.sh"), d],
                           capture_output=True, text=True)
        if r.returncode != 0:
            check(False, "dev certificates", r.stderr.strip())
            finish()
    return d


def tls_context():
    ctx = ssl.create_default_context(cafile=os.path.join(certs(), "ca.crt"))
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def free_port():
    """A loopback port free now (for a server that does not log its port)."""
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def cases(with_config=False):
    """(path, case) of every fixture case; without config and bindings
    unless with_config."""
    out = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "**", "*.json"),
                                 recursive=True)):
        try:
            with open(path) as f:
                c = json.load(f)
        except (OSError, ValueError):
            continue
        if not isinstance(c, dict) or "request" not in c or "endpoint" not in c:
            continue
        if not with_config and ("config" in c or "bindings" in c):
            continue
        out.append((path, c))
    return out


class Server:
    """One "$BIN serve" on 127.0.0.1 with a free port."""

    def __init__(self, *args, name="server", port=None, tls=None, wrap=(),
                 start_timeout=20):
        """args go to serve; port: listen there rather than on a port the
        kernel picks and the log names ("listening on" is an info line);
        tls: (cert, key) paths instead of the dev pair; wrap: a command
        prefix (valgrind ...); start_timeout: seconds to be listening and
        ready."""
        self.args = list(args)
        self.tls = tls
        self.wrap = list(wrap)
        self.start_timeout = start_timeout
        self.name = name
        self.proc = None
        self.port = port
        self.listen = f"127.0.0.1:{port}" if port else "127.0.0.1:0"
        self.log_path = os.path.join(tmpdir(), f"{name}.log")
        self.started = None

    def start(self, ready=True):
        c = certs()
        cert, key = self.tls or (os.path.join(c, "tls.crt"),
                                 os.path.join(c, "tls.key"))
        cmd = self.wrap + [binary(), "serve", "--tls-cert", cert,
                           "--tls-key", key, "--listen", self.listen] + self.args
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=self.logf)
        self.started = time.monotonic()
        _servers.append(self)
        atexit.register(self.kill)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline and self.port is None:
            for line in self.lines():
                msg = line.get("msg", "") if isinstance(line, dict) else ""
                if msg.startswith("listening on https://127.0.0.1:"):
                    self.port = int(msg.split(":")[2].split(" ")[0])
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None:
            check(False, f"{self.name} start", "no 'listening on' line")
            finish()
        if ready:
            while time.monotonic() < deadline:
                try:
                    if self.get("/readyz")[0] == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            check(False, f"{self.name} ready", "/readyz not 200")
            finish()
        return self

    def raw_lines(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace").splitlines()

    def lines(self):
        """The log lines, parsed (a line that is not JSON stays a str)."""
        out = []
        for line in self.raw_lines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append(line)
        return out

    def dump_log(self):
        print(f"--- last lines of the {self.name} log:")
        for line in self.raw_lines()[-15:]:
            print(line[:400])

    def connection(self, timeout=15):
        return http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=tls_context(),
                                           timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """(status, response, body bytes); a fresh connection unless conn."""
        own = conn is None
        if own:
            conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp, resp.read()
        finally:
            if own:
                conn.close()

    def get(self, path):
        return self.request("GET", path)

    def post(self, endpoint, review, conn=None):
        """POST an AdmissionReview (a dict or bytes) to /endpoint."""
        body = review if isinstance(review, bytes) else json.dumps(review).encode()
        return self.request("POST", f"/{endpoint}?timeout=10s", body,
                            HEADERS, conn)

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        """The exit status (negative: killed by that signal), or None."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=15):
        self.signal(signal.SIGTERM)
        rc = self.wait(timeout)
        self.logf.close()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def stub_call(control, method, path, body=None, timeout=10):
    """A request to tests/kube_stub.py's control port (plain HTTP on
    loopback, no proxy): the JSON it answers, error statuses included."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{control}{path}", data=data, method=method,
        headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return json.loads(e.read() or b"null")


def kubeconfig(path, server, cluster, user):
    """Write a kubeconfig to path: server with the cluster fields (CA),
    the user fields (token, certificates); a second context, not current,
    points nowhere, so that a client must honour current-context."""
    cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
           "clusters": [{"name": "c", "cluster": dict(server=server, **cluster)}],
           "users": [{"name": "u", "user": user}],
           "contexts": [{"name": "other", "context": {"cluster": "nope", "user": "u"}},
                        {"name": "test", "context": {"cluster": "c", "user": "u"}}]}
    with open(path, "w") as f:
        json.dump(cfg, f)  # JSON is YAML too
    return path


def raw_tls(port, timeout=10):
    """A TLS socket to the server, handshake done."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return tls_context().wrap_socket(s, server_hostname="127.0.0.1")
