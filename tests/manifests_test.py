#!/usr/bin/env python3
"""manifests_test.py - render manifests/ with kustomize and check every property of issue 5.

  manifests_test.py --bin bin/image-policy-webhook [--kubectl kubectl]

Renders manifests/overlays/openshift and manifests/overlays/self-signed with
`kubectl kustomize`, and `hack/deploy.sh self-signed --render`, and checks
the rendered objects: the kinds, RBAC, the config (loaded by the binary),
the Deployment (replicas, spread, probes, resources, security), Service,
PodDisruptionBudget, both webhook configurations (rules, sideEffects,
versions, timeout, matchPolicy, namespaceSelector, reinvocationPolicy,
failurePolicy with its reason in a comment) and what each overlay adds.
One line per check, then "N passed, N failed"; exit 1 on any failure.
"""
import argparse
import base64
import binascii
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NS = "image-policy-webhook"
NAME = "image-policy-webhook"
SECRET = "image-policy-webhook-tls"

CORE_RULES = [
    ("", "v1", "pods"), ("", "v1", "pods/ephemeralcontainers"),
    ("", "v1", "podtemplates"), ("", "v1", "replicationcontrollers"),
    ("apps", "v1", "deployments"), ("apps", "v1", "replicasets"),
    ("apps", "v1", "statefulsets"), ("apps", "v1", "daemonsets"),
    ("batch", "v1", "jobs"), ("batch", "v1", "cronjobs"),
    ("batch", "v1beta1", "jobs"), ("batch", "v1beta1", "cronjobs"),
    ("apps.openshift.io", "v1", "deploymentconfigs"),
]
VALIDATE_ONLY = [
    ("build.openshift.io", "v1", "buildconfigs"),
    ("build.openshift.io", "v1", "builds"),
    ("image.openshift.io", "v1", "imagestreams"),
    ("image.openshift.io", "v1", "imagestreamtags"),
    ("image.openshift.io", "v1", "imagetags"),
]
KINDS = ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
         "ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
         "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]

REVIEW = """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
"request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},
"namespace":"a","operation":"CREATE",
"object":{"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}"""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("ok   " + what)
        else:
            self.failed += 1
            print("FAIL " + what + (": " + str(detail) if detail else ""))
        return ok


def render(kubectl, args, env=None):
    p = subprocess.run(args if isinstance(args, list) else [kubectl, "kustomize", args],
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.strip() or "exit %d" % p.returncode)
    return [d for d in yaml.safe_load_all(p.stdout) if d]


def one(objs, kind, name=None):
    found = [o for o in objs if o.get("kind") == kind
             and (name is None or o["metadata"].get("name") == name)]
    return found[0] if len(found) == 1 else None


def selector_matches(sel, labels):
    return bool(sel) and all(labels.get(k) == v for k, v in sel.items())


def arg_value(args, flag):
    for i, a in enumerate(args):
        if a.startswith(flag + "="):
            return a[len(flag) + 1:]
        if a == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def port_of(listen):
    return int(listen.rsplit(":", 1)[1]) if listen else None


def check_rbac(c, objs, tag):
    cr = one(objs, "ClusterRole", NAME)
    crb = one(objs, "ClusterRoleBinding", NAME)
    if not c.check(cr is not None and crb is not None, tag + "ClusterRole and ClusterRoleBinding"):
        return
    grants = set()
    for r in cr.get("rules", []):
        for g in r.get("apiGroups", []):
            for res in r.get("resources", []):
                for v in r.get("verbs", []):
                    for n in r.get("resourceNames", [None]):
                        grants.add((g, res, v, n))
    want = [("rbac.authorization.k8s.io", res, v, None)
            for res in ("rolebindings", "clusterrolebindings", "roles", "clusterroles")
            for v in ("get", "list", "watch")]
    want += [("", "serviceaccounts", v, None) for v in ("get", "list", "watch")]
    missing = [w for w in want if w not in grants]
    c.check(not missing, tag + "ClusterRole: get/list/watch on rolebindings, clusterrolebindings, roles, "
            "clusterroles (rbac.authorization.k8s.io) and serviceaccounts (core)", missing)
    c.check(("config.openshift.io", "images", "get", "cluster") in grants,
            tag + "ClusterRole: get on images.config.openshift.io named cluster")
    writes = {v for (_, _, v, _) in grants} - {"get", "list", "watch"}
    secrets = [x for x in grants if x[1] in ("secrets", "*") or x[0] == "*"]
    c.check(not writes and not secrets, tag + "ClusterRole: read only, no secrets, no wildcards",
            (writes, secrets))
    subj = crb.get("subjects", [])
    c.check(crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME}
            and subj == [{"kind": "ServiceAccount", "name": NAME, "namespace": NS}]
            and one(objs, "ServiceAccount", NAME) is not None,
            tag + "ClusterRoleBinding: the ClusterRole to the webhook's ServiceAccount", crb)


def check_deployment(c, objs, tag, bin_path):
    d = one(objs, "Deployment", NAME)
    if not c.check(d is not None, tag + "one Deployment"):
        return None
    spec = d["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    c.check(spec.get("replicas") == 2, tag + "Deployment: two replicas")
    c.check(selector_matches(spec["selector"].get("matchLabels"), labels),
            tag + "Deployment: selector matches the pod labels")
    ru = spec.get("strategy", {}).get("rollingUpdate", {})
    c.check(ru.get("maxUnavailable") == 0, tag + "Deployment: rollout keeps both replicas (maxUnavailable 0)")
    spread = [t for t in pod.get("topologySpreadConstraints", [])
              if t.get("topologyKey") == "kubernetes.io/hostname"
              and selector_matches(t.get("labelSelector", {}).get("matchLabels"), labels)]
    anti = pod.get("affinity", {}).get("podAntiAffinity", {})
    anti_terms = [t.get("podAffinityTerm", t) for t in
                  anti.get("preferredDuringSchedulingIgnoredDuringExecution", []) +
                  anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])]
    anti_host = [t for t in anti_terms if t.get("topologyKey") == "kubernetes.io/hostname"]
    c.check(spread and anti_host, tag + "Deployment: replicas spread over nodes (topology spread and anti-affinity on hostname)")
    c.check(pod.get("serviceAccountName") == NAME, tag + "Deployment: runs as the webhook's ServiceAccount")
    ctrs = pod.get("containers", [])
    if not c.check(len(ctrs) == 1, tag + "Deployment: one container"):
        return None
    ctr = ctrs[0]
    args = ctr.get("command", []) + ctr.get("args", [])
    ports = {p.get("name"): p["containerPort"] for p in ctr.get("ports", [])}
    listen = port_of(arg_value(args, "--listen"))
    health = port_of(arg_value(args, "--health-listen"))
    c.check("serve" in args and listen == 8443 and ports.get("https") == 8443,
            tag + "Deployment: serve --listen :8443, container port https 8443", args)
    c.check("--kube" in args, tag + "Deployment: serve --kube (RBAC from the API)")

    def probe_ok(p, path):
        g = (p or {}).get("httpGet", {})
        port = g.get("port")
        port = ports.get(port, port)
        return g.get("path") == path and port == health and g.get("scheme", "HTTP") == "HTTP"
    c.check(health is not None and probe_ok(ctr.get("readinessProbe"), "/readyz"),
            tag + "Deployment: readiness probe on /readyz (health listener)", ctr.get("readinessProbe"))
    c.check(health is not None and probe_ok(ctr.get("livenessProbe"), "/healthz"),
            tag + "Deployment: liveness probe on /healthz (health listener)", ctr.get("livenessProbe"))
    res = ctr.get("resources", {})
    c.check(all(res.get(k, {}).get(r) for k in ("requests", "limits") for r in ("cpu", "memory")),
            tag + "Deployment: cpu and memory requests and limits", res)
    psc = pod.get("securityContext", {})
    csc = ctr.get("securityContext", {})
    c.check(csc.get("runAsNonRoot") is True or psc.get("runAsNonRoot") is True,
            tag + "Deployment: non-root")
    c.check(csc.get("readOnlyRootFilesystem") is True, tag + "Deployment: read-only root filesystem")
    c.check(csc.get("allowPrivilegeEscalation") is False, tag + "Deployment: no privilege escalation")
    c.check(csc.get("capabilities", {}).get("drop") == ["ALL"] and not csc.get("capabilities", {}).get("add"),
            tag + "Deployment: all capabilities dropped")
    c.check(csc.get("privileged") in (None, False), tag + "Deployment: not privileged")
    seccomp = csc.get("seccompProfile") or psc.get("seccompProfile") or {}
    c.check(seccomp.get("type") == "RuntimeDefault", tag + "Deployment: seccomp RuntimeDefault")
    c.check(not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"),
            tag + "Deployment: no host namespaces")
    # Volumes: the TLS Secret and the generated ConfigMap, mounted whole.
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in ctr.get("volumeMounts", [])}
    cert, key, cfg = (arg_value(args, f) for f in ("--tls-cert", "--tls-key", "--config"))

    def volume_at(path):
        m = mounts.get(os.path.dirname(path or "/x/none"))
        return (m, vols.get(m["name"])) if m else (None, None)
    m, v = volume_at(cert)
    c.check(v is not None and v.get("secret", {}).get("secretName") == SECRET
            and volume_at(key)[0] is m and "subPath" not in m and m.get("readOnly") is True,
            tag + "Deployment: tls.crt/tls.key from Secret %s, mounted whole (no subPath: reloads work)" % SECRET)
    mode = (v or {}).get("secret", {}).get("defaultMode")
    c.check(mode is not None and mode & 0o007 == 0,
            tag + "Deployment: the key is not world-readable (defaultMode %s)" % (oct(mode) if mode else mode))
    m, v = volume_at(cfg)
    cm_name = (v or {}).get("configMap", {}).get("name")
    cm = one(objs, "ConfigMap", cm_name) if cm_name else None
    c.check(cm is not None and os.path.basename(cfg) in cm.get("data", {}),
            tag + "Deployment: --config from the ConfigMap %s" % cm_name)
    if cm is not None and bin_path:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(cm["data"][os.path.basename(cfg)])
            f.flush()
            p = subprocess.run([bin_path, "review", "mutate", "--config", f.name, "-"],
                               input=REVIEW, capture_output=True, text=True)
        c.check(p.returncode == 0, tag + "ConfigMap: the config loads in the binary", p.stderr.strip())
    if cm is not None and bin_path:
        check_args_run(c, tag, bin_path, args, cm["data"][os.path.basename(cfg)])
    pre = ctr.get("lifecycle", {}).get("preStop", {})
    c.check(bool(pre), tag + "Deployment: preStop delay so endpoints drain before SIGTERM")
    return d


def check_args_run(c, tag, bin_path, args, config_text):
    """The container's args start the binary (files and addresses swapped for
    local ones, --kube left out): every flag is one it takes."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([bin_path, "certs", "--service", NAME, "--namespace", NS, "--out", tmp],
                       capture_output=True)
        with open(os.path.join(tmp, "config.yaml"), "w") as f:
            f.write(config_text)
        local = {"--tls-cert": os.path.join(tmp, "tls.crt"), "--tls-key": os.path.join(tmp, "tls.key"),
                 "--config": os.path.join(tmp, "config.yaml"), "--listen": "127.0.0.1:0",
                 "--health-listen": "127.0.0.1:0"}
        argv = [bin_path]
        for a in args:
            flag = a.split("=", 1)[0]
            if a == "--kube":
                continue
            argv.append(flag + "=" + local[flag] if flag in local and "=" in a else a)
        log = os.path.join(tmp, "log")
        with open(log, "w") as err:
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
            text = ""
            try:
                for _ in range(50):
                    text = open(log).read()
                    if "listening on http://" in text or p.poll() is not None:
                        break
                    time.sleep(0.1)
            finally:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        c.check("listening on http://" in text,
                tag + "Deployment: the binary takes its args (serve starts with them)",
                text.strip()[-300:])


def check_service_pdb(c, objs, tag, d):
    s = one(objs, "Service", NAME)
    pdb = one(objs, "PodDisruptionBudget", NAME)
    if not c.check(s is not None and pdb is not None and d is not None, tag + "Service and PodDisruptionBudget"):
        return
    labels = d["spec"]["template"]["metadata"]["labels"]
    ctr = d["spec"]["template"]["spec"]["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in ctr.get("ports", [])}
    sp = s["spec"]["ports"]
    tp = sp[0].get("targetPort") if len(sp) == 1 else None
    c.check(len(sp) == 1 and sp[0]["port"] == 443 and ports.get(tp, tp) == 8443,
            tag + "Service: 443 to 8443", sp)
    c.check(selector_matches(s["spec"].get("selector"), labels), tag + "Service: selects the pods")
    c.check(selector_matches(pdb["spec"].get("selector", {}).get("matchLabels"), labels),
            tag + "PodDisruptionBudget: selects the pods")
    ma = pdb["spec"].get("minAvailable")
    mu = pdb["spec"].get("maxUnavailable")
    c.check((ma == 1 or mu == 1) and d["spec"]["replicas"] > 1,
            tag + "PodDisruptionBudget: one replica always up, drains still possible")


def comments_before(path, key):
    """For each line `key:` of the file, the comment lines right above it."""
    out = []
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(key + ":"):
            j, text = i - 1, []
            while j >= 0 and lines[j].strip().startswith("#"):
                text.insert(0, lines[j].strip())
                j -= 1
            out.append((line.strip(), " ".join(text)))
    return out


def check_webhooks(c, objs, tag):
    svc = one(objs, "Service", NAME)
    for kind, path, want_rules, policy in (
            ("MutatingWebhookConfiguration", "/mutate", CORE_RULES, "Ignore"),
            ("ValidatingWebhookConfiguration", "/validate", CORE_RULES + VALIDATE_ONLY, "Fail")):
        cfg = one(objs, kind, NAME)
        if not c.check(cfg is not None and len(cfg.get("webhooks", [])) == 1, tag + kind + ": one webhook"):
            continue
        w = cfg["webhooks"][0]
        short = tag + kind.replace("WebhookConfiguration", "") + ": "
        svc_ref = w.get("clientConfig", {}).get("service", {})
        c.check(svc is not None and svc_ref == {"name": NAME, "namespace": NS, "path": path, "port": 443},
                short + "calls the Service on 443 at " + path, svc_ref)
        have = set()
        ops_ok = True
        for r in w.get("rules", []):
            ops_ok &= {"CREATE", "UPDATE"} <= set(r.get("operations", []))
            for g in r.get("apiGroups", []):
                for v in r.get("apiVersions", []):
                    for res in r.get("resources", []):
                        have.add((g, v, res))
        c.check(set(want_rules) <= have and ops_ok,
                short + "rules for %d group/version/resources on CREATE and UPDATE" % len(want_rules),
                sorted(set(want_rules) - have))
        c.check(w.get("sideEffects") == "None", short + "sideEffects: None")
        c.check(w.get("admissionReviewVersions") == ["v1", "v1beta1"], short + "admissionReviewVersions [v1, v1beta1]")
        t = w.get("timeoutSeconds")
        c.check(isinstance(t, int) and 1 <= t <= 10, short + "timeoutSeconds a few seconds (%s)" % t)
        c.check(w.get("matchPolicy") == "Equivalent", short + "matchPolicy: Equivalent")
        exprs = w.get("namespaceSelector", {}).get("matchExpressions", [])
        out = [e for e in exprs if e.get("key") == "kubernetes.io/metadata.name" and e.get("operator") == "NotIn"]
        c.check(out and {NS, "kube-system"} <= set(out[0].get("values", [])),
                short + "namespaceSelector leaves out %s and kube-system" % NS, exprs)
        c.check(w.get("failurePolicy") == policy, short + "failurePolicy: " + policy)
        if kind.startswith("Mutating"):
            c.check(w.get("reinvocationPolicy") == "IfNeeded", short + "reinvocationPolicy: IfNeeded")
        else:
            c.check("reinvocationPolicy" not in w, short + "no reinvocationPolicy (validating)")


def check_comments(c):
    src = os.path.join(ROOT, "manifests", "base", "webhooks.yaml")
    found = comments_before(src, "failurePolicy")
    c.check(len(found) == 2 and all(len(text) > 40 for _, text in found),
            "base/webhooks.yaml: each failurePolicy has its reason in a comment above it",
            [f for f, t in found if len(t) <= 40])


def check_namespaced(c, objs, tag):
    cluster = {"Namespace", "ClusterRole", "ClusterRoleBinding",
               "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
    wrong = [(o["kind"], o["metadata"].get("namespace")) for o in objs
             if o["kind"] not in cluster and o["metadata"].get("namespace") != NS]
    c.check(not wrong, tag + "every namespaced object is in " + NS, wrong)
    ns = one(objs, "Namespace", NS)
    c.check(ns is not None and ns["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") == "restricted",
            tag + "Namespace enforces the restricted Pod Security Standard")


def is_base64_pem(s):
    try:
        return base64.b64decode(s, validate=True).startswith(b"-----BEGIN CERTIFICATE-----")
    except (binascii.Error, ValueError):
        return False


def check_common(c, objs, tag, bin_path):
    kinds = sorted({o["kind"] for o in objs})
    c.check(all(one(objs, k) is not None for k in KINDS) and len(objs) == len(KINDS),
            tag + "renders exactly: " + ", ".join(KINDS), kinds)
    check_namespaced(c, objs, tag)
    check_rbac(c, objs, tag)
    d = check_deployment(c, objs, tag, bin_path)
    check_service_pdb(c, objs, tag, d)
    check_webhooks(c, objs, tag)
    return d


FAKE_KUBECTL = """#!/bin/sh
# A kubectl that renders for real and records what it would change.
n=$(ls "$FAKE_LOG" | wc -l)
step="$FAKE_LOG/$(printf %02d "$n")"
case "$1" in
kustomize) exec "$REAL_KUBECTL" "$@" ;;
create) exec "$REAL_KUBECTL" "$@" ;;
apply)
    [ "$2" = -f ] || exit 9
    if [ "$3" = - ]; then cat >"$step-apply"; else cp "$3" "$step-apply"; fi ;;
-n)
    case "$3" in
    create) exec "$REAL_KUBECTL" "$@" ;;
    rollout) echo "$*" >"$step-rollout" ;;
    get) echo "$*" >"$step-get"; cat "$FAKE_CA" ;;
    *) exit 9 ;;
    esac ;;
*) exit 9 ;;
esac
"""


def check_deploy_flow(c, args, overlay):
    """hack/deploy.sh against a recording kubectl: the order that keeps the
    cluster safe (Secret, workload, rollout wait, then the webhooks)."""
    tag = "deploy.sh %s (recorded kubectl): " % overlay
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log")
        os.mkdir(log)
        fake = os.path.join(tmp, "kubectl")
        with open(fake, "w") as f:
            f.write(FAKE_KUBECTL)
        os.chmod(fake, 0o755)
        certs = os.path.join(tmp, "certs")
        service_ca = os.path.join(tmp, "service-ca.crt")
        subprocess.run([args.bin, "certs", "--service", "x", "--namespace", "y", "--out",
                        os.path.join(tmp, "svcca")], capture_output=True)
        with open(os.path.join(tmp, "svcca", "ca.crt")) as src, open(service_ca, "w") as dst:
            dst.write(src.read())
        env = dict(os.environ, BIN=os.path.abspath(args.bin), CERT_DIR=certs, KUBECTL=fake,
                   FAKE_LOG=log, FAKE_CA=service_ca, REAL_KUBECTL=args.kubectl)
        p = subprocess.run([os.path.join(ROOT, "hack", "deploy.sh"), overlay],
                           capture_output=True, text=True, env=env)
        if not c.check(p.returncode == 0, tag + "runs", p.stderr.strip()[-300:]):
            return
        steps = sorted(os.listdir(log))
        kinds_at = []
        for st in steps:
            path = os.path.join(log, st)
            if st.endswith("-apply"):
                objs = [d for d in yaml.safe_load_all(open(path)) if d]
                kinds_at.append(("apply", {o["kind"] for o in objs}, objs))
            else:
                kinds_at.append((st.split("-", 1)[1], set(), []))
        names = [k for k, _, _ in kinds_at]
        rollout = names.index("rollout") if "rollout" in names else -1
        hooks = {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
        before = [ks for k, ks, _ in kinds_at[:max(rollout, 0)] if k == "apply"]
        after = kinds_at[rollout + 1:] if rollout >= 0 else []
        c.check(rollout >= 0 and any("Deployment" in ks for ks in before)
                and not any(ks & hooks for ks in before),
                tag + "the Deployment is applied and its rollout awaited before any webhook is registered",
                names)
        final = [objs for k, ks, objs in after if k == "apply" and hooks <= ks]
        if overlay == "self-signed":
            secret = [o for _, ks, objs in kinds_at[:max(rollout, 0)] for o in objs if o["kind"] == "Secret"]
            crt = open(os.path.join(certs, "tls.crt"), "rb").read()
            c.check(len(secret) == 1 and secret[0]["metadata"]["name"] == SECRET
                    and secret[0].get("type") == "kubernetes.io/tls"
                    and base64.b64decode(secret[0]["data"]["tls.crt"]) == crt,
                    tag + "Secret %s made from certs' tls.crt/tls.key before the rollout" % SECRET)
            want = open(os.path.join(certs, "ca.crt"), "rb").read()
        else:
            c.check("get" in names[rollout + 1:] if rollout >= 0 else False,
                    tag + "reads the service CA from openshift-service-ca.crt after the rollout")
            want = open(service_ca, "rb").read()
        ok = len(final) == 1
        for o in final[0] if ok else []:
            if o["kind"] in hooks:
                ca = o["webhooks"][0].get("clientConfig", {}).get("caBundle", "")
                ok &= is_base64_pem(ca) and base64.b64decode(ca) == want
        c.check(ok, tag + "the webhooks are applied last, with caBundle filled in", names)


def check_containerfile(c, d):
    """The Containerfile against the self-signed Deployment d (None when it
    did not render): a build stage on Debian and a runtime stage from
    scratch that runs nothing, copies only the build stage's tree, runs as
    the Deployment's user and group, exposes its container ports and by
    default listens where its args do. (tests/image_test.py checks the
    built image the same way.)"""
    text = open(os.path.join(ROOT, "Containerfile")).read()
    text = re.sub(r"\\\n", " ", text)  # continuation lines joined
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    runtime = text[text.rfind("\nFROM"):]
    c.check(len(stages) == 2 and "debian" in stages[0] and stages[1] == "scratch",
            "Containerfile: builds on Debian, runs from scratch", stages)
    steps = [line.split()[0].upper() for line in runtime.strip().splitlines()[1:]
             if line.strip() and not line.lstrip().startswith("#")]
    copies = re.findall(r"^COPY\s+(.*)$", runtime, re.M)
    c.check("RUN" not in steps and copies and all(x.startswith("--from=build ") for x in copies),
            "Containerfile: the runtime stage runs nothing and copies only from the build stage",
            steps)
    user = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    if not d:
        c.check(False, "Containerfile: compared with the self-signed Deployment (not rendered)")
        return
    pod = d["spec"]["template"]["spec"]
    ctr = pod["containers"][0]
    sc = dict(pod.get("securityContext", {}), **ctr.get("securityContext", {}))
    want = "%s:%s" % (sc.get("runAsUser"), sc.get("runAsGroup"))
    c.check(user == [want] and sc.get("runAsUser") != 0,
            "Containerfile: USER %s, the Deployment's runAsUser:runAsGroup" % want, user)
    ports = sorted(p["containerPort"] for p in ctr.get("ports", []))
    expose = sorted(int(p.split("/")[0]) for line in re.findall(r"^EXPOSE\s+(.*)$", runtime, re.M)
                    for p in line.split())
    c.check(expose == ports, "Containerfile: EXPOSE %s, the Deployment's container ports" % ports,
            expose)
    cmd = re.findall(r"^CMD\s+(\[.*\])\s*$", runtime, re.M)
    cmd = json.loads(cmd[-1]) if cmd else []
    args = ctr.get("command", []) + ctr.get("args", [])
    same = all(port_of(arg_value(cmd, f)) == port_of(arg_value(args, f)) is not None
               for f in ("--listen", "--health-listen"))
    same &= all(arg_value(cmd, f) == arg_value(args, f) is not None
                for f in ("--tls-cert", "--tls-key"))
    c.check(same, "Containerfile: CMD listens on the Deployment's ports and reads its "
            "--tls-cert and --tls-key paths", cmd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--kubectl", default="kubectl")
    args = ap.parse_args()
    c = Checks()
    overlays = os.path.join(ROOT, "manifests", "overlays")
    rendered = {}
    for name in ("openshift", "self-signed"):
        try:
            rendered[name] = render(args.kubectl, os.path.join(overlays, name))
            c.check(True, "kubectl kustomize manifests/overlays/%s renders (%d objects)" % (name, len(rendered[name])))
        except (RuntimeError, OSError, yaml.YAMLError) as e:
            c.check(False, "kubectl kustomize manifests/overlays/" + name, e)
    check_comments(c)

    objs = rendered.get("openshift")
    if objs:
        tag = "openshift: "
        d = check_common(c, objs, tag, args.bin)
        s = one(objs, "Service", NAME)
        ann = (s or {}).get("metadata", {}).get("annotations", {})
        c.check(ann.get("service.beta.openshift.io/serving-cert-secret-name") == SECRET,
                tag + "Service asks the service CA operator for Secret " + SECRET)
        for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            cfg = one(objs, kind, NAME) or {"metadata": {}, "webhooks": [{}]}
            a = cfg["metadata"].get("annotations", {})
            c.check(a.get("service.beta.openshift.io/inject-cabundle") == "true"
                    and "caBundle" not in cfg["webhooks"][0].get("clientConfig", {}),
                    tag + kind + ": CA bundle injected by the operator (annotation)")
            exprs = cfg["webhooks"][0].get("namespaceSelector", {}).get("matchExpressions", [])
            c.check(any(e.get("key") == "openshift.io/run-level" and e.get("operator") == "NotIn"
                        and {"0", "1"} <= set(e.get("values", [])) for e in exprs),
                    tag + kind + ": leaves out run-level 0 and 1 namespaces")
        if d:
            psc = d["spec"]["template"]["spec"].get("securityContext", {})
            c.check(not {"runAsUser", "runAsGroup", "fsGroup"} & set(psc),
                    tag + "Deployment leaves user and groups to the restricted-v2 SCC", psc)

    objs = rendered.get("self-signed")
    d = None
    if objs:
        tag = "self-signed: "
        d = check_common(c, objs, tag, args.bin)
        for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            cfg = one(objs, kind, NAME) or {"webhooks": [{}]}
            ca = cfg["webhooks"][0].get("clientConfig", {}).get("caBundle", "")
            c.check(ca and not is_base64_pem(ca),
                    tag + kind + ": placeholder caBundle that the API server refuses until deploy.sh fills it")
        if d:
            psc = d["spec"]["template"]["spec"].get("securityContext", {})
            c.check(isinstance(psc.get("runAsUser"), int) and psc["runAsUser"] > 0,
                    tag + "Deployment runs as a numeric non-root user (%s)" % psc.get("runAsUser"))

    # hack/deploy.sh self-signed --render: certificates made, caBundle filled.
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BIN=os.path.abspath(args.bin), CERT_DIR=os.path.join(tmp, "certs"),
                   KUBECTL=args.kubectl, IMAGE="registry.example.com:5000/team/image-policy-webhook:1.2.3")
        try:
            objs = render(args.kubectl, [os.path.join(ROOT, "hack", "deploy.sh"), "self-signed", "--render"], env)
            ca_pem = open(os.path.join(tmp, "certs", "ca.crt"), "rb").read()
            for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
                cfg = one(objs, kind, NAME) or {"webhooks": [{}]}
                ca = cfg["webhooks"][0].get("clientConfig", {}).get("caBundle", "")
                c.check(is_base64_pem(ca) and base64.b64decode(ca) == ca_pem,
                        "deploy.sh self-signed: %s caBundle is the CA that certs made" % kind)
            d = one(objs, "Deployment", NAME)
            img = d["spec"]["template"]["spec"]["containers"][0]["image"] if d else None
            c.check(img == "registry.example.com:5000/team/image-policy-webhook:1.2.3",
                    "deploy.sh: IMAGE sets the Deployment's image", img)
            crt = os.path.join(tmp, "certs", "tls.crt")
            p = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-ext", "subjectAltName"],
                               capture_output=True, text=True)
            c.check("DNS:%s.%s.svc" % (NAME, NS) in p.stdout,
                    "deploy.sh: the serving certificate names the Service (%s.%s.svc)" % (NAME, NS))
        except (RuntimeError, OSError, yaml.YAMLError) as e:
            c.check(False, "hack/deploy.sh self-signed --render", e)

    for overlay in ("self-signed", "openshift"):
        check_deploy_flow(c, args, overlay)

    check_containerfile(c, d)

    print("%d passed, %d failed" % (c.passed, c.failed))
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
