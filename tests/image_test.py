#!/usr/bin/env python3
"""image_test.py - the built image, run as the manifests' Deployment runs it.

    IMAGE=localhost/image-policy-webhook:TAG [VERSION=TAG] tests/image_test.py

Renders manifests/overlays/self-signed (kubectl kustomize) and takes from
its Deployment what a kubelet would: the container's securityContext and
the pod's, the args, the volumes and their mount paths, the probes, the
preStop hook and terminationGracePeriodSeconds. Every flag given to
`podman run` comes from there, so the image is tried under exactly what
the manifests ask (--read-only, --cap-drop=all, no-new-privileges, the
numeric user and groups, podman's default seccomp profile for
RuntimeDefault), and the running process is checked from the host
(/proc/PID/status and mountinfo). The serving pair is made by the image's
own `certs` command and mounted read only with the layout of a Secret
volume (..data symlink to a timestamped directory, defaultMode, group
fsGroup), the config as the ConfigMap's; --network=host with --listen and
--health-listen on 127.0.0.1 and free ports (--kube left out: no API
server here). Checks: the image's files (no shell, no package manager,
only the programs the pod runs, under 25 MB), its user, ports and
entrypoint against the Deployment; the probes' paths on the port they
name; the /mutate and /validate fixture cases of tests/fixtures/apiserver-v1.20
(and -no-bindings) answered as recorded; /metrics counting them, with the version; a new
pair swapped in through ..data served without a restart; /bin/sh absent;
the preStop command run in the container; `podman stop` (SIGTERM) ending
it with exit 0 within the grace period; then a second run as OpenShift's
restricted-v2 SCC would run the openshift overlay (an arbitrary user,
group 0, its fsGroup owning the volumes). One line per check, then
"N passed, N failed"; exit 1 on any failure, 2 on bad input. The
container and the files are removed at the end; the run is bounded.
"""
import glob
import hashlib
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
import tarfile
import tempfile
import time

import jsoncmp
import opstest
from opstest import check

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVERLAY = os.path.join(ROOT, "manifests", "overlays", "self-signed")
# Recorded from kube-apiserver v1.20; without bindings, as here (no --kube).
CASES = [os.path.join(ROOT, "tests", "fixtures", d)
         for d in ("apiserver-v1.20", "apiserver-v1.20-no-bindings")]
MAX_BYTES = 25 * 1000 * 1000  # the size target, as podman counts (MB)
# The only files besides programs and shared libraries the image may hold:
# what the libraries read and the user's names (hack/image-rootfs.sh).
DATA_FILES = {"etc/passwd", "etc/group", "etc/nsswitch.conf",
              "usr/lib/ssl/openssl.cnf", "etc/gnutls/config"}
SHELLS = {"sh", "bash", "dash", "ash", "busybox", "zsh", "ksh"}
PACKAGE_TOOLS = {"apt", "apt-get", "dpkg", "rpm", "apk", "microdnf", "yum"}
HEADERS = {"User-Agent": "kube-apiserver-admission",
           "Accept": "application/json, */*",
           "Content-Type": "application/json"}
NAME = f"ipw-image-test-{os.getpid()}"


class Abort(Exception):
    """A step the rest depends on failed (already reported)."""


def bad(msg):
    print(f"image_test.py: {msg}", file=sys.stderr)
    sys.exit(2)


def podman(*args, timeout=120, **kw):
    try:
        return subprocess.run(["podman"] + list(args), capture_output=True,
                              timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, b"", b"podman timed out")


def text(b):
    return b.decode("utf-8", "replace").strip() if isinstance(b, bytes) else b


# -- the manifests ------------------------------------------------------------

def render():
    """The self-signed overlay's Deployment and ConfigMap."""
    import yaml
    r = subprocess.run([os.environ.get("KUBECTL", "kubectl"), "kustomize",
                        OVERLAY], capture_output=True, text=True)
    if r.returncode != 0:
        bad(f"kubectl kustomize {OVERLAY}: {r.stderr.strip()[:300]}")
    objs = [o for o in yaml.safe_load_all(r.stdout) if o]
    deps = [o for o in objs if o["kind"] == "Deployment"]
    if len(deps) != 1:
        bad(f"{OVERLAY}: want one Deployment, rendered {len(deps)}")
    return deps[0], {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"}


def arg_value(args, flag):
    for i, a in enumerate(args):
        if a.startswith(flag + "="):
            return a[len(flag) + 1:]
        if a == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def replace_arg(args, flag, value):
    """args with flag's value replaced (flag=V or flag V form kept)."""
    out = list(args)
    for i, a in enumerate(out):
        if a.startswith(flag + "="):
            out[i] = f"{flag}={value}"
        elif a == flag and i + 1 < len(out):
            out[i + 1] = value
    return out


def port_of(listen):
    return int(listen.rsplit(":", 1)[1]) if listen else None


class Pod:
    """What the kubelet would take from the Deployment."""

    def __init__(self, d):
        spec = d["spec"]["template"]["spec"]
        self.ctr = spec["containers"][0]
        self.psc = spec.get("securityContext", {})
        self.csc = self.ctr.get("securityContext", {})
        # Container fields win over the pod's, as in Kubernetes.
        self.sc = dict(self.psc, **self.csc)
        self.grace = spec.get("terminationGracePeriodSeconds", 30)
        self.volumes = {v["name"]: v for v in spec.get("volumes", [])}
        self.mounts = self.ctr.get("volumeMounts", [])
        self.ports = {p["name"]: p["containerPort"] for p in self.ctr.get("ports", [])}
        self.args = self.ctr.get("args", [])
        pre = self.ctr.get("lifecycle", {}).get("preStop", {})
        self.prestop = pre.get("exec", {}).get("command")

    def user(self):
        return self.sc.get("runAsUser"), self.sc.get("runAsGroup")

    def podman_flags(self):
        """podman run flags for the securityContext; bad() on a field this
        test cannot reproduce, so that no setting is silently dropped."""
        flags = []
        known = {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup",
                 "readOnlyRootFilesystem", "allowPrivilegeEscalation",
                 "privileged", "capabilities", "seccompProfile"}
        unknown = set(self.sc) - known
        if unknown:
            bad(f"securityContext fields this test cannot run: {sorted(unknown)}")
        uid, gid = self.user()
        if uid is not None:
            flags.append(f"--user={uid}:{gid if gid is not None else uid}")
        if self.psc.get("fsGroup") is not None:
            flags.append(f"--group-add={self.psc['fsGroup']}")
        if self.sc.get("readOnlyRootFilesystem"):
            # Kubernetes mounts no tmpfs on /tmp or /run; podman would.
            flags += ["--read-only", "--read-only-tmpfs=false"]
        if self.sc.get("allowPrivilegeEscalation") is False:
            flags.append("--security-opt=no-new-privileges")
        if self.sc.get("privileged"):
            flags.append("--privileged")
        caps = self.sc.get("capabilities", {})
        flags += [f"--cap-drop={c.lower()}" for c in caps.get("drop", [])]
        flags += [f"--cap-add={c.lower()}" for c in caps.get("add", [])]
        seccomp = self.sc.get("seccompProfile", {}).get("type")
        if seccomp not in (None, "RuntimeDefault"):
            bad(f"seccompProfile {seccomp}: only RuntimeDefault (podman's default) is run here")
        return flags


# -- the image ----------------------------------------------------------------

def image_files(image):
    """{path: TarInfo} of the image's filesystem (podman export)."""
    r = podman("create", image)
    if r.returncode != 0:
        bad(f"podman create {image}: {text(r.stderr)}")
    cid = text(r.stdout)
    try:
        with tempfile.TemporaryFile() as f:
            p = subprocess.run(["podman", "export", cid], stdout=f,
                               stderr=subprocess.PIPE, timeout=120)
            if p.returncode != 0:
                bad(f"podman export: {text(p.stderr)}")
            f.seek(0)
            with tarfile.open(fileobj=f) as t:
                return {m.name.lstrip("./"): m for m in t.getmembers()
                        if m.name.strip("./")}
    finally:
        podman("rm", "-f", cid)


def check_image(pod, info, files):
    cfg = info.get("Config", {})
    size = info.get("Size", 0)
    check(0 < size < MAX_BYTES, f"image size {size / 1e6:.1f} MB, under {MAX_BYTES / 1e6:.0f} MB")
    uid, gid = pod.user()
    check(cfg.get("User") == f"{uid}:{gid}" and uid not in (None, 0),
          f"image user {cfg.get('User')}: the Deployment's runAsUser:runAsGroup, numeric, not root")
    exposed = sorted(int(p.split("/")[0]) for p in cfg.get("ExposedPorts", {}))
    check(exposed == sorted(pod.ports.values()),
          f"image exposes {exposed}: the Deployment's container ports", sorted(pod.ports.values()))
    ep = cfg.get("Entrypoint") or []
    check(len(ep) == 1 and "command" not in pod.ctr and ep[0].lstrip("/") in files,
          f"entrypoint {ep} in the image; the Deployment sets args only, so it runs")
    check(cfg.get("StopSignal") in (None, "", "15", "SIGTERM"),
          "stop signal SIGTERM (what the kubelet sends)", cfg.get("StopSignal"))
    names = {os.path.basename(p) for p in files}
    check(not names & SHELLS, "no shell in the image", sorted(names & SHELLS))
    check(not names & PACKAGE_TOOLS and not any(p.startswith(("var/lib/dpkg", "etc/apt"))
                                                 for p in files),
          "no package manager in the image", sorted(names & PACKAGE_TOOLS))
    regular = {p: m for p, m in files.items() if m.isfile()}
    programs = sorted(p for p, m in regular.items()
                      if m.mode & 0o111 and not re.search(r"\.so(\.|$)", p))
    want = sorted({ep[0].lstrip("/")} | ({pod.prestop[0].lstrip("/")} if pod.prestop else set()))
    check(programs == want, f"programs: the entrypoint and the preStop command only {want}",
          programs)
    other = sorted(p for p in regular if p not in programs and
                   not re.search(r"\.so(\.|$)", p) and p not in DATA_FILES)
    check(not other, "other files: only the libraries' configuration and the user's names",
          other)
    owned = [p for p, m in files.items() if m.uid != 0 or m.mode & 0o022]
    check(not owned, "every file root's and not writable by others", owned[:5])


# -- volumes laid out as the kubelet does ------------------------------------

class Volume:
    """A directory laid out as the kubelet's atomic writer makes a Secret or
    ConfigMap volume: KEY -> ..data/KEY, ..data -> ..TIMESTAMP/."""

    def __init__(self, path, mode, group):
        self.path, self.mode, self.group, self.n = path, mode, group, 0
        os.makedirs(path)
        os.chmod(path, 0o755)
        os.chown(path, 0, group if group is not None else 0)

    def put(self, files):
        """files {KEY: bytes}: a new timestamped directory swapped in by a
        rename of ..data; the old one removed after."""
        self.n += 1
        ts = f"..2026_01_01_00_00_{self.n:02d}.{os.getpid()}"
        d = os.path.join(self.path, ts)
        os.mkdir(d)
        os.chmod(d, 0o755)
        for k, v in files.items():
            p = os.path.join(d, k)
            with open(p, "wb") as f:
                f.write(v)
            os.chown(p, 0, self.group if self.group is not None else 0)
            os.chmod(p, self.mode)
        data = os.path.join(self.path, "..data")
        old = os.readlink(data) if os.path.islink(data) else None
        tmp = os.path.join(self.path, "..data_tmp")
        os.symlink(ts, tmp)
        os.rename(tmp, data)
        for k in files:
            link = os.path.join(self.path, k)
            if not os.path.islink(link):
                os.symlink(os.path.join("..data", k), link)
        if old:
            shutil.rmtree(os.path.join(self.path, old))


# -- the running container ----------------------------------------------------

class Container:
    def __init__(self, image, flags, mounts, args, name=NAME):
        self.image, self.flags, self.mounts, self.args = image, flags, mounts, args
        self.name = name
        self.pid = None

    def run(self):
        vols = [f"--volume={src}:{dst}:ro" for src, dst in self.mounts]
        r = podman("run", "--detach", f"--name={self.name}", "--network=host",
                   *self.flags, *vols, self.image, *self.args)
        if not check(r.returncode == 0, "podman run " + " ".join(self.flags),
                     text(r.stderr)):
            return False
        r = podman("inspect", "--format", "{{.State.Pid}}", self.name)
        self.pid = int(text(r.stdout) or 0)
        return True

    def state(self):
        r = podman("inspect", "--format", "{{json .State}}", self.name)
        return json.loads(r.stdout) if r.returncode == 0 else {}

    def logs(self):
        r = podman("logs", self.name)
        return text(r.stdout + r.stderr).splitlines()

    def remove(self):
        podman("rm", "--force", "--time=0", self.name)


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.split()
    except OSError:
        pass
    return out


def root_mount_options(pid):
    """The mount options of the process's / (from /proc/PID/mountinfo)."""
    try:
        with open(f"/proc/{pid}/mountinfo") as f:
            for line in f:
                parts = line.split()
                if parts[4] == "/":
                    return parts[5].split(",")
    except OSError:
        pass
    return []


def check_process(pod, c):
    st = proc_status(c.pid)
    uid, gid = pod.user()
    check(st.get("Uid") == [str(uid)] * 4 and st.get("Gid") == [str(gid)] * 4,
          f"process runs as {uid}:{gid} (real, effective, saved, fs)", (st.get("Uid"), st.get("Gid")))
    fsg = pod.psc.get("fsGroup")
    check(fsg is None or str(fsg) in st.get("Groups", []),
          f"fsGroup {fsg} among its groups", st.get("Groups"))
    if pod.sc.get("capabilities", {}).get("drop") == ["ALL"]:
        caps = {k: st.get(k, ["?"])[0] for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
        check(all(v == "0000000000000000" for v in caps.values()),
              "no capability: inheritable, permitted, effective, bounding, ambient all 0", caps)
    if pod.sc.get("allowPrivilegeEscalation") is False:
        check(st.get("NoNewPrivs") == ["1"], "no_new_privs set", st.get("NoNewPrivs"))
    if pod.sc.get("seccompProfile", {}).get("type") == "RuntimeDefault":
        check(st.get("Seccomp") == ["2"], "seccomp filter on (the runtime's default profile)",
              st.get("Seccomp"))
    if pod.sc.get("readOnlyRootFilesystem"):
        check("ro" in root_mount_options(c.pid), "root filesystem mounted read only",
              root_mount_options(c.pid))


# -- HTTP ---------------------------------------------------------------------

def http_get(port, path, timeout=3):
    """(status, headers, body) over plain HTTP, or (None, None, error)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r, r.read()
    except OSError as e:
        return None, None, str(e).encode()
    finally:
        conn.close()


def served_cert(port, ctx):
    """SHA-256 of the certificate the HTTPS port serves (DER), or None."""
    try:
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 5),
                             server_hostname="127.0.0.1") as s:
            return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()
    except OSError:
        return None


def pem_fingerprint(pem):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.decode())).hexdigest()


def probe(pod, name, hports):
    """(path, host port) of the probe named: its port (a name or a number)
    resolved to the container port, then to where it listens here."""
    p = pod.ctr.get(name, {}).get("httpGet", {})
    port = pod.ports.get(p.get("port"), p.get("port"))
    return p.get("path"), p.get("scheme", "HTTP"), hports.get(port)


def post_cases(port, ctx, cases):
    """Post each case over one keep-alive connection; {endpoint: [fails]}."""
    fails = {"mutate": [], "validate": []}
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=15)
    try:
        for path, case in cases:
            ep = case["endpoint"]
            name = os.path.basename(path)
            try:
                conn.request("POST", f"/{ep}?timeout=10s",
                             body=json.dumps(case["request"]).encode(), headers=HEADERS)
                r = conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException) as e:
                fails[ep].append(f"{name}: {e!r}")
                conn.close()
                continue
            if r.status != 200:
                fails[ep].append(f"{name}: status {r.status}")
                continue
            d = jsoncmp.compare(case["answer"], json.loads(body))
            if d:
                fails[ep].append(f"{name}: {'; '.join(d)[:200]}")
    finally:
        conn.close()
    return fails


def metric_sum(text_, name, **labels):
    total = 0.0
    for line in text_.splitlines():
        m = re.match(r"^(\w+)(\{[^}]*\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


# -- the run ------------------------------------------------------------------

def volumes(pod, configmaps, pair, where, group):
    """Each volume mount of the Deployment, made under where as its source
    would fill it, files of group group: ([(host dir, mountPath)], the TLS
    Secret's Volume)."""
    mounts, tls_vol = [], None
    for m in pod.mounts:
        v = pod.volumes[m["name"]]
        if not m.get("readOnly"):
            check(False, f"volume {m['name']} mounted read only")
        src = os.path.join(where, m["name"])
        if "secret" in v:
            vol = Volume(src, v["secret"].get("defaultMode", 0o644), group)
            vol.put({"tls.crt": pair[0], "tls.key": pair[1]})
            tls_vol = vol
        elif "configMap" in v:
            cm = configmaps[v["configMap"]["name"]]
            vol = Volume(src, v["configMap"].get("defaultMode", 0o644), group)
            vol.put({k: s.encode() for k, s in cm["data"].items()})
        else:
            bad(f"volume {m['name']}: only secret and configMap volumes are run here")
        mounts.append((src, m["mountPath"]))
    return mounts, tls_vol


def loopback_args(pod):
    """The Deployment's args with --listen and --health-listen on 127.0.0.1
    and free ports, --kube left out (no API server here; make e2e-cluster
    WEBHOOK_IMAGE=... runs that): (args, port, health port, {container
    port: port here})."""
    port, hport = opstest.free_port(), opstest.free_port()
    args = [a for a in pod.args if a != "--kube"]
    lport = port_of(arg_value(args, "--listen"))
    hlport = port_of(arg_value(args, "--health-listen"))
    args = replace_arg(args, "--listen", f"127.0.0.1:{port}")
    args = replace_arg(args, "--health-listen", f"127.0.0.1:{hport}")
    return args, port, hport, {lport: port, hlport: hport}


def openshift_run(image, pod, configmaps, pair, work):
    """As OpenShift's restricted-v2 SCC runs the openshift overlay (which
    leaves user and groups to it): a user of the namespace's range, group
    0, the range's first id as fsGroup owning the volumes; the rest of the
    securityContext as before. Ready, then stopped with exit 0."""
    uid = 1000650000
    flags = [f for f in pod.podman_flags() if not f.startswith(("--user=", "--group-add="))]
    flags += [f"--user={uid}:0", f"--group-add={uid}"]
    mounts, _ = volumes(pod, configmaps, pair, os.path.join(work, "vol-openshift"), uid)
    args, _, _, hports = loopback_args(pod)
    c = Container(image, flags, mounts, args, name=NAME + "-openshift")
    try:
        if not c.run():
            return
        rpath, _, rport = probe(pod, "readinessProbe", hports)
        ready = opstest.wait_for(lambda: http_get(rport, rpath)[0] == 200, 20, 0.1)
        r = podman("stop", f"--time={pod.grace}", c.name, timeout=pod.grace + 30)
        check(ready and r.returncode == 0 and c.state().get("ExitCode") == 0,
              f"as restricted-v2 runs it (user {uid}, group 0, fsGroup {uid}): "
              "reads the volumes, ready, exit 0 on stop", c.logs()[-3:])
    finally:
        c.remove()



def make_pair(image, pod, work, first):
    """A serving pair from the image's own `certs` (CA kept in work/pki, so
    the second call renews only the serving certificate): (crt, key)."""
    r = podman("run", "--rm", "--network=none", *pod.podman_flags(),
               f"--volume={work}:/out", image, "certs",
               "--service", "image-policy-webhook", "--namespace", "image-policy-webhook",
               "--hosts", "127.0.0.1", "--out", "/out/pki")
    what = "the image's certs command makes a CA and a serving pair" if first else \
        "the image's certs command renews the serving pair (same CA)"
    if not check(r.returncode == 0 and os.path.exists(os.path.join(work, "pki", "tls.key")),
                 what, text(r.stderr)):
        return None
    with open(os.path.join(work, "pki", "tls.crt"), "rb") as f:
        crt = f.read()
    with open(os.path.join(work, "pki", "tls.key"), "rb") as f:
        key = f.read()
    return crt, key


def main():
    image = os.environ.get("IMAGE", "")
    if not image:
        bad("set IMAGE to the image to test (make image-test does)")
    for tool in ("podman", os.environ.get("KUBECTL", "kubectl")):
        if shutil.which(tool) is None:
            bad(f"{tool} not found (hack/install-deps.sh --image)")
    try:
        import yaml  # noqa: F401
    except ImportError:
        bad("no PyYAML for this python3 (apt-get install python3-yaml)")
    if os.geteuid() != 0:
        bad("run as root: the volumes are owned as the kubelet would own them")
    r = podman("image", "inspect", image)
    if r.returncode != 0:
        bad(f"no image {image} (make image)")
    info = json.loads(r.stdout)[0]

    def alarm(*_):
        raise TimeoutError("the whole run took over 3 minutes")
    signal.signal(signal.SIGALRM, alarm)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    signal.alarm(180)
    t_start = time.monotonic()
    d, configmaps = render()
    pod = Pod(d)
    flags = pod.podman_flags()
    work = tempfile.mkdtemp(prefix="ipw-image-")
    c = None
    try:
        files = image_files(image)
        check_image(pod, info, files)
        uid, gid = pod.user()
        os.chown(work, uid, gid)

        # Volumes: each mount of the Deployment, filled as its source would be.
        pair = make_pair(image, pod, work, True)
        if pair is None:
            raise Abort()
        mounts, tls_vol = volumes(pod, configmaps, pair, os.path.join(work, "vol"),
                                  pod.psc.get("fsGroup"))
        args, port, hport, hports = loopback_args(pod)
        c = Container(image, flags, mounts, args)
        t0 = time.monotonic()
        if not c.run():
            raise Abort()
        check_process(pod, c)

        rpath, rscheme, rport = probe(pod, "readinessProbe", hports)
        ready = opstest.wait_for(lambda: http_get(rport, rpath)[0] == 200, 20, 0.1) \
            if rport else False
        check(ready and rscheme == "HTTP",
              f"readiness probe: {rscheme} GET {rpath} on the port it names answers 200 "
              f"({time.monotonic() - t0:.1f} s after start)", c.logs()[-3:])
        lpath, lscheme, lport_ = probe(pod, "livenessProbe", hports)
        st, _, body = http_get(lport_, lpath) if lport_ else (None, None, b"")
        check(st == 200 and lscheme == "HTTP" and json.loads(body or b"{}").get("status") == "ok",
              f"liveness probe: {lscheme} GET {lpath} answers 200 {{\"status\":\"ok\"}}", (st, body))

        ctx = ssl.create_default_context(cafile=os.path.join(work, "pki", "ca.crt"))
        cases = []
        for p in sorted(p for d in CASES for p in glob.glob(os.path.join(d, "*.json"))):
            with open(p) as f:
                case = json.load(f)
            if "config" not in case and "bindings" not in case:
                cases.append((p, case))
        fails = post_cases(port, ctx, cases)
        for ep in ("mutate", "validate"):
            n = sum(1 for _, x in cases if x["endpoint"] == ep)
            check(n > 0 and not fails[ep],
                  f"/{ep}: {n} reviews recorded from kube-apiserver answered the same "
                  "(HTTPS, the manifests' config)", fails[ep][:3])

        st, resp, body = http_get(hport, "/metrics")
        m = body.decode("utf-8", "replace")
        ctype = resp.getheader("Content-Type", "") if resp else ""
        n_mut = sum(1 for _, x in cases if x["endpoint"] == "mutate")
        check(st == 200 and ctype.startswith("text/plain") and
              metric_sum(m, "image_policy_webhook_reviews_total", endpoint="mutate") == n_mut,
              f"/metrics: reviews_total counts the {n_mut} /mutate reviews", (st, ctype))
        want = os.environ.get("VERSION")
        bi = re.search(r'image_policy_webhook_build_info\{version="([^"]*)"', m)
        check(bi is not None and (not want or bi.group(1) == want),
              f"/metrics: build_info version {bi.group(1) if bi else None!r}"
              + (f" (the build's: {want})" if want else ""))

        # Rotation through ..data, as the kubelet updates a Secret.
        before = served_cert(port, ctx)
        check(before == pem_fingerprint(pair[0]), "serves the mounted certificate")
        pair2 = make_pair(image, pod, work, False)
        if pair2 and tls_vol:
            t0 = time.monotonic()
            tls_vol.put({"tls.crt": pair2[0], "tls.key": pair2[1]})
            new = pem_fingerprint(pair2[0])
            got = opstest.wait_for(lambda: served_cert(port, ctx) == new, 15, 0.2)
            check(got and new != before,
                  f"a new pair swapped in through ..data is served {time.monotonic() - t0:.1f} s "
                  "later, no restart", c.logs()[-3:])
            one = {x["endpoint"]: (p, x) for p, x in cases}
            fails = post_cases(port, ctx, list(one.values()))
            check(not fails["mutate"] and not fails["validate"], "reviews answered with the new pair",
                  fails)

        r = podman("exec", NAME, "/bin/sh", "-c", "true")
        check(r.returncode != 0 and "/bin/sh" in text(r.stderr) and "no such file" in text(r.stderr),
              "no /bin/sh to exec", text(r.stderr)[:200])

        # Termination as the kubelet does it: the preStop hook, then
        # SIGTERM, then SIGKILL after terminationGracePeriodSeconds.
        t0 = time.monotonic()
        spent = 0.0
        if pod.prestop:
            r = podman("exec", NAME, *pod.prestop, timeout=pod.grace)
            spent = time.monotonic() - t0
            still = http_get(rport, rpath)[0] if rport else None
            check(r.returncode == 0 and still == 200,
                  f"preStop {pod.prestop} runs in the image ({spent:.1f} s), still ready after it",
                  (r.returncode, text(r.stderr)[:200], still))
        left = max(1, int(pod.grace - spent))
        t1 = time.monotonic()
        r = podman("stop", f"--time={left}", NAME, timeout=left + 30)
        took = time.monotonic() - t1
        s = c.state()
        grace = int(arg_value(pod.args, "--grace-period") or 10)
        check(r.returncode == 0 and s.get("ExitCode") == 0 and not s.get("OOMKilled")
              and took < min(left, grace + 2),
              f"podman stop (SIGTERM): exit {s.get('ExitCode')} in {took:.1f} s, within the "
              f"server's {grace} s grace period and the pod's {pod.grace} s",
              (text(r.stderr), s.get("Error")))
        lines = c.logs()
        parsed = []
        for line in lines:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                parsed.append(None)
        check(lines and all(isinstance(x, dict) and "level" in x for x in parsed)
              and parsed[-1].get("msg") == "stopped",
              f"{len(lines)} log lines, each JSON, the last \"stopped\"",
              [x for x, p in zip(lines, parsed) if p is None][:3] or lines[-2:])
        openshift_run(image, pod, configmaps, pair, work)
        print(f"# image-test took {time.monotonic() - t_start:.1f} s", flush=True)
    except TimeoutError as e:
        check(False, "bounded run", str(e))
    except Abort:
        pass
    finally:
        signal.alarm(0)
        if c is not None:
            if opstest.failed:
                print("--- last lines of the container log:")
                for line in c.logs()[-15:]:
                    print(line[:400])
            c.remove()
        shutil.rmtree(work, True)
    opstest.finish()


if __name__ == "__main__":
    main()
