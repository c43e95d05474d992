#!/usr/bin/env python3
"""tls_client.py - TLS clients for the certificate tests (reload, mTLS).

  tls_client.py load  --port P --ca CA --stop FILE [--seconds S] [--max N]
      Two client threads post AdmissionReviews to /mutate until FILE exists
      (or S seconds, or N requests each): one opens a new TLS connection for
      every request (so it sees a reloaded certificate at once), one keeps a
      keep-alive connection (reconnecting when the server closes it). One line
      per request, "ok MODE SHA256-OF-SERVED-CERT" or "FAIL MODE WHY" (a
      keep-alive connection that the server closes counts as a failure: it
      must not), then "total N failed M". Exit 0.

  tls_client.py probe --port P --ca CA [--cert C --key K] [--tls12]
                      [--path /mutate]
      One request. Prints "status CODE" and exits 0 when an HTTP answer came;
      prints "refused WHY" and exits 1 when TLS refused the connection (at the
      handshake, or for TLS 1.3 with the alert the server sends after it).

  tls_client.py hold --port P --ca CA --cert C --key K --ready FILE --go FILE
                     [--handshake-only]
      One keep-alive connection: POST /mutate (or, with --handshake-only,
      only the TLS handshake), then create FILE --ready, wait (at most 60 s)
      until FILE --go exists, and POST on the same connection. Prints "first
      200, then 200 on the same connection" (or "handshake, then ...") and
      exits 0 when the answers are right; else prints "failed: WHY" and
      exits 1.
"""
import argparse
import hashlib
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time

REVIEW = {
    "apiVersion": "admission.k8s.io/v1",
    "kind": "AdmissionReview",
    "request": {
        "uid": "UID",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "namespace": "project-a",
        "operation": "CREATE",
        "object": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "project-a"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
        },
    },
}


def context(ca, cert=None, key=None, tls12=False):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def post(conn, uid, path="/mutate"):
    """One AdmissionReview; returns None when the answer is right, else why."""
    body = dict(REVIEW)
    body["request"] = dict(REVIEW["request"], uid=uid)
    conn.request("POST", path, body=json.dumps(body),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        return "status %d: %s" % (resp.status, data[:200])
    answer = json.loads(data)
    if answer.get("response", {}).get("uid") != uid:
        return "wrong uid in %s" % data[:200]
    return None


def fingerprint(conn):
    der = conn.sock.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest()


def load(args):
    ctx = context(args.ca)
    lock = threading.Lock()
    counts = {"total": 0, "failed": 0}
    deadline = time.monotonic() + args.seconds

    def report(line, failed):
        with lock:
            counts["total"] += 1
            counts["failed"] += failed
            print(line, flush=True)

    def done(n):
        return (os.path.exists(args.stop) or time.monotonic() > deadline
                or n >= args.max)

    def new_conn():
        n = 0
        while not done(n):
            n += 1
            conn = http.client.HTTPSConnection("127.0.0.1", args.port,
                                               context=ctx, timeout=10)
            try:
                why = post(conn, "new-%d" % n)
                fp = fingerprint(conn)
                report("ok new-conn %s" % fp if why is None
                       else "FAIL new-conn %s" % why, why is not None)
            except (OSError, http.client.HTTPException, ValueError) as e:
                report("FAIL new-conn %r" % e, 1)
            finally:
                conn.close()

    def keep_alive():
        n = 0
        conn = None  # a new one after a failure
        while not done(n):
            n += 1
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", args.port,
                                                   context=ctx, timeout=10)
            try:
                why = post(conn, "keep-%d" % n)
                fp = fingerprint(conn)
                report("ok keep-alive %s" % fp if why is None
                       else "FAIL keep-alive %s" % why, why is not None)
            except (OSError, http.client.HTTPException, ValueError) as e:
                report("FAIL keep-alive %r" % e, 1)
                conn.close()
                conn = None
            time.sleep(0.002)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=new_conn),
               threading.Thread(target=keep_alive)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("total %d failed %d" % (counts["total"], counts["failed"]),
          flush=True)
    return 0


def probe(args):
    ctx = context(args.ca, args.cert, args.key, args.tls12)
    try:
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=10)
    except OSError as e:
        print("connect failed %r" % e)
        return 2
    try:
        tls = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    except (ssl.SSLError, OSError) as e:
        sock.close()
        print("refused at the handshake: %s" % e)
        return 1
    conn = http.client.HTTPSConnection("127.0.0.1", args.port, context=ctx,
                                       timeout=10)
    conn.sock = tls
    try:
        body = json.dumps(dict(REVIEW))
        conn.request("POST", args.path, body=body,
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        print("status %d (%s)" % (resp.status, tls.version()))
        return 0
    except ssl.SSLError as e:
        # TLS 1.3: the client's handshake ends before the server has checked
        # the client's certificate; the refusal is the alert read next.
        print("refused after the handshake (%s): %s" % (tls.version(), e))
        return 1
    except (OSError, http.client.HTTPException) as e:
        print("refused, connection closed (%s): %r" % (tls.version(), e))
        return 1
    finally:
        conn.close()


def hold(args):
    ctx = context(args.ca, args.cert, args.key)
    conn = http.client.HTTPSConnection("127.0.0.1", args.port, context=ctx,
                                       timeout=10)
    try:
        if args.handshake_only:
            conn.connect()
            why = None
        else:
            why = post(conn, "hold-1")
        first = conn.sock
        with open(args.ready, "w"):
            pass
        deadline = time.monotonic() + 60
        while not os.path.exists(args.go) and time.monotonic() < deadline:
            time.sleep(0.05)
        if why is None:
            why = post(conn, "hold-2")
        if why is None and conn.sock is not first:
            why = "the server closed the first connection"
    except (OSError, http.client.HTTPException, ValueError) as e:
        why = repr(e)
    finally:
        conn.close()
    if why is not None:
        print("failed: %s" % why)
        return 1
    print("%s, then 200 on the same connection"
          % ("handshake" if args.handshake_only else "first 200"))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("load")
    lp.add_argument("--port", type=int, required=True)
    lp.add_argument("--ca", required=True)
    lp.add_argument("--stop", required=True)
    lp.add_argument("--seconds", type=float, default=60)
    lp.add_argument("--max", type=int, default=20000)
    pp = sub.add_parser("probe")
    pp.add_argument("--port", type=int, required=True)
    pp.add_argument("--ca", required=True)
    pp.add_argument("--cert")
    pp.add_argument("--key")
    pp.add_argument("--tls12", action="store_true")
    pp.add_argument("--path", default="/mutate")
    hp = sub.add_parser("hold")
    hp.add_argument("--port", type=int, required=True)
    hp.add_argument("--ca", required=True)
    hp.add_argument("--cert", required=True)
    hp.add_argument("--key", required=True)
    hp.add_argument("--ready", required=True)
    hp.add_argument("--go", required=True)
    hp.add_argument("--handshake-only", action="store_true")
    args = ap.parse_args()
    return {"load": load, "probe": probe, "hold": hold}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
