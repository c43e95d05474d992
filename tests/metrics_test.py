#!/usr/bin/env python3
"""metrics_test.py - GET /metrics: the Prometheus text format, checked by
promtool and by a strict parser of our own, and every counter seen to move
by exactly what the requests made.

    BIN=bin/image-policy-webhook tests/metrics_test.py

Starts "$BIN serve --bindings tests/fixtures/rbac/rbac-list.json", scrapes,
posts the request of every fixture case (without config and bindings) to
its endpoint plus a few bad requests, scrapes again, and compares the
differences with what the answers hold: reviews by endpoint, kind,
operation and decision; patches and patch operations; warnings and
denials; the latency histogram; HTTP errors by route and code. Also the
gauges: bindings loaded, source, certificate expiry, build information.
promtool (Debian package prometheus) must print nothing; when it is not
installed that check is reported as skipped and the parser alone decides.
"""
import base64
import json
import math
import os
import re
import shutil
import ssl
import subprocess
import time
from collections import Counter

import opstest
from opstest import Server, check

P = "image_policy_webhook_"
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
KINDS = {"Pod", "PodTemplate", "ReplicationController", "ReplicaSet",
         "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob",
         "DeploymentConfig", "BuildConfig", "Build", "ImageStream",
         "ImageStreamTag", "ImageTag", "EphemeralContainers"}


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise ValueError(s)
    return float(s)


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) in (
                "histogram", "summary"):
            return name[: -len(suffix)]
    return name


def parse(text):
    """(samples {(name, labels tuple): value}, types, problems)."""
    problems, samples, types, helps = [], {}, {}, {}
    seen_families, current = set(), None
    if not text.endswith("\n"):
        problems.append("the text does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = f"line {n}"
        if line == "":
            problems.append(f"{where}: empty line")
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    problems.append(f"{where}: bad metric name {name!r}")
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        problems.append(f"{where}: bad TYPE line")
                    elif name in types:
                        problems.append(f"{where}: second TYPE for {name}")
                    elif name in seen_families:
                        problems.append(f"{where}: TYPE after samples of {name}")
                    else:
                        types[name] = parts[3]
                else:
                    if name in helps:
                        problems.append(f"{where}: second HELP for {name}")
                    helps[name] = parts[3] if len(parts) == 4 else ""
            continue
        m = NAME.match(line)
        if not m:
            problems.append(f"{where}: no metric name: {line!r}")
            continue
        name, rest = m.group(0), line[m.end():]
        labels = []
        if rest.startswith("{"):
            end = rest.find("}")
            body = rest[1:end] if end >= 0 else ""
            pos = 0
            while pos < len(body):
                lm = LABEL.match(body, pos)
                if not lm:
                    problems.append(f"{where}: bad labels {body!r}")
                    break
                if lm.group(1).startswith("__"):
                    problems.append(f"{where}: reserved label {lm.group(1)}")
                labels.append((lm.group(1), lm.group(2)))
                pos = lm.end()
                if pos < len(body):
                    if body[pos] != ",":
                        problems.append(f"{where}: bad labels {body!r}")
                        break
                    pos += 1
            if len({k for k, _ in labels}) != len(labels):
                problems.append(f"{where}: a label twice")
            rest = rest[end + 1:] if end >= 0 else ""
        fields = rest.split(" ")
        if len(fields) not in (2, 3) or fields[0] != "":
            problems.append(f"{where}: want one space, a value and maybe a "
                            f"timestamp: {line!r}")
            continue
        try:
            value = parse_value(fields[1])
        except ValueError:
            problems.append(f"{where}: bad value {fields[1]!r}")
            continue
        fam = family_of(name, types)
        if fam != current:
            if fam in seen_families:
                problems.append(f"{where}: samples of {fam} not together")
            seen_families.add(fam)
            current = fam
        if fam not in types:
            problems.append(f"{where}: {fam} has no TYPE")
        if fam not in helps:
            problems.append(f"{where}: {fam} has no HELP")
        if types.get(fam) == "counter" and not fam.endswith("_total"):
            problems.append(f"{where}: counter {fam} does not end in _total")
        if types.get(fam) == "counter" and not value >= 0:
            problems.append(f"{where}: counter {name} is {value}")
        key = (name, tuple(sorted(labels)))
        if key in samples:
            problems.append(f"{where}: series {key} twice")
        samples[key] = value
    problems += check_histograms(samples, types)
    return samples, types, problems


def check_histograms(samples, types):
    problems = []
    for fam, t in types.items():
        if t != "histogram":
            continue
        groups = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                rest = tuple(l for l in labels if l[0] != "le")
                le = dict(labels).get("le")
                groups.setdefault(rest, []).append((parse_value(le), v))
        for rest, buckets in groups.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            if buckets[-1][0] != math.inf:
                problems.append(f"{fam}{rest}: no +Inf bucket")
            if counts != sorted(counts):
                problems.append(f"{fam}{rest}: buckets not cumulative")
            if samples.get((fam + "_count", rest)) != counts[-1]:
                problems.append(f"{fam}{rest}: _count is not the +Inf bucket")
            if (fam + "_sum", rest) not in samples:
                problems.append(f"{fam}{rest}: no _sum")
    return problems


def scrape(s, what):
    status, resp, data = s.get("/metrics")
    ctype = resp.getheader("Content-Type") or ""
    check(status == 200 and ctype.startswith("text/plain; version=0.0.4"),
          f"{what}: GET /metrics 200, {ctype}", f"status {status}")
    text = data.decode()
    samples, types, problems = parse(text)
    check(not problems, f"{what}: the text format parses strictly "
          f"({len(samples)} series)", "; ".join(problems[:5]))
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=text,
                           capture_output=True, text=True)
        out = (r.stdout + r.stderr).strip()
        check(r.returncode == 0 and not out,
              f"{what}: promtool check metrics finds nothing",
              f"exit {r.returncode}: {out[:500]}")
    else:
        print(f"skip {what}: promtool not installed (Debian package "
              "prometheus); the parser above decided")
    return samples


def value(samples, name, **labels):
    return samples.get((P + name, tuple(sorted(labels.items()))), 0)


def delta(before, after, name, **labels):
    return value(after, name, **labels) - value(before, name, **labels)


def expected(answers):
    """What the metrics must have counted for these (endpoint, request,
    answer) triples."""
    e = Counter()
    for ep, req, ans in answers:
        r = ans["response"]
        kind = req["request"]["kind"]["kind"]
        op = req["request"].get("operation", "")
        patch = r.get("patch")
        ops = json.loads(base64.b64decode(patch)) if patch else []
        decision = ("denied" if r.get("allowed") is False
                    else "patched" if ops else "allowed")
        e[("reviews", ep, kind if kind in KINDS else "other",
           op if op in ("CREATE", "UPDATE", "DELETE", "CONNECT") else "other",
           decision)] += 1
        e["patches"] += 1 if ops else 0
        e["patch_ops"] += len(ops)
        e["warnings"] += len(r.get("warnings", []))
        e["denied"] += 1 if r.get("allowed") is False else 0
        e[("latency", ep)] += 1
    return e


def parser_self_test():
    """The parser finds what it must find (else its silence means little)."""
    good = ("# HELP a_total x\n# TYPE a_total counter\na_total{l=\"v\"} 1\n"
            "# HELP h y\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
            "h_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n")
    bad = {
        "no newline at the end": good[:-1],
        "counter without _total": "# HELP a x\n# TYPE a counter\na 1\n",
        "no TYPE": "# HELP a x\na 1\n",
        "bad label": good.replace('l="v"', 'l=v'),
        "bad value": good.replace("a_total{l=\"v\"} 1", "a_total{l=\"v\"} one"),
        "series twice": good.replace("a_total{l=\"v\"} 1\n",
                                     "a_total{l=\"v\"} 1\na_total{l=\"v\"} 2\n"),
        "count is not +Inf": good.replace("h_count 2", "h_count 3"),
        "not cumulative": good.replace("le=\"+Inf\"} 2", "le=\"+Inf\"} 0")
                              .replace("h_count 2", "h_count 0"),
        "interleaved": good + "a_total{l=\"w\"} 1\n",
    }
    ok = not parse(good)[2]
    missed = [k for k, t in bad.items() if not parse(t)[2]]
    check(ok and not missed, "the strict parser accepts good text and finds "
          f"each of {len(bad)} faults", f"good ok: {ok}, missed: {missed}")


def main():
    parser_self_test()
    rbac = os.path.join(opstest.FIXTURES, "rbac", "rbac-list.json")
    s = Server("--bindings", rbac, name="metrics").start()
    before = scrape(s, "first scrape")

    # Every fixture request, over one keep-alive connection.
    answers = []
    conn = s.connection()
    for path, c in opstest.cases():
        status, _, data = s.post(c["endpoint"], c["request"], conn=conn)
        if status == 200:
            answers.append((c["endpoint"], c["request"], json.loads(data)))
    conn.close()
    check(len(answers) > 20, f"{len(answers)} fixture requests answered")
    # Errors: 404, 405, 415, 400 (twice), and a 400 of the review.
    s.get("/nowhere")
    s.request("GET", "/mutate")
    s.request("POST", "/validate", b"{}", {"Content-Type": "text/plain"})
    s.post("mutate", b"not json")
    s.post("validate", b"{\"request\": 1}")
    after = scrape(s, "second scrape")
    # Loaded on first use: serving without --kube never maps them.
    lazy = opstest.dlopened()
    check(not any(opstest.mapped(s.proc.pid, so) for so in lazy),
          f"serve without --kube, after {len(answers)} reviews, maps none of "
          f"{', '.join(lazy)}",
          ", ".join(so for so in lazy if opstest.mapped(s.proc.pid, so)))

    e = expected(answers)
    got = Counter()
    for (name, labels), v in after.items():
        if name == P + "reviews_total":
            d = dict(labels)
            d0 = before.get((name, labels), 0)
            if v - d0:
                got[("reviews", d["endpoint"], d["kind"], d["operation"],
                     d["decision"])] += v - d0
    want = {k: v for k, v in e.items() if k[0] == "reviews"}
    check(dict(got) == want,
          f"reviews_total moved by the answers' endpoint, kind, operation "
          f"and decision ({sum(want.values())} reviews, {len(want)} series)",
          f"want {want} got {dict(got)}")
    check(delta(before, after, "patches_total") == e["patches"] > 0,
          f"patches_total moved by {e['patches']}",
          f"{delta(before, after, 'patches_total')}")
    check(delta(before, after, "patch_operations_total") == e["patch_ops"] > 0,
          f"patch_operations_total moved by {e['patch_ops']}",
          f"{delta(before, after, 'patch_operations_total')}")
    reasons = ["cross-project", "invalid-reference", "dated-tag", "latest",
               "pull-secret", "cross-stream-alias", "too-large",
               "trigger-annotation"]
    w = sum(delta(before, after, "warnings_total", reason=r) for r in reasons)
    check(w == e["warnings"] > 0,
          f"warnings_total by reason adds up to the {e['warnings']} warnings "
          "sent", f"{w}")
    d = {r: delta(before, after, "denials_total", reason=r) for r in reasons}
    check(d["cross-project"] > 0 and sum(d.values()) >= e["denied"] > 0,
          f"denials_total by reason: {e['denied']} denied answers, "
          f"{sum(d.values())} offending references ({d['cross-project']} "
          "cross-project)", f"{d}")
    for (name, labels) in after:
        if name in (P + "warnings_total", P + "denials_total"):
            if dict(labels)["reason"] not in reasons:
                check(False, f"{name}: unknown reason {labels}")
    for ep in ("mutate", "validate"):
        n = delta(before, after, "request_duration_seconds_count",
                  endpoint=ep)
        # every answer is timed: per endpoint, one 400 and one 405 or 415
        check(n == e[("latency", ep)] + 2,
              f"request_duration_seconds{{endpoint={ep}}} counted {n} "
              "requests", f"want {e[('latency', ep)] + 2}")
        fast = delta(before, after, "request_duration_seconds_bucket",
                     endpoint=ep, le="1")
        check(fast == n, f"{ep}: every request under 1 s", f"{fast} of {n}")
    errs = {("other", "404"): 1, ("/mutate", "405"): 1,
            ("/validate", "415"): 1, ("/mutate", "400"): 1,
            ("/validate", "400"): 1}
    got = {k: delta(before, after, "http_errors_total", route=k[0], code=k[1])
           for k in errs}
    check(got == errs, "http_errors_total by route and code", f"{got}")

    # Gauges.
    with open(rbac) as f:
        nb = sum(1 for i in json.load(f)["items"]
                 if i["kind"] in ("RoleBinding", "ClusterRoleBinding"))
    check(value(after, "rbac_bindings") == nb,
          f"rbac_bindings is {nb}", f"{value(after, 'rbac_bindings')}")
    check(value(after, "rbac_source_info", source="file") == 1
          and value(after, "rbac_source_info", source="none") == 0
          and value(after, "rbac_synced") == 1,
          "rbac_source_info{source=file} 1, rbac_synced 1")
    cert = ssl._ssl._test_decode_cert(os.path.join(opstest.certs(), "tls.crt"))
    not_after = ssl.cert_time_to_seconds(cert["notAfter"])
    check(value(after, "certificate_expiry_timestamp_seconds") == not_after,
          f"certificate_expiry_timestamp_seconds is the notAfter "
          f"({cert['notAfter']})",
          f"{value(after, 'certificate_expiry_timestamp_seconds')}")
    info = [dict(l) for (n, l), v in after.items()
            if n == P + "build_info" and v == 1]
    check(len(info) == 1 and all(info[0].get(k) for k in
                                 ("version", "libmicrohttpd", "gnutls",
                                  "jansson")),
          f"build_info {info[0] if info else None}")
    check(0 < after.get(("process_start_time_seconds", ()), 0) <= time.time(),
          "process_start_time_seconds")

    # A server without bindings says so.
    s2 = Server(name="metrics-none").start()
    m = scrape(s2, "no bindings")
    check(value(m, "rbac_source_info", source="none") == 1
          and value(m, "rbac_bindings") == 0, "no bindings: source none, 0")
    check(s.stop() == 0 and s2.stop() == 0, "servers exit 0 on SIGTERM")
    kube_metrics(rbac, nb)
    opstest.finish()


def kube_metrics(rbac, nb):
    """serve --kube against tests/kube_stub.py: the sync state in /metrics."""
    import sys
    c = opstest.certs()
    tmp = opstest.tmpdir()
    log = open(os.path.join(tmp, "stub.log"), "w")
    stub = subprocess.Popen(
        [sys.executable, os.path.join(opstest.ROOT, "tests", "kube_stub.py"),
         "--cert", f"{c}/tls.crt", "--key", f"{c}/tls.key", "--token", "t",
         "--data", rbac, "--bookmark-interval", "0.5"],
        stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        port = json.loads(stub.stdout.readline())["port"]
        kc = opstest.kubeconfig(os.path.join(tmp, "kubeconfig"),
                                f"https://127.0.0.1:{port}",
                                {"certificate-authority": f"{c}/ca.crt"},
                                {"token": "t"})
        s = Server("--kubeconfig", kc, name="metrics-kube").start()
        deadline = time.monotonic() + 10
        while True:  # every watch open
            status, _, data = s.get("/metrics")
            if (f"{P}rbac_watch_connected 1" in data.decode()
                    or time.monotonic() > deadline):
                break
            time.sleep(0.1)
        m = scrape(s, "--kube")
        check(value(m, "rbac_source_info", source="kube") == 1
              and value(m, "rbac_synced") == 1
              and value(m, "rbac_watch_connected") == 1
              and value(m, "rbac_state_age_seconds") == 0
              and value(m, "rbac_lists_total") >= 5
              and value(m, "rbac_last_sync_timestamp_seconds") > 0,
              "--kube: source kube, synced, watches connected, lists counted",
              repr({k[0][len(P):]: v for k, v in m.items()
                    if k[0].startswith(P + "rbac_")}))
        curl = [so for so in opstest.dlopened() if so.startswith("libcurl.")]
        check(len(curl) == 1 and opstest.mapped(s.proc.pid, curl[0]),
              f"--kube: {', '.join(curl) or 'libcurl'} loaded (it lists and "
              f"watches)")
        check(value(m, "rbac_bindings") == nb,
              f"--kube: rbac_bindings is the {nb} bindings the API holds",
              f"{value(m, 'rbac_bindings')}")
        check(s.stop() == 0, "--kube: exit 0 on SIGTERM")
    finally:
        stub.kill()
        stub.wait()
        log.close()


if __name__ == "__main__":
    main()
