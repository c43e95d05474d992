#!/usr/bin/env python3
"""cluster_test.py - end to end against a real control plane: etcd,
kube-apiserver v1.20 and kube-controller-manager on loopback.

    BIN=bin/image-policy-webhook tests/cluster_test.py [-k NAME]
    BIN=... WEBHOOK_IMAGE=localhost/image-policy-webhook:TAG tests/cluster_test.py

Starts hack/kube-cluster.sh (which builds the servers once), registers the
webhooks rendered from manifests/ (kubectl kustomize) with a URL on
127.0.0.1 and the CA bundle, runs the webhook with --kube under the token
of the ServiceAccount that manifests/base/rbac.yaml binds, then drives
kubectl as a user would: pull-policy patches on Pods, Deployments (and the
ReplicaSets and Pods the controller-manager makes), CronJobs; cross-project
denials as kubectl prints them; RoleBindings and aggregated ClusterRoles
changing decisions; a Deployment's denied pods in its ReplicaSet's events;
the API server restarted under the webhook; a RoleBinding deleted under a
running Deployment reported by serve --audit-interval (gauge and warn
line), can-pull --kube before and after, audit --output policyreport
applied under a PolicyReport CRD (tests/fixtures/crds/); the webhook down
with failurePolicy Fail. With WEBHOOK_IMAGE the webhook runs from that
image (podman run, locked down as the manifests ask) rather than from BIN,
which still makes the certificates. Pod creates are timed with and without the webhooks
(printed, not asserted). One line per check, then "N passed, N failed";
exit 1 on any failure. Every process it starts is stopped by its PID at
the end, and no listener is left on the ports used; the whole run is
bounded by an alarm.
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
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import opstest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLUSTER = os.path.join(ROOT, "hack", "kube-cluster.sh")
# Ports of the control plane, passed to kube-cluster.sh: free loopback
# ports picked at start (etcd's peer port is the next one), or the
# environment's.
PORTS = {"KUBE_ETCD_PORT": 0, "KUBE_API_PORT": 0, "KUBE_CM_PORT": 0}
WEBHOOK_NS = "image-policy-webhook"
WEBHOOK_SA = f"system:serviceaccount:{WEBHOOK_NS}:image-policy-webhook"
REGISTRY = "image-registry.openshift-image-registry.svc:5000"
VALIDATING = "image-policy.image-policy-webhook.io"
MUTATING = "pull-policy.image-policy-webhook.io"
# How long a change may take to reach a decision (watch, index, API server).
FLIP_SECONDS = 10
CONTAINER = f"ipw-cluster-{os.getpid()}"  # with WEBHOOK_IMAGE

check = opstest.check
figures = []  # (name, text) printed at the end


class Env:
    image = None  # WEBHOOK_IMAGE: run the webhook from this image
    tmp = None
    cluster = None
    kubeconfig = None
    webhook = None
    port = None
    health = None
    ports_used = []


def log(msg):
    print(f"# {msg}", flush=True)


def wait_for(cond, timeout, step=0.2):
    """opstest.wait_for, polling less often: each poll runs kubectl."""
    return opstest.wait_for(cond, timeout, step)


def kubectl(*args, stdin=None, kubeconfig=None, timeout=60):
    """kubectl with the admin kubeconfig (or another); CompletedProcess."""
    cmd = ["kubectl", "--kubeconfig", kubeconfig or Env.kubeconfig] + list(args)
    if isinstance(stdin, (dict, list)):
        stdin = json.dumps(stdin)
    try:
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", "kubectl timed out")


def kget(*args, **kw):
    """kubectl get ... -o json, parsed (None on failure)."""
    r = kubectl("get", *args, "-o", "json", **kw)
    return json.loads(r.stdout) if r.returncode == 0 else None


class Abort(Exception):
    """A step the rest depends on failed (already reported)."""


def must(r, what):
    if r.returncode != 0:
        check(False, what, (r.stderr or r.stdout).strip()[:500])
        raise Abort(what)
    return r


def stderr_line(r):
    """kubectl's error, the warning about version skew left out."""
    return "\n".join(line for line in r.stderr.splitlines()
                     if "version difference" not in line).strip()


# -- the cluster and the webhook ------------------------------------------

def cluster(cmd, timeout=120):
    env = dict(os.environ, **{k: str(v) for k, v in PORTS.items()})
    return subprocess.run([CLUSTER, cmd, Env.cluster], env=env,
                          capture_output=True, text=True, timeout=timeout)


def namespace(name, label=True):
    """Create a namespace labelled as 1.21+ would; wait until pods can be
    made in it (the controller-manager's default ServiceAccount token)."""
    if kget("namespace", name) is None:
        must(kubectl("create", "namespace", name), f"create namespace {name}")
    if label:
        label_namespace(name)

    def token():
        sa = kget("serviceaccount", "default", "-n", name)
        return sa is not None and sa.get("secrets")
    if not wait_for(token, 20):
        check(False, f"namespace {name}: default ServiceAccount token")


def label_namespace(name):
    # 1.20 sets no kubernetes.io/metadata.name (1.21 does): the manifests'
    # namespaceSelector needs it to leave namespaces out.
    must(kubectl("label", "--overwrite", "namespace", name,
                 f"kubernetes.io/metadata.name={name}"), f"label {name}")


def render_manifests():
    """manifests/base rendered by kustomize: {kind: [objects]} (JSON)."""
    r = must(kubectl("kustomize", os.path.join(ROOT, "manifests", "base")),
             "kubectl kustomize manifests/base")
    wanted = {"Namespace", "ServiceAccount", "ClusterRole",
              "ClusterRoleBinding", "ConfigMap", "MutatingWebhookConfiguration",
              "ValidatingWebhookConfiguration"}
    docs = [d for d in re.split(r"^---$", r.stdout, flags=re.M) if d.strip()]
    keep = [d for d in docs
            if (re.search(r"^kind: (\S+)$", d, re.M) or [None, None])[1] in wanted]
    # The Deployment, Service and PodDisruptionBudget need nodes (and
    # policy/v1, which 1.20 does not serve); the webhook runs here instead.
    r = must(kubectl("create", "--dry-run=client", "-o", "json", "-f", "-",
                     stdin="\n---\n".join(keep)), "manifests to JSON")
    out = {}
    dec, text, i = json.JSONDecoder(), r.stdout, 0
    while text[i:].strip():  # one JSON object a document, back to back
        while text[i].isspace():
            i += 1
        obj, i = dec.raw_decode(text, i)
        out.setdefault(obj["kind"], []).append(obj)
    return out


def webhook_kubeconfig():
    """A kubeconfig with the token of the webhook's ServiceAccount."""
    def secret():
        sa = kget("serviceaccount", "image-policy-webhook", "-n", WEBHOOK_NS)
        return sa and sa.get("secrets") and sa["secrets"][0]["name"]
    name = wait_for(secret, 20)
    if not check(bool(name), "the webhook's ServiceAccount has a token"):
        raise Abort("token")
    s = kget("secret", name, "-n", WEBHOOK_NS)
    token = base64.b64decode(s["data"]["token"]).decode()
    path = os.path.join(Env.tmp, "webhook.kubeconfig")
    with open(path, "w") as f:
        json.dump({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "c", "cluster": {
                "server": f"https://127.0.0.1:{PORTS['KUBE_API_PORT']}",
                "certificate-authority": os.path.join(Env.cluster, "pki", "ca.crt")}}],
            "users": [{"name": "webhook", "user": {"token": token}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "webhook"}}],
            "current-context": "c"}, f)
    os.chmod(path, 0o600)
    return path


class Webhook:
    def __init__(self, config, kubeconfig, certs):
        self.args = [opstest.binary(), "serve",
                     "--tls-cert", os.path.join(certs, "tls.crt"),
                     "--tls-key", os.path.join(certs, "tls.key"),
                     "--listen", f"127.0.0.1:{Env.port}",
                     "--health-listen", f"127.0.0.1:{Env.health}",
                     "--config", config, "--kubeconfig", kubeconfig]
        # What the image must see of the host (WEBHOOK_IMAGE).
        self.paths = [certs, config, kubeconfig, os.path.join(Env.cluster, "pki", "ca.crt")]
        self.log_path = os.path.join(Env.tmp, "webhook.log")
        self.proc = None

    def start(self):
        """Start args (scenarios change them between runs)."""
        cmd = image_command(self.args, self.paths) if Env.image else self.args
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=self.logf)
        log(f"webhook PID {self.proc.pid} on 127.0.0.1:{Env.port}"
            + (f" (podman run {Env.image})" if Env.image else ""))

    def readyz(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{Env.health}/readyz", timeout=2) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def metrics(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{Env.health}/metrics", timeout=2) as r:
                return r.read().decode()
        except OSError:
            return ""

    def lines(self):
        out = []
        with open(self.log_path, "rb") as f:
            for line in f.read().decode("utf-8", "replace").splitlines():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"msg": line})
        return out

    def reviews(self):
        return [x for x in self.lines() if x.get("msg") == "review"]

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                if Env.image:
                    subprocess.run(["podman", "rm", "--force", "--time=0", CONTAINER],
                                   capture_output=True, timeout=60)
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.logf.close()
        self.proc = None


def image_command(args, paths):
    """The podman run command that runs args (the binary's) from
    WEBHOOK_IMAGE instead: locked down as manifests/ runs it (read-only
    root, no capability, no privilege escalation, the image's own
    non-root user; tests/image_test.py checks each against the
    Deployment), each path mounted read only where it is on the host and
    made the image user's (keys are 0600), the host's network for the
    loopback ports. In the foreground, so SIGTERM reaches the server
    through podman and its exit status is podman's."""
    r = subprocess.run(["podman", "image", "inspect", "--format", "{{.Config.User}}",
                        Env.image], capture_output=True, text=True)
    user = r.stdout.strip()
    if r.returncode != 0 or not re.fullmatch(r"[1-9][0-9]*:[0-9]+", user):
        check(False, f"WEBHOOK_IMAGE {Env.image}: an image with a numeric user",
              (r.stderr.strip() or user)[:300])
        raise Abort("image")
    uid, gid = (int(x) for x in user.split(":"))
    vols = []
    for p in paths:
        os.chown(p, uid, gid)
        for f in os.listdir(p) if os.path.isdir(p) else []:
            os.chown(os.path.join(p, f), uid, gid)
        vols.append(f"--volume={p}:{p}:ro")
    return ["podman", "run", "--rm", f"--name={CONTAINER}", "--network=host",
            "--read-only", "--read-only-tmpfs=false", "--cap-drop=all",
            "--security-opt=no-new-privileges", f"--user={user}", *vols,
            Env.image] + args[1:]


# -- objects ----------------------------------------------------------------

def pod(name, image, ns, policy=None, sa=None):
    c = {"name": "app", "image": image}
    if policy:
        c["imagePullPolicy"] = policy
    spec = {"containers": [c]}
    if sa:
        spec["serviceAccountName"] = sa
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def deployment(name, image, ns, replicas, policy=None):
    c = {"name": "app", "image": image}
    if policy:
        c["imagePullPolicy"] = policy
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas,
                     "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [c]}}}}


def cross(project, stream="app"):
    return f"{REGISTRY}/{project}/{stream}:v1"


def dry_pod(ns, image, sa=None):
    """Create a pod with --dry-run=server: admission (webhooks included)
    runs, nothing is stored. The CompletedProcess."""
    return kubectl("create", "--dry-run=server", "-o", "json", "-f", "-",
                   stdin=pod("probe", image, ns, sa=sa))


def allowed(ns, image, sa=None):
    return dry_pod(ns, image, sa).returncode == 0


def flips(ns, image, want, timeout=FLIP_SECONDS):
    """Seconds until a dry-run pod create is allowed (want True) or denied
    (False), or None."""
    t0 = time.monotonic()
    ok = wait_for(lambda: allowed(ns, image) == want, timeout, 0.1)
    return round(time.monotonic() - t0, 2) if ok else None


def policies(obj, path):
    spec = obj
    for p in path:
        spec = spec[p]
    return [c.get("imagePullPolicy") for c in spec["containers"]]


# -- scenarios --------------------------------------------------------------

def scenario_identity(wh):
    """Least privilege: the webhook, as its ServiceAccount, becomes ready
    and nothing it asks is forbidden."""
    ready = wait_for(lambda: wh.readyz() == 200, 30)
    check(ready, "webhook --kube as its ServiceAccount: /readyz 200",
          f"readyz {wh.readyz()}")
    lines = wh.lines()
    forbidden = [x["msg"] for x in lines
                 if "403" in x.get("msg", "") or "orbidden" in x.get("msg", "")]
    check(not forbidden, "nothing the webhook asks is forbidden",
          "; ".join(forbidden[:3]))
    synced = [x["msg"] for x in lines if "synced" in x.get("msg", "")]
    check(bool(synced), "the log says synced", "no synced line")
    notserved = [x["msg"] for x in lines if "not served (404)" in x.get("msg", "")]
    check(bool(notserved), "images.config.openshift.io: not served (404) on plain Kubernetes")
    r = kubectl("get", "secrets", "-A", kubeconfig=wh.args[-1])
    check(r.returncode != 0 and "Forbidden" in r.stderr,
          "the webhook's token is its ServiceAccount's (secrets forbidden)",
          stderr_line(r)[:200])
    for verb, res, want in (("list", "rolebindings", "yes"),
                            ("watch", "clusterroles", "yes"),
                            ("list", "serviceaccounts", "yes"),
                            ("get", "secrets", "no"),
                            ("create", "rolebindings", "no"),
                            ("list", "pods", "no")):
        r = kubectl("auth", "can-i", verb, res, "--all-namespaces",
                    f"--as={WEBHOOK_SA}")
        check(r.stdout.strip() == want,
              f"the manifests' ClusterRole: {verb} {res}: {want}",
              r.stdout.strip() + stderr_line(r))


def scenario_pull_policy(wh):
    """pullPolicy.mode enforce: an image :latest asked IfNotPresent becomes
    Always through the API server, on a Pod, a Deployment (and the
    ReplicaSet and Pods the controller-manager makes), a CronJob."""
    ns = "pull"
    namespace(ns)
    img = "registry.example.com/team/app:latest"
    r = kubectl("create", "-o", "json", "-f", "-",
                stdin=pod("p", img, ns, policy="IfNotPresent"))
    got = json.loads(r.stdout) if r.returncode == 0 else None
    check(got is not None and policies(got, ["spec"]) == ["Always"],
          "Pod: IfNotPresent on :latest stored as Always (mutating webhook)",
          stderr_line(r) or str(got and policies(got, ["spec"])))
    r = kubectl("create", "-o", "json", "-f", "-",
                stdin=pod("q", "registry.example.com/team/app:v1", ns))
    got = json.loads(r.stdout) if r.returncode == 0 else None
    check(got is not None and policies(got, ["spec"]) == ["IfNotPresent"],
          "Pod: :v1 keeps the API server's default IfNotPresent",
          stderr_line(r))
    r = kubectl("create", "-o", "json", "-f", "-",
                stdin=deployment("web", img, ns, 2, policy="IfNotPresent"))
    got = json.loads(r.stdout) if r.returncode == 0 else None
    check(got is not None and
          policies(got, ["spec", "template", "spec"]) == ["Always"],
          "Deployment: stored as Always", stderr_line(r))

    def made():
        pods = kget("pods", "-n", ns, "-l", "app=web")
        return pods if pods and len(pods["items"]) == 2 else None
    pods = wait_for(made, 30)
    rs = kget("replicasets", "-n", ns, "-l", "app=web")
    check(rs is not None and len(rs["items"]) == 1 and
          policies(rs["items"][0], ["spec", "template", "spec"]) == ["Always"],
          "ReplicaSet made by the controller-manager: Always")
    check(pods is not None and
          all(policies(p, ["spec"]) == ["Always"] for p in pods["items"]),
          "its 2 Pods: Always", "pods not made within 30 s")
    revs = wh.reviews()
    rs_seen = [x for x in revs if x.get("kind") == "ReplicaSet"
               and x.get("namespace") == ns and x.get("operation") == "CREATE"]
    pod_seen = [x for x in revs if x.get("kind") == "Pod" and x.get("namespace") == ns
                and x.get("name", "").startswith("web-")]
    check(len({x["endpoint"] for x in rs_seen}) == 2 and
          len([x for x in pod_seen if x["endpoint"] == "validate"]) >= 2,
          "the controller-manager's ReplicaSet and Pod creates went through both webhooks",
          f"{len(rs_seen)} ReplicaSet, {len(pod_seen)} Pod reviews")
    cj = {"apiVersion": "batch/v1beta1", "kind": "CronJob",
          "metadata": {"name": "nightly", "namespace": ns},
          "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
              "spec": {"restartPolicy": "OnFailure", "containers": [
                  {"name": "app", "image": img, "imagePullPolicy": "IfNotPresent"}]}}}}}}
    r = kubectl("create", "-o", "json", "-f", "-", stdin=cj)
    got = json.loads(r.stdout) if r.returncode == 0 else None
    check(got is not None and policies(
        got, ["spec", "jobTemplate", "spec", "template", "spec"]) == ["Always"],
        "CronJob (batch/v1beta1, what 1.20 serves): stored as Always",
        stderr_line(r))


def scenario_cross_project(wh):
    """A cross-project image is denied with the webhook's message, as
    kubectl prints it; a RoleBinding made or deleted with kubectl flips the
    decision within seconds."""
    for ns in ("project-a", "project-b"):
        namespace(ns)
    img = cross("project-b")
    r = kubectl("create", "-f", "-", stdin=pod("app", img, "project-a"))
    msg = stderr_line(r)
    want = ('Error from server (Forbidden): error when creating "STDIN": '
            f'admission webhook "{VALIDATING}" denied the request: '
            f'container "app" uses image "{img}" from project "project-b", '
            'but service account "default" of project "project-a" may not pull')
    check(r.returncode != 0 and msg.startswith(want),
          "cross-project pod denied; kubectl prints the webhook's message", msg[:400])
    check("oc policy add-role-to-user system:image-puller "
          "system:serviceaccount:project-a:default --namespace=project-b" in msg,
          "the message carries the fix")
    figures.append(("denial as kubectl prints it", msg))
    same = kubectl("create", "--dry-run=server", "-f", "-",
                   stdin=pod("app", cross("project-a"), "project-a"))
    check(same.returncode == 0, "same-project image allowed", stderr_line(same))
    must(kubectl("create", "rolebinding", "pull-a", "-n", "project-b",
                 "--clusterrole=system:image-puller",
                 "--serviceaccount=project-a:default"), "kubectl create rolebinding")
    t = flips("project-a", img, True)
    check(t is not None, f"RoleBinding created: allowed within {FLIP_SECONDS} s"
          + (f" ({t} s)" if t is not None else ""))
    r = kubectl("create", "-f", "-", stdin=pod("app", img, "project-a"))
    check(r.returncode == 0, "the pod is created for real", stderr_line(r))
    must(kubectl("delete", "rolebinding", "pull-a", "-n", "project-b"),
         "kubectl delete rolebinding")
    t2 = flips("project-a", img, False)
    check(t2 is not None, f"RoleBinding deleted: denied again within {FLIP_SECONDS} s"
          + (f" ({t2} s)" if t2 is not None else ""))
    figures.append(("decision flip after kubectl create/delete rolebinding",
                    f"{t} s / {t2} s"))
    # Grants follow the pod's service account.
    must(kubectl("create", "serviceaccount", "builder", "-n", "project-a"),
         "create serviceaccount builder")
    must(kubectl("create", "rolebinding", "pull-builder", "-n", "project-b",
                 "--clusterrole=system:image-puller",
                 "--serviceaccount=project-a:builder"), "rolebinding for builder")

    def builder_ok():
        return dry_pod("project-a", img, sa="builder").returncode == 0
    check(wait_for(builder_ok, FLIP_SECONDS, 0.1),
          "a binding for serviceAccountName builder allows its pods")
    check(not allowed("project-a", img), "... and not those of default")


def scenario_aggregation(wh):
    """Aggregated roles as the controller-manager fills them: kube's edit
    and view grant no pull until a ClusterRole labelled aggregate-to-edit or
    aggregate-to-view adds get imagestreams/layers (as OpenShift's
    registry-viewer does); then the webhook allows."""
    for ns in ("project-b", "project-c", "project-d"):
        namespace(ns)
    must(kubectl("create", "rolebinding", "c-view", "-n", "project-b",
                 "--clusterrole=view", "--serviceaccount=project-c:default"),
         "bind view")
    must(kubectl("create", "rolebinding", "d-edit", "-n", "project-b",
                 "--clusterrole=edit", "--serviceaccount=project-d:default"),
         "bind edit")
    img = cross("project-b")
    time.sleep(1)
    check(not allowed("project-c", img), "view as Kubernetes fills it: no pull")
    check(not allowed("project-d", img), "edit as Kubernetes fills it: no pull")

    def layers_in(role):
        cr = kget("clusterrole", role)
        return cr is not None and any(
            "imagestreams/layers" in (r.get("resources") or [])
            for r in cr.get("rules") or [])

    def aggregate(name, label):
        must(kubectl("apply", "-f", "-", stdin={
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": {
                f"rbac.authorization.k8s.io/aggregate-to-{label}": "true"}},
            "rules": [{"apiGroups": ["image.openshift.io", ""],
                       "resources": ["imagestreams/layers"],
                       "verbs": ["get"]}]}), f"ClusterRole {name}")

    aggregate("test-registry-editor", "edit")
    check(wait_for(lambda: layers_in("edit"), 20),
          "the controller-manager copied the rule into edit")
    t = flips("project-d", img, True)
    check(t is not None, "edit now grants the pull"
          + (f" ({t} s)" if t is not None else ""))
    check(not layers_in("view") and not allowed("project-c", img),
          "view still does not (aggregate-to-edit does not reach view)")
    aggregate("test-registry-viewer", "view")
    check(wait_for(lambda: layers_in("view"), 20),
          "the controller-manager copied the rule into view")
    t = flips("project-c", img, True)
    check(t is not None, "view now grants the pull"
          + (f" ({t} s)" if t is not None else ""))


def scenario_replicaset_events(wh):
    """A Deployment admitted while a grant held, scaled after the grant
    went: the Deployment update is allowed (its images are unchanged) but
    the Pods the ReplicaSet makes are denied, and the ReplicaSet's events
    say why."""
    ns = "project-e"
    namespace(ns)
    namespace("project-b")
    img = cross("project-b")
    must(kubectl("create", "rolebinding", "pull-e", "-n", "project-b",
                 "--clusterrole=system:image-puller",
                 f"--serviceaccount={ns}:default"), "bind project-e")
    if flips(ns, img, True) is None:
        check(False, "project-e granted")
        return
    r = kubectl("create", "-f", "-", stdin=deployment("api", img, ns, 0))
    check(r.returncode == 0, "Deployment with a granted cross-project image created",
          stderr_line(r))
    must(kubectl("delete", "rolebinding", "pull-e", "-n", "project-b"),
         "delete binding")
    flips(ns, img, False)
    r = kubectl("scale", "deployment", "api", "-n", ns, "--replicas=2")
    check(r.returncode == 0, "scaling the Deployment is allowed (images unchanged)",
          stderr_line(r))

    def event():
        ev = kget("events", "-n", ns, "--field-selector",
                  "involvedObject.kind=ReplicaSet,reason=FailedCreate")
        for e in (ev or {}).get("items", []):
            if VALIDATING in e.get("message", ""):
                return e["message"]
        return None
    msg = wait_for(event, 30, 0.5)
    check(bool(msg) and "denied the request" in msg and
          f'may not pull' in msg,
          "the ReplicaSet's FailedCreate event carries the denial", str(msg)[:300])
    if msg:
        figures.append(("ReplicaSet event", msg))
    pods = kget("pods", "-n", ns, "-l", "app=api")
    check(pods is not None and not pods["items"], "no pod was made")


def scenario_apiserver_restart(wh):
    """The API server restarted under the webhook: it stays ready and
    decides from the last state, its watches resume, and a binding made
    after the restart is honoured."""
    granted, denied = ("project-a", cross("project-b")), ("project-c", cross("project-d"))
    for ns in ("project-a", "project-b", "project-c", "project-d"):
        namespace(ns)
    must(kubectl("create", "rolebinding", "pull-a2", "-n", "project-b",
                 "--clusterrole=system:image-puller",
                 "--serviceaccount=project-a:default"), "bind before restart")
    flips(*granted, True)
    before = len(wh.lines())
    t0 = time.monotonic()
    r = cluster("restart-apiserver", 120)
    check(r.returncode == 0, "kube-cluster.sh restart-apiserver",
          r.stderr.strip()[-300:])
    figures.append(("API server restart (TERM to ready)",
                    f"{time.monotonic() - t0:.1f} s"))
    check(wh.readyz() == 200, "webhook stayed ready")
    check(allowed(*granted), "a grant from before the restart still allows")
    check(not allowed(*denied), "a denial from before the restart still denies")

    must(kubectl("create", "rolebinding", "pull-c", "-n", "project-d",
                 "--clusterrole=system:image-puller",
                 "--serviceaccount=project-c:default"), "bind after restart")

    # The log says the index is current again once a watch is proved (an
    # event, a bookmark or its timeout: "watching again"), or, when the
    # restarted server's watch cache no longer holds the old resourceVersion
    # (410), once the relist is done ("listed ... after N failed attempts").
    def resumed():
        return [x["msg"] for x in wh.lines()[before:]
                if re.search(r"watching again|listed \S+ after \d+ failed",
                             x.get("msg", ""))]
    w = wait_for(resumed, 40, 0.5)
    check(bool(w), "the webhook's watches resumed: watching again, or "
          "listed again after the 410", "neither line")
    t = flips(*denied, True)
    check(t is not None, "a binding made after the restart is honoured"
          + (f" ({t} s)" if t is not None else ""))


def scenario_openshift(wh):
    """What OpenShift's own rules look like through a real API server: a
    string holding \\u0000 (Go writes a NUL so) reviewed, not refused; the
    image.openshift.io/triggers annotation judged; a service account swap
    on UPDATE re-judged while a scale is not; a role that only the
    webhook's bootstrap definitions know (registry-viewer)."""
    for ns in ("project-g", "project-h"):
        namespace(ns)
    # A NUL in an image: the API server accepts it and defaults
    # IfNotPresent (its parser fails); the webhooks answer, and the
    # validating one warns, where a 400 would fail the create (Fail).
    nul = pod("nul", "nginx\0:latest", "project-g")
    r = kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", stdin=nul)
    got = json.loads(r.stdout) if r.returncode == 0 else {}
    check(r.returncode == 0 and
          policies(got, ["spec"]) == ["IfNotPresent"],
          "\\u0000 in an image: the pod is admitted, IfNotPresent",
          stderr_line(r)[:300])
    check('is not a valid image reference' in r.stderr and "\\u0000" in r.stderr,
          "... with the invalid-reference warning, the NUL spelled out",
          r.stderr[:300])
    d = deployment("nul-note", "nginx:1.25", "project-g", 0)
    d["metadata"]["annotations"] = {"note": "a\0b"}
    r = kubectl("create", "--dry-run=server", "-f", "-", stdin=d)
    check(r.returncode == 0, "\\u0000 in an annotation: admitted",
          stderr_line(r)[:300])

    # The triggers annotation: each from is a pull for the template's
    # service account.
    trig = deployment("triggered", "nginx:1.25", "project-g", 0)
    trig["metadata"]["annotations"] = {"image.openshift.io/triggers": json.dumps([
        {"from": {"kind": "ImageStreamTag", "name": "app:v1",
                  "namespace": "project-h"},
         "fieldPath": 'spec.template.spec.containers[?(@.name=="app")].image'}])}
    r = kubectl("create", "--dry-run=server", "-f", "-", stdin=trig)
    check(r.returncode != 0 and
          'Deployment image.openshift.io/triggers[0] uses ImageStreamTag '
          '"project-h/app:v1" from project "project-h"' in r.stderr,
          "triggers annotation from another project: denied", stderr_line(r)[:400])
    bad = deployment("bad-trigger", "nginx:1.25", "project-g", 0)
    bad["metadata"]["annotations"] = {"image.openshift.io/triggers": "[{"}
    r = kubectl("create", "--dry-run=server", "-f", "-", stdin=bad)
    check(r.returncode == 0 and "is not JSON" in r.stderr,
          "malformed triggers annotation: admitted with a warning",
          r.stderr[:300])
    # registry-viewer: no such ClusterRole on plain Kubernetes; the
    # webhook's bootstrap definition grants the pull.
    must(kubectl("create", "rolebinding", "viewer", "-n", "project-h",
                 "--clusterrole=registry-viewer",
                 "--serviceaccount=project-g:default"), "rolebinding to registry-viewer")

    def trig_ok():
        return kubectl("create", "--dry-run=server", "-f", "-",
                       stdin=trig).returncode == 0
    check(wait_for(trig_ok, FLIP_SECONDS, 0.1),
          "... allowed once default may pull there (registry-viewer, a role "
          "only the bootstrap definitions know)")

    # A service account swap keeps the images but not the grant.
    must(kubectl("create", "serviceaccount", "other", "-n", "project-g"),
         "create serviceaccount other")
    swap = deployment("swap", cross("project-h"), "project-g", 0)
    must(kubectl("create", "-f", "-", stdin=swap), "create the Deployment (default may pull)")
    r = kubectl("set", "serviceaccount", "deployment/swap", "other", "-n", "project-g")
    check(r.returncode != 0 and 'service account "other" of project "project-g" '
          'may not pull' in r.stderr,
          "kubectl set serviceaccount to one without a grant: denied",
          stderr_line(r)[:400])
    must(kubectl("delete", "rolebinding", "viewer", "-n", "project-h"),
         "delete the registry-viewer binding")
    wait_for(lambda: not trig_ok(), FLIP_SECONDS, 0.1)
    r = kubectl("scale", "deployment/swap", "--replicas=0", "-n", "project-g")
    check(r.returncode == 0,
          "the same (service account, image) pair on UPDATE: a scale is "
          "allowed after the grant is gone", stderr_line(r)[:300])


# The permissions audit needs beyond serve's, as manifests/ offers them:
# list on the workload kinds, and on OpenShift's (which plain Kubernetes
# answers 404 only to a caller allowed to ask: to others 403).
AUDIT_RBAC = os.path.join(ROOT, "manifests", "optional", "audit-rbac.yaml")
AUDIT_SECONDS = 2
POLICYREPORT_CRD = os.path.join(ROOT, "tests", "fixtures", "crds",
                                "policyreports.wgpolicyk8s.io.yaml")


def webhook_cli(*args, timeout=90):
    """The webhook's binary run once (audit, can-pull), no proxy in the
    environment; CompletedProcess."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    try:
        return subprocess.run([opstest.binary()] + list(args), env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", "timed out")


def series(text, name, labels=""):
    """One series of /metrics text, or None."""
    m = re.search(r"^image_policy_webhook_" + re.escape(name + labels) +
                  r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def scenario_audit(wh):
    """A RoleBinding deleted under a running Deployment: serve
    --audit-interval reports it (gauge and warn line) within an interval;
    can-pull says yes before and no after; audit --output policyreport is
    accepted by the API server under a PolicyReport CRD's schema."""
    ns, other = "audit-a", "audit-b"
    for n in (ns, other):
        namespace(n)
    img = cross(other)
    whkc = wh.args[-1]  # the webhook's ServiceAccount token
    must(kubectl("apply", "-f", AUDIT_RBAC),
         "the audit ClusterRole, bound to the webhook's ServiceAccount")
    must(kubectl("create", "rolebinding", "pull-audit", "-n", other,
                 "--clusterrole=system:image-puller",
                 f"--serviceaccount={ns}:default"), "bind audit-a in audit-b")
    if flips(ns, img, True) is None:
        check(False, "audit-a granted in audit-b")
        return
    r = kubectl("create", "-f", "-", stdin=deployment("app", img, ns, 2))
    check(r.returncode == 0, "Deployment pulling from audit-b created (the "
          "RoleBinding allows it)", stderr_line(r))
    pods = wait_for(lambda: (lambda p: p if p and len(p["items"]) == 2
                             else None)(kget("pods", "-n", ns, "-l", "app=app")),
                    30)
    check(bool(pods), "its ReplicaSet made 2 pods")

    r = webhook_cli("can-pull", "--kubeconfig", whkc, f"{ns}/default", other)
    check(r.returncode == 0 and r.stdout ==
          f"yes: RoleBinding {other}/pull-audit (ClusterRole "
          "system:image-puller) grants get imagestreams/layers to "
          f"ServiceAccount {ns}/default\n",
          "can-pull --kube as the webhook's ServiceAccount: yes, the "
          "RoleBinding named", f"exit {r.returncode}: {r.stdout}{r.stderr}")
    t0 = time.monotonic()
    r = webhook_cli("audit", "--kubeconfig", whkc, "--namespace", ns,
                    "--output", "json")
    took = time.monotonic() - t0
    notes = [l for l in r.stderr.splitlines() if " note: " in l]
    check(r.returncode == 0 and r.stdout.strip() == "[]" and
          "audit: 4 objects, 0 denied, 0 warned\n" in r.stderr and
          len(notes) == 4 and all(".openshift.io/v1/" in l and
                                  "not served (404)" in l for l in notes),
          f"audit --kube --namespace {ns} as the webhook's ServiceAccount with "
          f"the audit ClusterRole: the Deployment, its ReplicaSet and 2 pods, "
          f"nothing denied, OpenShift's 4 kinds not served (404), exit 0 "
          f"({took:.2f} s)", f"exit {r.returncode}: {r.stdout}{r.stderr}")

    # The webhook again, auditing every AUDIT_SECONDS.
    saved = list(wh.args)
    wh.stop()
    wh.args[2:2] = ["--audit-interval", f"{AUDIT_SECONDS}s"]
    before = len(wh.lines())
    wh.start()
    try:
        def runs():
            return [x["msg"] for x in wh.lines()[before:]
                    if re.match(r"audit: \d+ objects", x.get("msg", ""))]
        ready = wait_for(lambda: wh.readyz() == 200, 30)
        ran = wait_for(runs, 30)
        check(ready and bool(ran),
              f"webhook restarted with --audit-interval {AUDIT_SECONDS}s: "
              "ready, audited", (ran or ["no audit line"])[0])
        forbidden = [x["msg"] for x in wh.lines()[before:]
                     if "403" in x.get("msg", "")]
        check(not forbidden, "the audit lists nothing forbidden (the audit "
              "ClusterRole is enough)", "; ".join(forbidden[:3]))
        dep = '{reason="cross-project",kind="Deployment"}'
        text = wh.metrics()
        base = series(text, "audit_findings", dep) or 0
        check(series(text, "audit_last_run_timestamp_seconds") is not None and
              series(text, "audit_duration_seconds") is not None,
              "/metrics: the audit gauges", "\n".join(
                  l for l in text.splitlines() if "audit" in l))

        must(kubectl("delete", "rolebinding", "pull-audit", "-n", other),
             "kubectl delete rolebinding pull-audit")
        t0 = time.monotonic()
        pattern = (rf"^audit: deny {ns} Deployment/app cross-project: "
                   rf"container \"app\": container \"app\" uses image "
                   rf"\"{re.escape(img)}\"")

        def found():
            return (series(wh.metrics(), "audit_findings", dep) == base + 1 and
                    [x for x in wh.lines()[before:]
                     if re.match(pattern, x.get("msg", ""))])
        hit = wait_for(found, AUDIT_SECONDS + 8, 0.1)
        t = time.monotonic() - t0
        check(bool(hit) and hit[0].get("level") == "warn",
              f"RoleBinding deleted under the running Deployment: gauge "
              f"cross-project/Deployment {base:.0f} -> {base + 1:.0f} and the "
              f"warn line within {t:.1f} s (interval {AUDIT_SECONDS} s)",
              "\n".join(runs()[-2:]))
        figures.append(("audit: RoleBinding deleted to finding in /metrics",
                        f"{t:.1f} s with --audit-interval {AUDIT_SECONDS}s"))

        r = webhook_cli("can-pull", "--kubeconfig", whkc, f"{ns}/default",
                        other)
        check(r.returncode == 1 and r.stdout.startswith("no: nothing grants ")
              and r.stdout.rstrip().endswith(
                  "fix: oc policy add-role-to-user system:image-puller "
                  f"system:serviceaccount:{ns}:default --namespace={other}"),
              "can-pull --kube after the deletion: no, with the fix",
              f"exit {r.returncode}: {r.stdout}{r.stderr}")

        # PolicyReports of the whole cluster, applied under the CRD.
        must(kubectl("apply", "-f", POLICYREPORT_CRD), "apply the PolicyReport CRD")
        r = wait_for(lambda: (lambda x: x if x.returncode == 0 else None)(
            kubectl("get", "policyreports", "-A")), 20)
        check(bool(r), "PolicyReport CRD established")
        r = webhook_cli("audit", "--kubeconfig", whkc, "--output",
                        "policyreport")
        check(r.returncode == 1 and r.stdout.startswith("{"),
              "audit --kube --output policyreport: exit 1 (denials)",
              f"exit {r.returncode}: {r.stderr[-300:]}")
        a = kubectl("apply", "-f", "-", stdin=r.stdout)
        check(a.returncode == 0 and
              "policyreport.wgpolicyk8s.io/image-policy-webhook created" in a.stdout,
              "kubectl apply -f (audit's output): accepted by the API server",
              stderr_line(a)[:500])
        got = kget("policyreport", "image-policy-webhook", "-n", ns) or {}
        res = got.get("results") or []
        want = {"policy": "image-policy-webhook", "rule": "cross-project",
                "result": "fail", "severity": "high", "scored": True,
                "source": "image-policy-webhook", "category": "Image pulls"}
        check(len(res) == 1 and
              {k: res[0].get(k) for k in want} == want and
              [(x.get("kind"), x.get("name"), x.get("namespace"))
               for x in res[0].get("resources", [])] == [("Deployment", "app", ns)] and
              res[0].get("properties", {}).get("pods") == "2" and
              res[0].get("timestamp", {}).get("seconds", 0) > 0 and
              got.get("summary", {}).get("fail") == 1,
              f"kubectl get policyreport -n {ns}: the fail result at the "
              "Deployment (pods \"2\"), every field kept by the schema",
              json.dumps(got)[:800])
        bad = {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
               "metadata": {"name": "bogus", "namespace": ns},
               "results": [{"policy": "x", "result": "denied"}]}
        r = kubectl("create", "--dry-run=server", "-f", "-", stdin=bad)
        check(r.returncode != 0 and "Unsupported value" in r.stderr,
              "... and the schema is enforced (result \"denied\" refused)",
              stderr_line(r)[:300])

        must(kubectl("create", "rolebinding", "pull-audit", "-n", other,
                     "--clusterrole=system:image-puller",
                     f"--serviceaccount={ns}:default"), "bind audit-a again")
        t0 = time.monotonic()
        ok = wait_for(lambda: series(wh.metrics(), "audit_findings", dep) == base,
                      AUDIT_SECONDS + 8, 0.1)
        check(bool(ok), f"RoleBinding back: the gauge back to {base:.0f} within "
              f"{time.monotonic() - t0:.1f} s")
    finally:
        # The other scenarios run the webhook as it was.
        wh.stop()
        wh.args[:] = saved
        wh.start()
        if not wait_for(lambda: wh.readyz() == 200, 30):
            check(False, "webhook restarted without --audit-interval: ready")


def scenario_webhook_down(wh):
    """The webhook stopped: the validating webhook fails closed (the API
    server's error), the mutating one is ignored, and the namespaces the
    selector leaves out still work."""
    wh.stop()
    r = kubectl("create", "-f", "-",
                stdin=pod("down", "registry.example.com/team/app:v1", "project-a"))
    msg = stderr_line(r)
    check(r.returncode != 0 and
          f'failed calling webhook "{VALIDATING}"' in msg and
          "connection refused" in msg,
          "webhook down: creates fail with the API server's error", msg[:300])
    figures.append(("webhook down, as kubectl prints it", msg))
    for ns in ("kube-system", WEBHOOK_NS):
        r = kubectl("create", "-f", "-",
                    stdin=pod("exempt", "registry.example.com/team/app:v1", ns))
        check(r.returncode == 0, f"exempt namespace {ns}: pod created",
              stderr_line(r))
    # 1.20 sets no kubernetes.io/metadata.name: an unlabelled namespace is
    # not left out by the manifests' selector (NotIn matches a missing key).
    namespace("unlabelled", label=False)
    r = kubectl("create", "-f", "-",
                stdin=pod("x", "registry.example.com/team/app:v1", "unlabelled"))
    check(r.returncode != 0 and "failed calling webhook" in stderr_line(r),
          "an unlabelled namespace is not exempt on 1.20 (its label is missing)")


# -- latency ----------------------------------------------------------------

class API:
    """Raw pod creates with the admin certificate, one keep-alive
    connection: kubectl's start-up would swamp the figures."""

    def __init__(self):
        pki = os.path.join(Env.cluster, "pki")
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.load_cert_chain(os.path.join(pki, "admin.crt"),
                            os.path.join(pki, "admin.key"))
        self.conn = http.client.HTTPSConnection(
            "127.0.0.1", PORTS["KUBE_API_PORT"], context=ctx, timeout=30)

    def create_pod(self, ns, name):
        body = json.dumps(pod(name, "registry.example.com/team/app:v1", ns))
        t0 = time.perf_counter()
        self.conn.request("POST", f"/api/v1/namespaces/{ns}/pods", body,
                          {"Content-Type": "application/json"})
        r = self.conn.getresponse()
        r.read()
        dt = time.perf_counter() - t0
        return r.status, dt


def time_creates(api, ns, tag, n):
    out = []
    for i in range(n):
        status, dt = api.create_pod(ns, f"{tag}-{i}")
        if status != 201:
            check(False, f"latency pod {tag}-{i}", f"HTTP {status}")
            return out
        out.append(dt * 1000)
    return out


def webhooks_called():
    return "denied the request" in dry_pod("project-x", cross("project-y")).stderr


def register():
    """Apply both webhook configurations; true once the API server calls
    them."""
    for kind, path in (("MutatingWebhookConfiguration", "/mutate"),
                       ("ValidatingWebhookConfiguration", "/validate")):
        cfg = json.loads(json.dumps(Env.objs[kind][0]))
        for w in cfg["webhooks"]:
            # Only the address and the CA change: the rest (rules,
            # failurePolicy, namespaceSelector, timeouts) is the manifests'.
            w["clientConfig"] = {"url": f"https://127.0.0.1:{Env.port}{path}",
                                 "caBundle": Env.ca_bundle}
        must(kubectl("apply", "-f", "-", stdin=cfg), f"register {kind}")
    return wait_for(webhooks_called, 20, 0.1)


def unregister():
    for kind in ("mutatingwebhookconfiguration", "validatingwebhookconfiguration"):
        must(kubectl("delete", kind, "image-policy-webhook"), f"delete {kind}")
    ok = wait_for(lambda: not webhooks_called(), 20, 0.1)
    time.sleep(1)  # both configurations, whichever the API server saw last
    return ok


def scenario_latency(wh):
    """Pod creates timed through the API server with and without the
    webhooks registered, alternating rounds (printed, not asserted)."""
    namespace("latency")
    api = API()
    n = max(1, Env.latency_pods // 4)
    time_creates(api, "latency", "warm", 20)
    with_, without = [], []
    for rnd in range(4):
        if not check(unregister(), f"round {rnd + 1}: webhooks unregistered"):
            return
        without += time_creates(api, "latency", f"off{rnd}", n)
        if not check(register(), f"round {rnd + 1}: webhooks registered again"):
            return
        with_ += time_creates(api, "latency", f"on{rnd}", n)
    api.conn.close()
    if len(with_) == len(without) == 4 * n:
        d50 = statistics.median(with_) - statistics.median(without)
        d99 = pct(with_, 99) - pct(without, 99)
        figures.append((
            f"pod create latency, {4 * n} creates each way in 4 alternating rounds",
            f"without webhooks median {statistics.median(without):.2f} ms "
            f"p99 {pct(without, 99):.2f} ms; with both webhooks median "
            f"{statistics.median(with_):.2f} ms p99 {pct(with_, 99):.2f} ms; "
            f"added: median {d50:+.2f} ms, p99 {d99:+.2f} ms"))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# -- main -------------------------------------------------------------------

def ports_listening():
    r = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True)
    busy = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            busy.add(parts[3].rsplit(":", 1)[-1])
    return sorted(p for p in map(str, Env.ports_used) if p in busy)


def port_free(port):
    with socket.socket() as so:
        try:
            so.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def pick_ports():
    for k in PORTS:
        PORTS[k] = int(os.environ.get(k) or 0)
        while not PORTS[k]:
            p = opstest.free_port()
            if k != "KUBE_ETCD_PORT" or (p < 65535 and port_free(p + 1)):
                PORTS[k] = p


def finish():
    for name, text in figures:
        print(f"# {name}: {text}")
    opstest.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", help="run only the scenarios whose name has this")
    ap.add_argument("--latency-pods", type=int, default=400,
                    help="pod creates timed each way (4 rounds)")
    args = ap.parse_args()
    opstest.binary()
    Env.image = os.environ.get("WEBHOOK_IMAGE") or None
    for tool in ("kubectl", "ss", "openssl", "curl") + (("podman",) if Env.image else ()):
        if shutil.which(tool) is None:
            print(f"cluster_test.py: {tool} needed", file=sys.stderr)
            sys.exit(2)
    def alarm(*_):
        raise TimeoutError("the whole run took over 15 minutes")
    signal.signal(signal.SIGALRM, alarm)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    signal.alarm(900)
    Env.latency_pods = args.latency_pods
    Env.tmp = tempfile.mkdtemp(prefix="ipw-cluster-")
    Env.cluster = os.path.join(Env.tmp, "cluster")
    Env.kubeconfig = os.path.join(Env.cluster, "admin.kubeconfig")
    pick_ports()
    Env.port, Env.health = opstest.free_port(), opstest.free_port()
    Env.ports_used = [Env.port, Env.health, PORTS["KUBE_API_PORT"],
                      PORTS["KUBE_ETCD_PORT"], PORTS["KUBE_ETCD_PORT"] + 1,
                      PORTS["KUBE_CM_PORT"]]
    wh = None
    try:
        t0 = time.monotonic()
        r = cluster("start", 1800)
        if not check(r.returncode == 0, "control plane up (/readyz)",
                     r.stderr.strip()[-600:]):
            return
        figures.append(("control plane start", f"{time.monotonic() - t0:.1f} s"))
        v = json.loads(kubectl("version", "-o", "json").stdout or "{}")
        check(v.get("serverVersion", {}).get("gitVersion") == "v1.20.2",
              "kube-apiserver v1.20.2", str(v.get("serverVersion")))
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            label_namespace(ns)
        objs = render_manifests()
        # The namespace first, labelled (see label_namespace).
        must(kubectl("apply", "-f", "-", stdin=objs["Namespace"][0]), "namespace")
        label_namespace(WEBHOOK_NS)
        rest = [o for k in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                            "ConfigMap") for o in objs[k]]
        must(kubectl("apply", "-f", "-", stdin={"apiVersion": "v1", "kind": "List",
                                               "items": rest}),
             "apply the manifests' ServiceAccount, ClusterRole, ClusterRoleBinding, ConfigMap")
        # The config is the manifests' ConfigMap, with pullPolicy.mode
        # enforce: in mode default a real API server (which defaults
        # imagePullPolicy before admission) leaves nothing to patch.
        conf = objs["ConfigMap"][0]["data"]["config.yaml"]
        conf2 = re.sub(r"(?m)^(\s*mode:\s*)default\b", r"\1enforce", conf)
        check(conf2 != conf, "config: the manifests' with pullPolicy.mode enforce")
        config = os.path.join(Env.tmp, "config.yaml")
        with open(config, "w") as f:
            f.write(conf2)
        certs = os.path.join(Env.tmp, "webhook-certs")
        r = subprocess.run([opstest.binary(), "certs", "--service", "image-policy-webhook",
                            "--namespace", WEBHOOK_NS, "--out", certs,
                            "--hosts", "127.0.0.1"], capture_output=True, text=True)
        if not check(r.returncode == 0, "certs", r.stderr):
            return
        ca_bundle = r.stdout.strip()
        wh = Webhook(config, webhook_kubeconfig(), certs)
        wh.start()
        scenario_identity(wh)

        Env.objs, Env.ca_bundle = objs, ca_bundle
        namespace("project-x")
        check(register(), "webhooks registered (URL on 127.0.0.1, CA bundle) and called")
        # OpenShift's system:image-puller, which plain Kubernetes lacks
        # (the webhook's bootstrap fallback would know it; a source that
        # defines it is what a cluster would show).
        must(kubectl("apply", "-f", "-", stdin={
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:image-puller"},
            "rules": [{"apiGroups": ["image.openshift.io", ""],
                       "resources": ["imagestreams/layers"], "verbs": ["get"]}]}),
             "ClusterRole system:image-puller")

        for name, fn in (("latency", scenario_latency),
                         ("pull-policy", scenario_pull_policy),
                         ("cross-project", scenario_cross_project),
                         ("aggregation", scenario_aggregation),
                         ("replicaset-events", scenario_replicaset_events),
                         ("openshift", scenario_openshift),
                         ("audit", scenario_audit),
                         ("apiserver-restart", scenario_apiserver_restart),
                         ("webhook-down", scenario_webhook_down)):
            if args.k and args.k not in name:
                continue
            log(f"scenario {name}")
            fn(wh)
    except TimeoutError as e:
        check(False, "bounded run", str(e))
    except Abort:
        pass
    except Exception:  # a bug here: report it, still clean up
        import traceback
        check(False, "no exception", traceback.format_exc())
    finally:
        signal.alarm(0)
        if wh is not None:
            if opstest.failed:
                print("--- last lines of the webhook log:")
                for x in wh.lines()[-15:]:
                    print(json.dumps(x)[:400])
            wh.stop()
        r = cluster("stop", 120)
        check(r.returncode == 0, "kube-cluster.sh stop", r.stderr.strip()[-300:])
        wait_for(lambda: not ports_listening(), 10)
        left = ports_listening()
        check(not left, "no listener left on the ports used "
              + ",".join(map(str, sorted(Env.ports_used))), " ".join(left))
        if os.environ.get("KEEP_TMP"):
            log(f"KEEP_TMP: logs left in {Env.tmp}")
        else:
            shutil.rmtree(Env.tmp, True)
    finish()


if __name__ == "__main__":
    main()
