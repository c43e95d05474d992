#!/usr/bin/env python3
"""audit_cli_test.py - `audit` over the recorded cluster dumps in
tests/fixtures/audit/ and `can-pull` over a bindings file: findings, owner
folding, each output format (the PolicyReports checked against the
wgpolicyk8s.io/v1alpha2 schema's shape), --namespace, exit codes, a broken
file among good ones, and bad command lines.

    BIN=bin/image-policy-webhook tests/audit_cli_test.py
"""
import json
import os
import subprocess

import opstest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "audit")
CONFIG = os.path.join(FIX, "config.yaml")
BINDINGS = os.path.join(FIX, "bindings.yaml")
check = opstest.check
BIN = opstest.binary()

# (namespace, kind, name, field, result, reason, pods) of every finding of
# tests/fixtures/audit/cluster, in the report's order.
WANT = [
    ("project-a", "BuildConfig", "frontend",
     "BuildConfig spec.strategy.sourceStrategy.from", "deny", "cross-project", 0),
    ("project-a", "CronJob", "nightly", 'container "job"', "deny",
     "cross-project", 0),
    ("project-a", "CronJob", "nightly", 'container "fetch"', "warn",
     "pull-secret", 0),
    ("project-a", "DeploymentConfig", "frontend",
     "DeploymentConfig spec.triggers[0]", "deny", "cross-project", 0),
    ("project-a", "ImageStream", "web", 'ImageStream tag "prod"', "deny",
     "cross-stream-alias", 0),
    ("project-a", "ImageStream", "web", 'ImageStream tag "2024-01-15"', "warn",
     "dated-tag", 0),
    # the Deployment, its ReplicaSet and two Pods: once, with the Pods
    ("project-c", "Deployment", "web", 'container "app"', "deny",
     "cross-project", 2),
    # a Pod whose controller reference has another uid: not folded
    ("project-c", "Pod", "stray", 'container "app"', "deny", "cross-project", 0),
    # a Pod's own container stays at the Pod
    ("project-c", "Pod", "web-5d8f7-bbbbb", 'container "debug"', "warn",
     "latest", 0),
]
FIXES = {
    ("CronJob", 'container "job"'):
        "oc policy add-role-to-user system:image-puller "
        "system:serviceaccount:project-a:batch --namespace=project-b",
    ("CronJob", 'container "fetch"'):
        "oc secrets link batch <pull_secret_name> --for=pull",
    ("ImageStream", 'ImageStream tag "prod"'):
        "oc tag project-a/other:stable project-a/web:prod",
    ("Deployment", 'container "app"'):
        "oc policy add-role-to-user system:image-puller "
        "system:serviceaccount:project-c:default --namespace=project-b",
}


def run(*args, stdin=None):
    p = subprocess.run([BIN, *args], capture_output=True, text=True,
                       input=stdin, timeout=60)
    return p.returncode, p.stdout, p.stderr


def audit(*args, stdin=None):
    return run("audit", "--config", CONFIG, "--bindings", BINDINGS, *args,
               stdin=stdin)


def test_json():
    rc, out, err = audit("--output", "json", os.path.join(FIX, "cluster"))
    check(rc == 1, "audit json: exit 1 when something would be denied",
          f"exit {rc}: {err}")
    findings = json.loads(out)
    got = [(f["namespace"], f["kind"], f["name"], f["field"], f["result"],
            f["reason"], f["pods"]) for f in findings]
    check(got == WANT, "audit json: every finding, folded, in order",
          json.dumps(got, indent=1))
    for f in findings:
        want = FIXES.get((f["kind"], f["field"]))
        if want is not None:
            check(f.get("fix") == want and f["message"].endswith(want),
                  f"audit json: the fix of {f['kind']} {f['field']}",
                  f.get("fix"))
    latest = [f for f in findings if f["reason"] == "latest"][0]
    check("fix" not in latest, "audit json: no fix where the rule has none")
    check(all(f["apiVersion"] and f["message"] for f in findings),
          "audit json: apiVersion and message on every finding")
    check(err.strip() == "image-policy-webhook: audit: 10 objects, 9 denied, "
          "0 warned", "audit json: the summary on stderr", err)
    names = {(f["kind"], f["name"]) for f in findings}
    check(("DaemonSet", "agent") not in names and ("ConfigMap", "settings")
          not in names and ("Deployment", "api") not in names,
          "audit json: exempt namespace, other kinds, allowed objects absent")


# The same for tests/fixtures/audit/recorded: what a real kube-apiserver and
# its controller-manager hold (ReplicaSets, Pods and Job Pods they made,
# with their uids and ownerReferences), as kubectl dumped it.
WANT_RECORDED = [
    ("project-a", "CronJob", "nightly", 'container "job"', "deny",
     "cross-project", 0),
    ("project-a", "DaemonSet", "agent", 'container "agent"', "deny",
     "cross-project", 0),
    ("project-a", "Job", "once", 'container "once"', "deny", "cross-project",
     1),
    ("project-b", "PodTemplate", "tmpl", 'container "t"', "warn",
     "pull-secret", 0),
    ("project-b", "ReplicationController", "legacy", 'container "legacy"',
     "warn", "dated-tag", 1),
    ("project-b", "ReplicationController", "legacy", 'container "legacy"',
     "deny", "cross-project", 1),
    ("project-c", "Deployment", "web", 'container "app"', "deny",
     "cross-project", 2),
    ("project-c", "StatefulSet", "db", 'container "db"', "warn", "latest", 1),
]


def test_recorded():
    rec = os.path.join(FIX, "recorded")
    rc, out, err = run("audit", "--config", CONFIG, "--bindings",
                       os.path.join(rec, "rbac.yaml"), "--output", "json",
                       os.path.join(rec, "workloads.yaml"))
    findings = json.loads(out) if rc in (0, 1) else []
    got = [(f["namespace"], f["kind"], f["name"], f["field"], f["result"],
            f["reason"], f["pods"]) for f in findings]
    check(rc == 1 and got == WANT_RECORDED,
          "recorded dump: every finding, Pods folded through ReplicaSets and "
          "Jobs", json.dumps(got, indent=1) + err)
    check(err.strip() == "image-policy-webhook: audit: 16 objects, 10 denied, "
          "3 warned", "recorded dump: 16 objects (project-a's api allowed by "
          "its RoleBinding)", err)
    check(all(f.get("uid") for f in findings),
          "recorded dump: every finding carries its object's uid")


def test_table():
    rc, out, err = audit(os.path.join(FIX, "cluster"))
    lines = out.splitlines()
    check(rc == 1 and err == "", "audit table: exit 1, nothing on stderr",
          f"exit {rc}: {err}")
    check(lines[0].split() == ["NAMESPACE", "OBJECT", "FIELD", "RESULT",
                               "REASON", "FIX", "OR", "MESSAGE"],
          "audit table: the header", lines[0])
    check(len(lines) == len(WANT) + 2 and
          lines[-1] == "10 objects, 9 denied, 0 warned",
          "audit table: one line a finding and the summary", out)
    web = [ln for ln in lines if "Deployment/web (+2 pods)" in ln]
    check(len(web) == 1 and web[0].endswith(FIXES[("Deployment",
                                                    'container "app"')]),
          "audit table: the owner line with its pods and fix", out)
    col = lines[0].index("FIELD")
    check(all(ln[col - 2:col] == "  " for ln in lines[1:-1]),
          "audit table: columns aligned", out)


def test_policyreport():
    rc, out, err = audit("--output", "policyreport",
                         os.path.join(FIX, "cluster"))
    check(rc == 1, "policyreport: exit 1", err)
    lst = json.loads(out)
    check(lst.get("apiVersion") == "v1" and lst.get("kind") == "List",
          "policyreport: a v1 List for kubectl apply")
    reports = {r["metadata"]["namespace"]: r for r in lst["items"]}
    check(sorted(reports) == ["project-a", "project-c"],
          "policyreport: one report a namespace audited (none exempt)",
          sorted(reports))
    problems = []
    for ns, r in reports.items():
        if r.get("apiVersion") != "wgpolicyk8s.io/v1alpha2" or \
                r.get("kind") != "PolicyReport":
            problems.append(f"{ns}: apiVersion/kind")
        if r["metadata"].get("name") != "image-policy-webhook":
            problems.append(f"{ns}: name")
        summary = r["summary"]
        if set(summary) != {"pass", "fail", "warn", "error", "skip"} or \
                not all(isinstance(v, int) for v in summary.values()):
            problems.append(f"{ns}: summary fields")
        counts = {"fail": 0, "warn": 0}
        for res in r["results"]:
            if not isinstance(res.get("policy"), str):
                problems.append(f"{ns}: result without policy")
            if res.get("result") not in ("fail", "warn"):
                problems.append(f"{ns}: result {res.get('result')}")
            else:
                counts[res["result"]] += 1
            if res.get("severity") not in ("high", "medium", "low"):
                problems.append(f"{ns}: severity {res.get('severity')}")
            ts = res.get("timestamp", {})
            if set(ts) != {"seconds", "nanos"} or \
                    not all(isinstance(v, int) for v in ts.values()):
                problems.append(f"{ns}: timestamp {ts}")
            if not all(isinstance(v, str)
                       for v in res.get("properties", {}).values()):
                problems.append(f"{ns}: properties not strings")
            if not isinstance(res.get("scored"), bool) or \
                    not isinstance(res.get("message"), str):
                problems.append(f"{ns}: scored or message")
            for ref in res.get("resources", []):
                if set(ref) - {"apiVersion", "kind", "name", "namespace",
                               "uid"} or ref.get("namespace") != ns:
                    problems.append(f"{ns}: resource {ref}")
        if summary["fail"] != counts["fail"] or \
                summary["warn"] != counts["warn"]:
            problems.append(f"{ns}: summary {summary} != {counts}")
    check(not problems, "policyreport: the v1alpha2 schema's shape",
          "; ".join(problems))
    web = [res for res in reports["project-c"]["results"]
           if res["resources"][0]["name"] == "web"]
    check(len(web) == 1 and web[0]["result"] == "fail" and
          web[0]["rule"] == "cross-project" and
          web[0]["properties"] == {"field": 'container "app"',
                                   "fix": FIXES[("Deployment",
                                                 'container "app"')],
                                   "pods": "2"} and
          web[0]["resources"][0]["uid"] ==
          "6b0c1c0e-0000-4000-8000-000000000001",
          "policyreport: the folded Deployment's result", json.dumps(web))


def test_scope_and_inputs():
    rc, out, _ = audit("--output", "json", "--namespace", "project-c",
                       os.path.join(FIX, "cluster"))
    got = json.loads(out)
    check(rc == 1 and got and all(f["namespace"] == "project-c" for f in got),
          "--namespace: only that namespace's findings")
    rc, out, err = audit("--namespace", "project-b",
                         os.path.join(FIX, "cluster"))
    check(rc == 0 and out == "0 objects, 0 denied, 0 warned\n",
          "--namespace with nothing there: exit 0", out + err)
    rc, out, err = audit(os.path.join(FIX, "cluster", "workloads.yaml"),
                         os.path.join(FIX, "cluster", "openshift.json"))
    check(rc == 1 and out.splitlines()[-1] == "10 objects, 9 denied, 0 warned",
          "files named one by one read as the folder", out)
    with open(os.path.join(FIX, "broken", "a-good.yaml")) as f:
        rc, out, err = audit("-", stdin=f.read())
    check(rc == 1 and "Pod/lonely" in out, "- reads standard input", out + err)
    rc, out, err = audit(os.path.join(FIX, "broken"))
    errs = err.splitlines()
    check(rc == 2, "a broken file among good ones: exit 2", f"exit {rc}")
    check("Pod/lonely" in out and out.splitlines()[-1] ==
          "1 objects, 1 denied, 0 warned",
          "a broken file among good ones: the good ones still audited", out)
    check(any("b-broken.json" in e and "line 2" in e for e in errs) and
          any("c-nameless.yaml" in e and "metadata.name" in e for e in errs)
          and not any("notes.txt" in e for e in errs),
          "a broken file among good ones: each named, other suffixes passed "
          "over", err)
    rc, out, err = audit(os.path.join(FIX, "nope"))
    check(rc == 2 and "nope: no such file or folder" in err,
          "a missing path: named, exit 2", err)


def test_bad_command_lines():
    for what, args, pattern in [
        ("audit: bad --output", ["audit", "--output", "xml", "x"],
         "--output xml: must be table, json or policyreport"),
        ("audit: nothing to audit", ["audit"], "audit needs FILE or DIR"),
        ("audit: --bindings and --kube", ["audit", "--kube", "--bindings",
                                          BINDINGS], "exclude each other"),
        ("audit: flag of another command", ["audit", "--listen", ":1", "x"],
         "unknown flag --listen"),
        ("can-pull: one argument", ["can-pull", "--bindings", BINDINGS,
                                    "project-a/default"],
         "needs NAMESPACE/SERVICEACCOUNT and PROJECT"),
        ("can-pull: no slash", ["can-pull", "--bindings", BINDINGS,
                                "default", "project-b"],
         "default: must be NAMESPACE/SERVICEACCOUNT"),
        ("can-pull: empty project", ["can-pull", "--bindings", BINDINGS,
                                     "project-a/default", "/app"],
         "must be PROJECT or PROJECT/STREAM"),
        ("can-pull: no source", ["can-pull", "project-a/default",
                                 "project-b"], "needs --bindings F or --kube"),
        ("serve: --audit-interval without --kube",
         ["serve", "--tls-cert", "a", "--tls-key", "b", "--audit-interval",
          "10m"], "--audit-interval needs --kube"),
        ("serve: bad --audit-interval",
         ["serve", "--tls-cert", "a", "--tls-key", "b", "--kube",
          "--audit-interval", "10 minutes"], "must be a duration"),
    ]:
        rc, _, err = run(*args)
        check(rc == 2 and len(err.splitlines()) == 1 and pattern in err,
              what + ": one line, exit 2", f"exit {rc}: {err}")


def test_can_pull():
    rc, out, _ = run("can-pull", "--bindings", BINDINGS, "project-a/default",
                     "project-b/app")
    check(rc == 0 and out == "yes: RoleBinding project-b/system:image-puller-"
          "project-a (ClusterRole system:image-puller, OpenShift's bootstrap "
          "definition) grants get imagestreams/layers to ServiceAccount "
          "project-a/default\n", "can-pull: yes names the grant", out)
    rc, out, _ = run("can-pull", "--bindings", BINDINGS, "project-c/default",
                     "project-b")
    check(rc == 1 and out.startswith("no: nothing grants") and
          out.rstrip().endswith("fix: oc policy add-role-to-user "
                                "system:image-puller "
                                "system:serviceaccount:project-c:default "
                                "--namespace=project-b"),
          "can-pull: no, with the fix", out)
    rc, out, _ = run("can-pull", "--bindings",
                     os.path.join(ROOT, "hack", "bindings.yaml"), "-v",
                     "project-a/default", "openshift/cli")
    lines = out.splitlines()
    check(rc == 0 and lines and lines[0].startswith("yes: ") and
          all(ln.startswith("also: ") for ln in lines[1:]) and
          "Group system:authenticated" in out,
          "can-pull -v: every grant, the first as yes", out)


test_json()
test_recorded()
test_table()
test_policyreport()
test_scope_and_inputs()
test_bad_command_lines()
test_can_pull()
opstest.finish()
