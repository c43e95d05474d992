#!/usr/bin/env python3
"""record_test.py - serve --record-dir, then `test` replays what it wrote;
a tampered case fails.

    BIN=bin/image-policy-webhook tests/record_test.py

Starts "$BIN serve --record-dir DIR" with a config and a bindings file,
posts every fixture request (one keep-alive connection), a few crafted ones
(a denial, a patch, a warning), a burst from several threads at once, and a
request that is not an AdmissionReview; stops the server; then checks the
files (one per answered review, complete JSON, mode 0600, sortable unique
names, no temporary file left, the request and answer as sent) and runs
"$BIN test --config C --bindings B DIR": every case passes. Then each of
several tampered copies (decision, status message, patch, warnings) makes
`test` exit 1 naming the case and where it differs. Also: a record
directory that goes away costs no request (logged once, counted), and a
--record-dir that is a file is refused at start.
"""
import base64
import copy
import json
import os
import re
import shutil
import stat
import subprocess
import threading
import time

import opstest
from opstest import Server, check

REG = "image-registry.openshift-image-registry.svc:5000"
NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-(\d{6,})-(mutate|validate)-"
                  r"[A-Za-z0-9._-]+\.json$")


def pod(uid, image, ns="project-x"):
    return {
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": ns, "operation": "CREATE",
            "object": {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": uid, "namespace": ns},
                       "spec": {"containers": [{"name": "app",
                                                "image": image}]}},
        },
    }


CRAFTED = [
    ("validate", pod("denied-1", f"{REG}/nobody/app:v1")),
    ("mutate", pod("patched-1", "nginx")),
    ("validate", pod("warned-1", "quay.io/o/app:v1-2019-05-01")),
]


def run_test(*args):
    r = subprocess.run([opstest.binary(), "test"] + list(args),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.splitlines(), r.stderr



def as_read(v):
    """v as the webhook reads it: a NUL in a string or key is the six
    characters \\u0000 (policy/jsonload.h)."""
    if isinstance(v, str):
        return v.replace("\0", "\\u0000")
    if isinstance(v, list):
        return [as_read(x) for x in v]
    if isinstance(v, dict):
        return {as_read(k): as_read(x) for k, x in v.items()}
    return v

def in_threads(fn, n, timeout):
    """fn(0) .. fn(n-1), each in a thread of its own; wait for them all."""
    threads = [threading.Thread(target=fn, args=(t,)) for t in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def metric(s, result):
    """recorded_reviews_total{result=...} now."""
    want = f'image_policy_webhook_recorded_reviews_total{{result="{result}"}} '
    for line in s.get("/metrics")[2].decode().splitlines():
        if line.startswith(want):
            return int(float(line[len(want):]))
    return None


def case_files(d):
    """The case files in d (names the server would write), sorted."""
    return sorted(n for n in os.listdir(d) if NAME.match(n)
                  and os.path.isfile(os.path.join(d, n)))


def capped_files(tmp):
    """--record-max-files under load: the cap holds at every moment."""
    d = os.path.join(tmp, "capped")
    os.mkdir(d, 0o700)
    foreign = ["README", "notes.json",
               ".20261128T040621.251305Z-000001-mutate-x.json.1.tmp",
               "20261128T040621.251305Z-000001-mutate-x.json.bak",
               "20261128T040621.251305Z-000001-patch-x.json"]
    for n in foreign:
        with open(os.path.join(d, n), "w") as f:
            f.write("not a case\n")
    os.mkdir(os.path.join(d, "20000101T000000.000000Z-000000-mutate-dir.json"))
    for i in range(5):
        with open(os.path.join(
                d, f"20200101T000000.000000Z-00000{i}-mutate-old-{i}.json"),
                "w") as f:
            f.write("{}\n")
    s = Server("--record-dir", d, "--record-max-files", "20",
               name="record-capped").start()
    start = [l for l in s.lines() if isinstance(l, dict)
             and l.get("msg", "").startswith("recording every review")]
    check(len(start) == 1 and "(5 case files of 15 bytes there now; at most "
          "20 files and 1073741824 bytes kept" in start[0]["msg"],
          "the start line counts the cases already there and says the caps",
          repr(start))

    posting = True
    seen = {"max": 0, "partial": [], "opened": 0}

    def watcher():
        while True:
            done = not posting  # one listing more once all are written
            names = case_files(d)
            seen["max"] = max(seen["max"], len(names))
            for n in names:
                try:
                    with open(os.path.join(d, n)) as f:
                        text = f.read()
                except FileNotFoundError:
                    continue  # rotated since the listing
                seen["opened"] += 1
                try:
                    if text != "{}\n":
                        json.loads(text)
                except ValueError:
                    seen["partial"].append(n)
            if done:
                return
            time.sleep(0.005)

    statuses = []

    def poster(t):
        c = s.connection()
        for i in range(50):
            st, _, _ = s.post("mutate", pod(f"cap-{t}-{i}", "nginx"), conn=c)
            statuses.append(st)
        c.close()
    w = threading.Thread(target=watcher)
    w.start()
    in_threads(poster, 4, 120)
    opstest.wait_for(lambda: metric(s, "success") == 200, 10)
    posting = False
    w.join(10)
    check(statuses == [200] * 200, "200 reviews answered 200 while recording",
          f"{len(statuses)} answers, {len([x for x in statuses if x != 200])} "
          "not 200")
    check(seen["max"] == 20 and seen["opened"] >= 20,
          "--record-max-files 20: never more than 20 case files in the "
          "directory while 200 came (and 20 once full)",
          f"at most {seen['max']}, {seen['opened']} files read")
    check(not seen["partial"], "every case file read while recording is "
          "complete JSON", repr(seen["partial"][:3]))
    # Then 20 one after another: times and sequence numbers agree, so
    # these are the 20 newest names.
    c = s.connection()
    for i in range(20):
        s.post("mutate", pod(f"seq-{i}", "nginx"), conn=c)
    c.close()
    opstest.wait_for(lambda: metric(s, "success") == 220, 10)
    got = {r: metric(s, r) for r in ("success", "failure", "rotated")}
    check(got == {"success": 220, "failure": 0, "rotated": 205},
          "recorded_reviews_total: success 220, failure 0, rotated 205 "
          "(5 there + 220 new - 20 kept)", repr(got))
    rc = s.stop()
    names = case_files(d)
    want = [f"-{200 + i:06d}-mutate-seq-{i}.json" for i in range(20)]
    check(rc == 0 and len(names) == 20
          and all(n.endswith(w) for n, w in zip(names, want)),
          "at the end the 20 newest cases, in order; the earlier run's and "
          "the burst's rotated out", f"exit {rc}, {len(names)} files: "
          f"{names[:2]}")
    left = sorted(os.listdir(d))
    check(all(n in left for n in foreign)
          and "20000101T000000.000000Z-000000-mutate-dir.json" in left
          and len(left) == len(foreign) + 1 + 20,
          "files that are not case files are left alone, no temporary file "
          "left", repr([n for n in left if n not in names]))


def capped_bytes(tmp):
    """--record-max-bytes: the case files never hold more than the cap."""
    d = os.path.join(tmp, "capped-bytes")
    s = Server("--record-dir", d, "--record-max-bytes", "16Ki",
               name="record-bytes").start()
    conn = s.connection()
    most = 0
    for i in range(60):
        s.post("validate", pod(f"bytes-{i}", f"{REG}/nobody/app:v{i}"),
               conn=conn)
        opstest.wait_for(lambda: metric(s, "success") == i + 1, 5)
        most = max(most, sum(os.path.getsize(os.path.join(d, n))
                             for n in case_files(d)))
    conn.close()
    n = len(case_files(d))
    rotated = metric(s, "rotated")
    s.stop()
    check(0 < most <= 16384 and 1 < n < 60 and rotated == 60 - n,
          "--record-max-bytes 16Ki: at most 16384 bytes of case files, the "
          "oldest rotated out",
          f"at most {most} bytes, {n} files kept, rotated {rotated}")


def main():
    tmp = opstest.tmpdir()
    rec = os.path.join(tmp, "recorded")
    config = os.path.join(opstest.FIXTURES, "configs", "enforce.yaml")
    rbac = os.path.join(opstest.FIXTURES, "rbac", "rbac-list.json")
    s = Server("--record-dir", rec, "--config", config, "--bindings", rbac,
               name="record").start()
    check(stat.S_IMODE(os.stat(rec).st_mode) == 0o700,
          "--record-dir made the directory, mode 0700",
          oct(os.stat(rec).st_mode))

    sequential = []  # (endpoint, request, answer) in order
    conn = s.connection()
    for ep, review in [(c["endpoint"], c["request"])
                       for _, c in opstest.cases(with_config=True)] + CRAFTED:
        status, _, data = s.post(ep, review, conn=conn)
        if status == 200:
            sequential.append((ep, review, json.loads(data)))
    conn.close()
    status, _, _ = s.post("mutate", b"{\"request\": {}}")
    check(status == 400, "a body that is not an AdmissionReview: 400")

    burst, lock = [], threading.Lock()

    def poster(t):
        c = s.connection()
        for i in range(15):
            r = pod(f"burst-{t}-{i}", "nginx:1.25" if i % 2 else "nginx")
            st, _, data = s.post("mutate", r, conn=c)
            if st == 200:
                with lock:
                    burst.append(("mutate", r, json.loads(data)))
        c.close()
    in_threads(poster, 4, 60)
    rc = s.stop()
    check(rc == 0, "server exits 0 on SIGTERM", f"exit status {rc}")

    names = sorted(os.listdir(rec))
    total = len(sequential) + len(burst)
    check(len(names) == total > 60,
          f"one file per answered review ({total}), none for the 400",
          f"{len(names)} files: {[n for n in names if not NAME.match(n)][:3]}")
    check(all(NAME.match(n) for n in names),
          "names are TIME-SEQUENCE-ENDPOINT-UID.json, no temporary file left",
          repr([n for n in names if not NAME.match(n)][:3]))
    seqs = [int(NAME.match(n).group(1)) for n in names if NAME.match(n)]
    check(len(set(seqs)) == len(seqs) == len(set(names)),
          "names are unique (the sequence never repeats)")
    modes = {oct(stat.S_IMODE(os.stat(os.path.join(rec, n)).st_mode))
             for n in names}
    check(modes == {"0o600"}, "files are mode 0600", repr(modes))

    cases, bad = {}, []
    for n in names:
        try:
            with open(os.path.join(rec, n)) as f:
                cases[n] = json.load(f)
        except ValueError as e:
            bad.append(f"{n}: {e}")
    check(not bad, "every file is complete JSON", "; ".join(bad[:3]))
    by_seq = [cases[n] for n in sorted(cases, key=lambda n: int(
        NAME.match(n).group(1)))]
    problems = []
    for (ep, req, ans), c in zip(sequential, by_seq):
        if set(c) != {"description", "endpoint", "request", "answer"}:
            problems.append(f"keys {sorted(c)}")
        if c.get("endpoint") != ep or c.get("request") != as_read(req) \
                or c.get("answer") != ans:
            problems.append(f"{req['request']['uid']}: not what was sent")
    check(not problems and len(by_seq) >= len(sequential),
          "files hold the endpoint, the request received and the answer "
          "sent, in order", "; ".join(problems[:3]))
    first = [n for n in names if int(NAME.match(n).group(1)) < len(sequential)]
    check(first == sorted(first, key=lambda n: int(NAME.match(n).group(1))),
          "names sort in the order the reviews came")
    recorded_burst = {json.dumps(c["request"], sort_keys=True)
                      for c in cases.values()}
    check(all(json.dumps(r, sort_keys=True) in recorded_burst
              for _, r, _ in burst),
          f"the concurrent burst ({len(burst)} reviews) is all there")

    # Replay: every recorded case passes with the same config and bindings.
    code, out, err = run_test("--config", config, "--bindings", rbac, rec)
    passes = [l for l in out if l.startswith("PASS ")]
    check(code == 0 and len(passes) == total
          and out[-1] == f"{total} passed, 0 failed",
          f"test DIR: exit 0, {total} PASS lines, '{total} passed, 0 failed'",
          f"exit {code}: {out[-3:]} {err[:300]}")

    # Tampered copies fail.
    def find(pred):
        for n in names:
            if pred(cases[n]["answer"]["response"]):
                return n
        return None
    denied = find(lambda r: r.get("allowed") is False)
    patched = find(lambda r: "patch" in r)
    warned = find(lambda r: r.get("warnings"))
    good = find(lambda r: r.get("allowed") is True and "patch" not in r
                and not r.get("warnings"))

    def flip_allowed(r):
        r["allowed"] = True
        del r["status"]

    def edit_message(r):
        r["status"]["message"] += " (edited)"

    def edit_patch(r):
        ops = json.loads(base64.b64decode(r["patch"]))
        ops[0]["value"] = "Never"
        r["patch"] = base64.b64encode(json.dumps(ops).encode()).decode()

    def drop_warning(r):
        r["warnings"] = r["warnings"][1:]
        if not r["warnings"]:
            del r["warnings"]

    tampers = [("decision flipped", denied, flip_allowed, "/response/allowed"),
               ("status message edited", denied, edit_message,
                "/response/status/message"),
               ("patch value edited", patched, edit_patch,
                "/response/patch/0/value"),
               ("a warning dropped", warned, drop_warning, "/response/warnings")]
    for what, name, edit, where in tampers:
        if name is None or good is None:
            check(False, f"tampered ({what})", "no such case recorded")
            continue
        d = os.path.join(tmp, "tampered-" + what.replace(" ", "-"))
        os.mkdir(d)
        shutil.copy(os.path.join(rec, good), d)
        c = copy.deepcopy(cases[name])
        edit(c["answer"]["response"])
        with open(os.path.join(d, name), "w") as f:
            json.dump(c, f, indent=1)
        code, out, err = run_test("--config", config, "--bindings", rbac, d)
        fails = [l for l in out if l.startswith("FAIL ")]
        check(code == 1 and out[-1] == "1 passed, 1 failed"
              and len(fails) == 1 and name in fails[0] and where in fails[0],
              f"tampered case ({what}): exit 1, one FAIL line at {where}",
              f"exit {code}: {out}")

    # The directory goes away: requests still answered, the loss logged once.
    gone = os.path.join(tmp, "gone")
    s = Server("--record-dir", gone, name="record-gone").start()
    os.rmdir(gone)
    statuses = [s.post("mutate", pod(f"g{i}", "nginx"))[0] for i in range(3)]
    check(statuses == [200, 200, 200],
          "record directory removed: reviews still answered 200",
          repr(statuses))
    want = 'image_policy_webhook_recorded_reviews_total{result="failure"} 3'
    deadline = time.monotonic() + 5  # the record thread reports it
    while True:
        metrics = s.get("/metrics")[2].decode()
        if want in metrics or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check(want in metrics, "record failures counted in /metrics")
    s.stop()
    errs = [l for l in s.lines() if isinstance(l, dict)
            and l.get("level") == "error" and "--record-dir" in l.get("msg", "")]
    check(len(errs) == 1, "record failure logged once, with its cause",
          repr(errs))

    f = os.path.join(tmp, "a-file")
    open(f, "w").close()
    r = subprocess.run([opstest.binary(), "serve", "--tls-cert", "a",
                        "--tls-key", "b", "--record-dir", f],
                       capture_output=True, text=True)
    check(r.returncode == 2 and len(r.stderr.splitlines()) == 1,
          "--record-dir naming a file: exit 2 with one line", repr(r.stderr))

    capped_files(tmp)
    capped_bytes(tmp)
    opstest.finish()


if __name__ == "__main__":
    main()
