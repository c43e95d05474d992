#!/usr/bin/env python3
"""kube_memory.py - resident memory of serve --kube once a cluster's RBAC is
indexed: built from the initial list against built from watch events.

    BIN=bin/image-policy-webhook tests/bench/kube_memory.py
        [--rolebindings N] [--serviceaccounts N] [--namespaces N]

Generates N RoleBindings (default 12,000) and N ServiceAccounts (default
9,000) spread over the namespaces (default 1,000) as OpenShift projects
hold them (image pullers, builders, deployers, users and groups; service
accounts with their token and dockercfg secrets), each with the
managedFields an API server keeps, and serves them with tests/kube_stub.py
twice:

- listed: the stub holds every object when the webhook starts; VmRSS of
  the webhook once it logs "kube: synced" (and its rbac_objects gauge says
  every object is in);
- watched: the stub starts empty, the webhook syncs, then every object is
  put through the control port, each an ADDED event on the webhook's open
  watches; VmRSS once rbac_objects counts them all.

The objects are the same both times (the stub writes the same
managedFields, uid and timestamps when put). Prints VmRSS after sync with
no objects, after each build, and bytes per object over the empty figure.
Figures only: nothing here asserts a size. Every process it starts is
killed at exit.
"""
import argparse
import atexit
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
STUB = os.path.join(ROOT, "tests", "kube_stub.py")
sys.path.insert(0, os.path.join(ROOT, "tests"))
import opstest  # noqa: E402 - from tests/, put on the path just above
TIME = "2026-12-01T10:00:00Z"

procs = []


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(cleanup)


def uid():
    """A new uid, the same from run to run."""
    uid.n += 1
    return f"00000000-0000-4000-8000-{uid.n:012d}"


uid.n = 0


def managed(api, fields):
    """What kube_stub.py's /put writes: one Update entry."""
    return [{"manager": "kube-stub", "operation": "Update", "apiVersion": api,
             "time": TIME, "fieldsType": "FieldsV1",
             "fieldsV1": {f"f:{f}": {} for f in fields}}]


def rolebinding(ns, i, n):
    """The i-th of a namespace's RoleBindings (n of them)."""
    api = "rbac.authorization.k8s.io/v1"
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole"}
    if i == 0:
        name, ref["name"] = "system:image-pullers", "system:image-puller"
        subjects = [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                     "name": f"system:serviceaccounts:{ns}"}]
    elif i == 1:
        name, ref["name"] = "system:image-builders", "system:image-builder"
        subjects = [{"kind": "ServiceAccount", "name": "builder",
                     "namespace": ns}]
    elif i == 2:
        name, ref["name"] = "system:deployers", "system:deployer"
        subjects = [{"kind": "ServiceAccount", "name": "deployer",
                     "namespace": ns}]
    elif i == 3:
        name, ref["name"] = "admin", "admin"
        subjects = [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                     "name": f"owner-{ns}"}]
    elif i % 2 == 0:
        # Another project's service accounts may pull from this one.
        other = f"project-{(int(ns.split('-')[1]) + i) % n:05d}"
        name, ref["name"] = f"pull-from-{other}-{i}", "system:image-puller"
        subjects = [{"kind": "ServiceAccount", "name": f"app-{i % 6}",
                     "namespace": other},
                    {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                     "name": f"system:serviceaccounts:{other}"}]
    else:
        name, ref["name"] = f"team-{i}-edit", "edit"
        subjects = [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io",
                     "name": f"dev-{i}@example.com"},
                    {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                     "name": f"team-{i}"}]
    return {"apiVersion": api, "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns,
                         "uid": uid(), "creationTimestamp": TIME,
                         "managedFields": managed(api, ["roleRef", "subjects"])},
            "subjects": subjects, "roleRef": ref}


def serviceaccount(ns, i):
    names = ["builder", "default", "deployer"]
    name = names[i] if i < len(names) else f"app-{i - len(names)}"
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": ns,
                         "uid": uid(), "creationTimestamp": TIME,
                         "annotations": {"openshift.io/internal-registry-pull-secret-ref":
                                         f"{name}-dockercfg-x7k2p"},
                         "managedFields": managed("v1", ["imagePullSecrets",
                                                         "secrets"])},
            "secrets": [{"name": f"{name}-dockercfg-x7k2p"}],
            "imagePullSecrets": [{"name": f"{name}-dockercfg-x7k2p"}]}


def objects(n_rb, n_sa, n_ns):
    out = []
    for k in range(max(n_rb, n_sa)):
        ns = f"project-{k % n_ns:05d}"
        if k < n_rb:
            out.append(rolebinding(ns, k // n_ns, n_ns))
        if k < n_sa:
            out.append(serviceaccount(ns, k // n_ns))
    return out


class Stub:
    def __init__(self, tmp, certs, data):
        args = [sys.executable, STUB, "--cert", f"{certs}/tls.crt",
                "--key", f"{certs}/tls.key", "--token", "t",
                "--bookmark-interval", "5"]
        for d in data:
            args += ["--data", d]
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        procs.append(self.p)
        info = json.loads(self.p.stdout.readline())
        self.port, self.control = info["port"], info["control"]

    def put_all(self, objs):
        # A connection a put: on one kept open, the stub's answer (headers,
        # then body) waits out a delayed ACK each time.
        for o in objs:
            c = http.client.HTTPConnection("127.0.0.1", self.control,
                                           timeout=30)
            c.request("POST", "/put", json.dumps({"object": o}),
                      {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            c.close()
            if r.status != 200:
                sys.exit(f"kube_memory.py: stub /put: HTTP {r.status}")

    def stop(self):
        self.p.kill()
        self.p.wait()


class Webhook:
    def __init__(self, binary, tmp, certs, stub, name):
        kc = opstest.kubeconfig(os.path.join(tmp, f"{name}.kubeconfig"),
                                f"https://127.0.0.1:{stub.port}",
                                {"certificate-authority": f"{certs}/ca.crt"},
                                {"token": "t"})
        self.logpath = os.path.join(tmp, f"{name}.log")
        env = {k: v for k, v in os.environ.items()
               if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
        with open(self.logpath, "w") as log:
            self.p = subprocess.Popen(
                [binary, "serve", "--tls-cert", f"{certs}/tls.crt",
                 "--tls-key", f"{certs}/tls.key", "--listen", "127.0.0.1:0",
                 "--health-listen", "127.0.0.1:0", "--kube",
                 "--kubeconfig", kc],
                stdout=subprocess.DEVNULL, stderr=log, env=env)
        procs.append(self.p)
        self.health = int(self.wait(
            r"listening on http://127\.0\.0\.1:(\d+)", 10).group(1))

    def wait(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.logpath) as f:
                m = re.search(pattern, f.read())
            if m:
                return m
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        with open(self.logpath) as f:
            sys.exit(f"kube_memory.py: no /{pattern}/ in the log:\n{f.read()}")

    def objects(self):
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"http://127.0.0.1:{self.health}/metrics", timeout=10) as r:
            m = re.search(rb"^image_policy_webhook_rbac_objects (\d+)",
                          r.read(), re.M)
        return int(m.group(1)) if m else -1

    def wait_objects(self, n, timeout):
        end = time.monotonic() + timeout
        while self.objects() < n:
            if time.monotonic() > end:
                sys.exit(f"kube_memory.py: {self.objects()} of {n} objects "
                         f"after {timeout} s")
            time.sleep(0.1)

    def rss(self):
        """VmRSS in bytes, once it stops moving (allocations settle)."""
        last = -1
        for _ in range(50):
            with open(f"/proc/{self.p.pid}/status") as f:
                kb = int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))
            if kb == last:
                break
            last = kb
            time.sleep(0.2)
        return kb * 1024

    def stop(self):
        self.p.kill()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rolebindings", type=int, default=12000)
    ap.add_argument("--serviceaccounts", type=int, default=9000)
    ap.add_argument("--namespaces", type=int, default=1000)
    args = ap.parse_args()
    binary = os.environ.get("BIN", os.path.join(ROOT, "bin",
                                                "image-policy-webhook"))
    if not os.access(binary, os.X_OK):
        sys.exit(f"kube_memory.py: no binary {binary} (make, or set BIN)")
    tmp = tempfile.mkdtemp(prefix="ipw-kube-memory-")
    atexit.register(shutil.rmtree, tmp, True)
    certs = os.path.join(tmp, "certs")
    subprocess.run([os.path.join(ROOT, "hack", "dev-certs.sh"), certs],
                   check=True, stdout=subprocess.DEVNULL)
    objs = objects(args.rolebindings, args.serviceaccounts, args.namespaces)
    n = len(objs)
    data = os.path.join(tmp, "objects.json")
    with open(data, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "metadata": {},
                   "items": objs}, f)
    mib = 1 << 20

    # Listed: every object in the stub before the webhook starts.
    stub = Stub(tmp, certs, [data])
    wh = Webhook(binary, tmp, certs, stub, "listed")
    t0 = time.monotonic()
    wh.wait(r"kube: synced", 300)
    wh.wait_objects(n, 60)
    listed_s = time.monotonic() - t0
    listed = wh.rss()
    wh.stop()
    stub.stop()

    # Watched: synced empty, then every object an ADDED event.
    stub = Stub(tmp, certs, [])
    wh = Webhook(binary, tmp, certs, stub, "watched")
    wh.wait(r"kube: synced", 60)
    empty = wh.rss()
    t0 = time.monotonic()
    stub.put_all(objs)
    wh.wait_objects(n, 600)
    watched_s = time.monotonic() - t0
    watched = wh.rss()
    wh.stop()
    stub.stop()

    print(f"{args.rolebindings} RoleBindings + {args.serviceaccounts} "
          f"ServiceAccounts in {args.namespaces} namespaces: {n} objects, "
          f"{os.path.getsize(data) / mib:.1f} MiB of JSON")
    print(f"{'index built from':<18} {'VmRSS MiB':>10} {'bytes/object':>13} "
          f"{'seconds':>8}")
    print(f"{'(no objects)':<18} {empty / mib:>10.1f} {'':>13} {'':>8}")
    for what, rss, s in (("watch events", watched, watched_s),
                         ("the list", listed, listed_s)):
        print(f"{what:<18} {rss / mib:>10.1f} {(rss - empty) / n:>13.0f} "
              f"{s:>8.1f}")
    print(f"list / watch: {listed / watched:.3f} of VmRSS, "
          f"{(listed - empty) / (watched - empty):.3f} of bytes per object")


if __name__ == "__main__":
    main()
