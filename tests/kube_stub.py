#!/usr/bin/env python3
"""kube_stub.py - a stub Kubernetes API server for tests: RBAC and workload
list and watch.

    tests/kube_stub.py --cert tls.crt --key tls.key [--client-ca ca.crt]
                       [--token T]... [--data LIST.json]... [--openshift]
                       [--port N] [--down] [--bookmark-interval S]
                       [--page-cap N] [--forbid RESOURCE]...
                       [--cronjob-api batch/v1|batch/v1beta1]

Speaks what kube-apiserver v1.20 speaks for the kinds the webhook follows
(recorded in tests/kube/wire/, see its README.md), over HTTPS/1.1:

- GET /apis/rbac.authorization.k8s.io/v1/{rolebindings,clusterrolebindings,
  roles,clusterroles}, /api/v1/serviceaccounts and, with --openshift,
  /apis/config.openshift.io/v1/images (404 "page not found" without it, as
  plain Kubernetes answers);
- the workload kinds audit lists: /api/v1/{pods,podtemplates,
  replicationcontrollers}, /apis/apps/v1/{replicasets,deployments,
  statefulsets,daemonsets}, /apis/batch/v1/{jobs,cronjobs} (CronJob at
  /apis/batch/v1beta1/cronjobs instead with --cronjob-api batch/v1beta1, as
  1.20 serves it) and, with --openshift (404 without),
  /apis/apps.openshift.io/v1/deploymentconfigs,
  /apis/build.openshift.io/v1/{buildconfigs,builds},
  /apis/image.openshift.io/v1/imagestreams; their bookmarks carry metadata,
  an empty spec and an empty status;
- a namespaced kind also per namespace (/api/v1/namespaces/NS/pods,
  /apis/apps/v1/namespaces/NS/deployments, ...): list and watch of that
  namespace's objects only;
- lists in pages (limit, continue: the opaque base64url token of
  {"v","rv","start"}, every page at the first page's resourceVersion,
  remainingItemCount), items without kind and apiVersion, fields in the Go
  structs' order; with --page-cap at most N items a page whatever the limit
  (the API conventions let a server return fewer than asked); Content-Length under 2048 bytes, chunked above; pretty
  JSON when the User-Agent starts with "curl"; HTTP 410 Expired for a
  continue token older than the last compaction;
- watch=true with resourceVersion and allowWatchBookmarks: HTTP 200, one
  chunk per event line, BOOKMARKs (an empty object of the kind with only
  metadata.resourceVersion) every --bookmark-interval seconds, the stream
  ended with the zero chunk after timeoutSeconds; a resourceVersion older
  than the last compaction gets one ERROR event (Status, code 410, reason
  Expired) and the end of the stream;
- authentication by bearer token (--token, changed over the control port)
  or by a client certificate signed by --client-ca; 401 otherwise;
- authorization before routing, as RBAC does: a resource named by --forbid
  gets 403 Forbidden (kube-apiserver's Status, the User and resource named,
  and the namespace for a namespace's path) for list and watch, images and
  the other OpenShift kinds included, which a real server answers 403 and
  not 404 when the caller lacks the grant, OpenShift or not.

Initial objects come from --data files (kubectl's List output). The store's
resourceVersion starts at the highest one found; watches from below it are
too old (as after a compaction).

On start it prints one JSON line {"port": N, "control": M} on stdout. The
control port (plain HTTP on 127.0.0.1) changes the world:

    POST /put      {"object": {...}, "silent": false}  ADDED or MODIFIED
                   (silent: no watch event, only lists see it)
    POST /delete   {"kind": K, "namespace": NS, "name": N}
    POST /inject   {"resource": R, "line": TEXT}  a raw line to open watches
    POST /cut      drop every API connection (no final chunk)
    POST /compact  {"kick": true}  forget history (410 for older versions);
                   kick: open watches get the ERROR 410 event and end
    POST /down, POST /up   stop and start listening on the same port;
                   /up {"restart": true}: as a restarted kube-apiserver,
                   whose new watch cache starts at the current
                   resourceVersion: watches from older ones get 410
    POST /forbid   {"resources": [...]}  answered 403 from now on
    POST /tokens   {"tokens": [...]}  the bearer tokens accepted
    POST /expire-continue {"count": N}  the next N continue tokens get 410
    GET  /requests the API requests seen (method, path, query, user, token)
    POST /requests/clear
    GET  /state    {"rv": N, "up": bool, "watches": {resource: count}}
"""
import argparse
import base64
import bisect
import email.utils
import http.server
import json
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

RESOURCES = {
    "rolebindings": ("/apis/rbac.authorization.k8s.io/v1/rolebindings",
                     "RoleBinding", "rbac.authorization.k8s.io/v1", True),
    "clusterrolebindings": ("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                            "ClusterRoleBinding", "rbac.authorization.k8s.io/v1", False),
    "roles": ("/apis/rbac.authorization.k8s.io/v1/roles",
              "Role", "rbac.authorization.k8s.io/v1", True),
    "clusterroles": ("/apis/rbac.authorization.k8s.io/v1/clusterroles",
                     "ClusterRole", "rbac.authorization.k8s.io/v1", False),
    "serviceaccounts": ("/api/v1/serviceaccounts", "ServiceAccount", "v1", True),
    "images": ("/apis/config.openshift.io/v1/images", "Image",
               "config.openshift.io/v1", False),
    # The workload kinds audit lists.
    "pods": ("/api/v1/pods", "Pod", "v1", True),
    "podtemplates": ("/api/v1/podtemplates", "PodTemplate", "v1", True),
    "replicationcontrollers": ("/api/v1/replicationcontrollers",
                               "ReplicationController", "v1", True),
    "replicasets": ("/apis/apps/v1/replicasets", "ReplicaSet", "apps/v1", True),
    "deployments": ("/apis/apps/v1/deployments", "Deployment", "apps/v1", True),
    "statefulsets": ("/apis/apps/v1/statefulsets", "StatefulSet", "apps/v1", True),
    "daemonsets": ("/apis/apps/v1/daemonsets", "DaemonSet", "apps/v1", True),
    "jobs": ("/apis/batch/v1/jobs", "Job", "batch/v1", True),
    "cronjobs": ("/apis/batch/v1/cronjobs", "CronJob", "batch/v1", True),
    "deploymentconfigs": ("/apis/apps.openshift.io/v1/deploymentconfigs",
                          "DeploymentConfig", "apps.openshift.io/v1", True),
    "buildconfigs": ("/apis/build.openshift.io/v1/buildconfigs", "BuildConfig",
                     "build.openshift.io/v1", True),
    "builds": ("/apis/build.openshift.io/v1/builds", "Build",
               "build.openshift.io/v1", True),
    "imagestreams": ("/apis/image.openshift.io/v1/imagestreams", "ImageStream",
                     "image.openshift.io/v1", True),
}
# Served only with --openshift (404 "page not found" without).
OPENSHIFT = {"images", "deploymentconfigs", "buildconfigs", "builds",
             "imagestreams"}
BY_PATH = {v[0]: k for k, v in RESOURCES.items()}
BY_KIND = {v[1]: k for k, v in RESOURCES.items()}


def serve_cronjobs_at(api):
    """CronJob at batch/v1 (1.21 and later) or batch/v1beta1 (1.20, where
    /apis/batch/v1/cronjobs is 404)."""
    RESOURCES["cronjobs"] = (f"/apis/{api}/cronjobs", "CronJob", api, True)
    BY_PATH.clear()
    BY_PATH.update({v[0]: k for k, v in RESOURCES.items()})


def route(path):
    """(resource, namespace) of a collection path: /PREFIX/RESOURCE (every
    namespace, namespace None) or /PREFIX/namespaces/NS/RESOURCE (a
    namespaced kind); (None, None) when no resource is there."""
    res = BY_PATH.get(path)
    if res is not None:
        return res, None
    prefix, sep, rest = path.partition("/namespaces/")
    ns, _, name = rest.partition("/")
    res = BY_PATH.get(f"{prefix}/{name}") if sep and ns else None
    if res is None or not RESOURCES[res][3]:
        return None, None
    return res, ns

# Field order of the Go structs, so that bodies match the recordings byte
# for byte (encoding/json writes struct fields in declaration order).
TOP_ORDER = ["kind", "apiVersion", "metadata", "subjects", "roleRef", "rules",
             "aggregationRule", "secrets", "imagePullSecrets",
             "automountServiceAccountToken", "spec", "status"]
META_ORDER = ["name", "generateName", "namespace", "selfLink", "uid",
              "resourceVersion", "generation", "creationTimestamp",
              "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
              "annotations", "ownerReferences", "finalizers", "managedFields"]
SUBJECT_ORDER = ["kind", "apiGroup", "name", "namespace"]
RULE_ORDER = ["verbs", "apiGroups", "resources", "resourceNames",
              "nonResourceURLs"]


def ordered(d, order):
    out = {k: d[k] for k in order if k in d}
    out.update((k, v) for k, v in d.items() if k not in out)
    return out


def canonical(obj):
    obj = ordered(obj, TOP_ORDER)
    if isinstance(obj.get("metadata"), dict):
        obj["metadata"] = ordered(obj["metadata"], META_ORDER)
    if isinstance(obj.get("subjects"), list):
        obj["subjects"] = [ordered(s, SUBJECT_ORDER) if isinstance(s, dict) else s
                           for s in obj["subjects"]]
    if isinstance(obj.get("rules"), list):
        obj["rules"] = [ordered(r, RULE_ORDER) if isinstance(r, dict) else r
                        for r in obj["rules"]]
    return obj


def compact(v):
    return json.dumps(v, separators=(",", ":"))


def key_of(obj):
    m = obj.get("metadata") or {}
    ns = m.get("namespace") or ""
    return f"{ns}/{m['name']}" if ns else m["name"]


def b64url(s):
    return base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode()


def continue_token(rv, start):
    return b64url(compact({"v": "meta.k8s.io/v1", "rv": rv, "start": start}))


def status(code, reason, message, meta=None):
    return {"kind": "Status", "apiVersion": "v1", "metadata": meta or {},
            "status": "Failure", "message": message, "reason": reason,
            "code": code}


def bookmark_object(res, rv):
    _, kind, api, _ = RESOURCES[res]
    obj = {"kind": kind, "apiVersion": api,
           "metadata": {"resourceVersion": str(rv), "creationTimestamp": None}}
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        obj["roleRef"] = {"apiGroup": "", "kind": "", "name": ""}
    elif kind in ("Role", "ClusterRole"):
        obj["rules"] = None
    elif kind != "ServiceAccount":  # Image and the workload kinds
        obj["spec"] = {}
        obj["status"] = {}
    return obj


def field_match(obj, selector):
    """fieldSelector with metadata.name and metadata.namespace (= or ==)."""
    if not selector:
        return True
    m = obj.get("metadata") or {}
    for term in selector.split(","):
        if "!=" in term:
            f, v = term.split("!=", 1)
            neg = True
        else:
            f, v = term.replace("==", "=").split("=", 1)
            neg = False
        have = {"metadata.name": m.get("name"),
                "metadata.namespace": m.get("namespace") or ""}.get(f)
        if (have == v) == neg:
            return False
    return True


class Store:
    def __init__(self, bookmark_interval):
        self.cond = threading.Condition()
        self.rv = 1
        self.compacted = 0
        self.objs = {r: {} for r in RESOURCES}
        self.history = []  # (rv, res, type, obj, prev), by rv
        self.history_rv = []
        self.raw = []  # (res, line)
        self.cut_gen = 0
        self.kick_gen = 0
        self.watches = {r: 0 for r in RESOURCES}
        self.bookmark_interval = bookmark_interval

    def load(self, path):
        with open(path) as f:
            data = json.load(f)
        items = data.get("items") if data.get("kind", "").endswith("List") else [data]
        for obj in items or []:
            res = BY_KIND.get(obj.get("kind"))
            if res is None:
                continue
            self.objs[res][key_of(obj)] = canonical(obj)
            rv = int(obj["metadata"].get("resourceVersion") or 0)
            self.rv = max(self.rv, rv)
        # What came before the loaded state is forgotten, as after a
        # compaction: a watch from an older version gets 410.
        self.compacted = self.rv

    def put(self, obj, silent=False):
        res = BY_KIND[obj["kind"]]
        obj = canonical(json.loads(json.dumps(obj)))
        meta = obj.setdefault("metadata", {})
        with self.cond:
            k = key_of(obj)
            prev = self.objs[res].get(k)
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            if prev is None:
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("creationTimestamp", now)
            else:
                meta["uid"] = prev["metadata"].get("uid")
                meta["creationTimestamp"] = prev["metadata"].get("creationTimestamp")
            # As the API server does for a write (server-side field tracking).
            meta["managedFields"] = [{
                "manager": "kube-stub", "operation": "Update",
                "apiVersion": obj.get("apiVersion"), "time": now,
                "fieldsType": "FieldsV1",
                "fieldsV1": {f"f:{k}": {} for k in obj
                             if k not in ("kind", "apiVersion", "metadata")}}]
            obj = canonical(obj)
            self.objs[res][k] = obj
            if not silent:
                self._record(res, "MODIFIED" if prev else "ADDED", obj, prev)
            self.cond.notify_all()
            return self.rv

    def delete(self, kind, ns, name):
        res = BY_KIND[kind]
        k = f"{ns}/{name}" if ns else name
        with self.cond:
            prev = self.objs[res].pop(k, None)
            if prev is None:
                return None
            self.rv += 1
            last = json.loads(json.dumps(prev))
            last["metadata"]["resourceVersion"] = str(self.rv)
            self._record(res, "DELETED", last, prev)
            self.cond.notify_all()
            return self.rv

    def _record(self, res, typ, obj, prev):
        self.history.append((self.rv, res, typ, obj, prev))
        self.history_rv.append(self.rv)

    def snapshot(self, res, rv):
        """The objects of res as they were at rv (history undone)."""
        state = dict(self.objs[res])
        i = len(self.history)
        while i > 0 and self.history[i - 1][0] > rv:
            i -= 1
            _, r, typ, obj, prev = self.history[i]
            if r != res:
                continue
            k = key_of(obj)
            if prev is None:
                state.pop(k, None)
            else:
                state[k] = prev
        return state

    def events_after(self, res, rv, selector):
        i = bisect.bisect_right(self.history_rv, rv)
        return [(erv, typ, obj) for erv, r, typ, obj, _ in self.history[i:]
                if r == res and field_match(obj, selector)]


class Stub:
    def __init__(self, args):
        self.args = args
        self.store = Store(args.bookmark_interval)
        for path in args.data or []:
            self.store.load(path)
        self.tokens = set(args.token or [])
        self.forbidden = set(args.forbid or [])
        self.expire_continue = 0
        self.requests = []
        self.lock = threading.Lock()
        self.conns = set()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            self.ctx.verify_mode = ssl.CERT_OPTIONAL
            self.ctx.load_verify_locations(cafile=args.client_ca)
        self.server = None
        self.thread = None
        self.port = args.port
        self.up = False
        self._bind()

    # -- listening --
    def _bind(self):
        srv = APIServer(("127.0.0.1", self.port), APIHandler, self)
        srv.server_bind()
        self.port = srv.server_address[1]
        self.server = srv

    def start(self):
        with self.lock:
            if self.up:
                return
            self.server.server_activate()
            self.thread = threading.Thread(target=self.server.serve_forever,
                                           kwargs={"poll_interval": 0.05},
                                           daemon=True)
            self.thread.start()
            self.up = True

    def stop(self):
        with self.lock:
            if not self.up:
                return
            self.up = False
            srv = self.server
        srv.shutdown()
        srv.server_close()
        self.cut()
        with self.lock:
            self._bind()  # keep the port: bound, not listening (refused)

    def cut(self):
        with self.store.cond:
            self.store.cut_gen += 1
            self.store.cond.notify_all()
        with self.lock:
            conns = list(self.conns)
        for s in conns:
            try:
                socket.socket.shutdown(s, socket.SHUT_RDWR)
            except OSError:
                pass

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)


class APIServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, stub):
        self.stub = stub
        super().__init__(addr, handler, bind_and_activate=False)

    def handle_error(self, request, client_address):
        err = sys.exc_info()[1]
        if not isinstance(err, (OSError, ssl.SSLError)):
            super().handle_error(request, client_address)


class APIHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        stub = self.server.stub
        raw = self.request
        raw.settimeout(30)
        # Go's net/http sets TCP_NODELAY: no Nagle delay between writes.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = stub.ctx.wrap_socket(raw, server_side=True)
        with stub.lock:
            stub.conns.add(self.request)
        super().setup()

    def finish(self):
        stub = self.server.stub
        try:
            super().finish()
        except OSError:
            pass
        with stub.lock:
            stub.conns.discard(self.request)
        try:
            self.request.close()
        except OSError:
            pass

    def log_message(self, fmt, *args):
        pass

    # -- answers --
    def headers_out(self, code, ctype, length=None, list_headers=False):
        self.send_response_only(code)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        if list_headers:
            self.send_header("X-Kubernetes-Pf-Flowschema-Uid",
                             "40e239b6-a19d-4aef-bdfb-30e1aea17b13")
            self.send_header("X-Kubernetes-Pf-Prioritylevel-Uid",
                             "b04b1cc2-2017-470b-89e8-8578ccbceaad")
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def send_json(self, code, value, list_headers=True):
        if (self.headers.get("User-Agent") or "").startswith("curl"):
            body = (json.dumps(value, indent=2) + "\n").encode()
        else:
            body = (compact(value) + "\n").encode()
        # Go's net/http: a body written at once under 2048 bytes gets a
        # Content-Length, a larger one is chunked.
        if len(body) < 2048:
            self.headers_out(code, "application/json", len(body), list_headers)
            self.wfile.write(body)
        else:
            self.headers_out(code, "application/json", None, list_headers)
            for i in range(0, len(body), 4096):
                self.chunk(body[i:i + 4096])
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def authenticate(self):
        stub = self.server.stub
        auth = self.headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token is not None and token in stub.tokens:
            return f"token:{token}", token
        cert = self.request.getpeercert()
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return f"cert:{v}", token
        return None, token

    def do_GET(self):
        stub = self.server.stub
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        user, token = self.authenticate()
        watch = q.get("watch") in ("1", "true")
        stub.record({"method": "GET", "path": url.path, "query": q,
                     "user": user, "token": token, "watch": watch,
                     "time": time.time()})
        if user is None:
            self.send_json(401, status(401, "Unauthorized", "Unauthorized"), False)
            return
        res, ns = route(url.path)
        if res is not None and res in stub.forbidden:
            self.forbid(res, user, q, ns)
            return
        if res is None or (res in OPENSHIFT and not stub.args.openshift):
            body = b"404 page not found\n"
            self.headers_out(404, "text/plain; charset=utf-8", len(body))
            self.wfile.write(body)
            return
        # A namespace's collection: the same objects, of that namespace.
        selector = ",".join(t for t in (q.get("fieldSelector"),
                                        ns and f"metadata.namespace={ns}") if t)
        if watch:
            self.watch(res, q, selector)
        else:
            self.list(res, q, selector)

    def forbid(self, res, user, q, ns=None):
        """403 as kube-apiserver's RBAC authorizer answers it (recorded
        from v1.20.2); a fieldSelector on metadata.name names the object;
        ns: asked in that namespace."""
        _, _, api, _ = RESOURCES[res]
        group = api.rpartition("/")[0]
        name = None
        for term in (q.get("fieldSelector") or "").split(","):
            if term.startswith("metadata.name="):
                name = term.split("=", 1)[1]
        verb = "watch" if q.get("watch") in ("1", "true") else "list"
        who = user.split(":", 1)[1]
        what = f"{res}.{group}" if group else res
        msg = (f'{what}{f" {json.dumps(name)}" if name else ""} is forbidden: '
               f'User "{who}" cannot {verb} resource "{res}" in API group '
               f'"{group}" ' + (f'in the namespace "{ns}"' if ns else
                                 "at the cluster scope"))
        details = {"name": name} if name else {}
        details.update({"group": group, "kind": res} if group else {"kind": res})
        body = status(403, "Forbidden", msg)
        body["details"] = details
        body["code"] = body.pop("code")
        self.send_json(403, body)

    def list(self, res, q, selector):
        store = self.server.stub.store
        _, kind, api, _ = RESOURCES[res]
        limit = int(q.get("limit") or 0)
        cont = q.get("continue")
        start = ""
        with store.cond:
            if cont:
                try:
                    tok = json.loads(unb64url(cont))
                    rv, start = int(tok["rv"]), tok["start"]
                except (ValueError, KeyError, TypeError):
                    self.send_json(400, status(400, "BadRequest",
                                               "continue key is not valid"))
                    return
                expire = self.server.stub.expire_continue > 0
                if expire:
                    self.server.stub.expire_continue -= 1
                if expire or (rv != -1 and rv < store.compacted):
                    msg = ("The provided continue parameter is too old to "
                           "display a consistent list result. You can start "
                           "a new list without the continue parameter, or use "
                           "the continue token in this response to retrieve "
                           "the remainder of the results. Continuing with the "
                           "provided token results in an inconsistent list - "
                           "objects that were created, modified, or deleted "
                           "between the time the first chunk was returned and "
                           "now may show up in the list.")
                    self.send_json(410, status(410, "Expired", msg, {
                        "continue": continue_token(-1, start)}))
                    return
                snap_rv = rv if rv != -1 else store.rv
                state = store.snapshot(res, snap_rv)
            else:
                snap_rv = store.rv
                state = dict(store.objs[res])
        keys = sorted((k for k, o in state.items() if field_match(o, selector)),
                      key=lambda k: k.encode())
        if start:
            keys = keys[bisect.bisect_left([k.encode() for k in keys],
                                           start.encode()):]
        if limit > 0 and self.server.stub.args.page_cap:
            limit = min(limit, self.server.stub.args.page_cap)
        page = keys[:limit] if limit > 0 else keys
        meta = {"resourceVersion": str(snap_rv)}
        if len(page) < len(keys):
            meta["continue"] = continue_token(snap_rv, page[-1] + "\u0000")
            meta["remainingItemCount"] = len(keys) - len(page)
        items = []
        for k in page:
            item = {f: v for f, v in state[k].items()
                    if f not in ("kind", "apiVersion")}
            items.append(item)
        self.send_json(200, {"kind": kind + "List", "apiVersion": api,
                             "metadata": meta, "items": items})

    def watch(self, res, q, selector):
        stub = self.server.stub
        store = stub.store
        bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
        timeout = float(q.get("timeoutSeconds") or 1800)
        rv_s = q.get("resourceVersion") or ""
        deadline = time.monotonic() + timeout
        initial = []
        with store.cond:
            cut_gen, kick_gen = store.cut_gen, store.kick_gen
            raw_pos = len(store.raw)
            if rv_s in ("", "0"):
                pos = store.rv
                for o in store.objs[res].values():
                    if field_match(o, selector):
                        initial.append({"type": "ADDED", "object": o})
            else:
                pos = int(rv_s)
                if pos < store.compacted:
                    too_old = {"type": "ERROR", "object": status(
                        410, "Expired", f"too old resource version: {pos} "
                        f"({store.compacted})")}
                    pos = None
            store.watches[res] += 1
        try:
            self.headers_out(200, "application/json")
            if pos is None:
                self.chunk((compact(too_old) + "\n").encode())
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            for ev in initial:
                self.chunk((compact(ev) + "\n").encode())
            last_bookmark = time.monotonic()
            while True:
                now = time.monotonic()
                if now >= deadline:
                    break
                wait = deadline - now
                if bookmarks:
                    wait = min(wait, max(0.0, last_bookmark +
                                         store.bookmark_interval - now))
                with store.cond:
                    events = store.events_after(res, pos, selector)
                    raws = [line for r, line in store.raw[raw_pos:] if r == res]
                    if (not events and not raws and store.cut_gen == cut_gen
                            and store.kick_gen == kick_gen and wait > 0):
                        store.cond.wait(wait)
                        events = store.events_after(res, pos, selector)
                        raws = [line for r, line in store.raw[raw_pos:] if r == res]
                    raw_pos = len(store.raw)
                    cut = store.cut_gen != cut_gen
                    kicked = store.kick_gen != kick_gen
                    current = store.rv
                    kick_msg = f"too old resource version: {pos} ({store.compacted})"
                if cut:
                    return  # the connection is being dropped: no final chunk
                for erv, typ, obj in events:
                    self.chunk((compact({"type": typ, "object": obj}) + "\n").encode())
                    pos = erv
                for line in raws:
                    self.chunk((line + "\n").encode())
                if kicked:
                    self.chunk((compact({"type": "ERROR", "object": status(
                        410, "Expired", kick_msg)}) + "\n").encode())
                    break
                if bookmarks and time.monotonic() - last_bookmark >= store.bookmark_interval:
                    pos = max(pos, current)
                    self.chunk((compact({"type": "BOOKMARK", "object":
                                         bookmark_object(res, pos)}) + "\n").encode())
                    last_bookmark = time.monotonic()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        finally:
            with store.cond:
                store.watches[res] -= 1


class ControlHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, value):
        body = (json.dumps(value) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        stub = self.server.stub
        if self.path == "/requests":
            with stub.lock:
                self.answer(200, list(stub.requests))
        elif self.path == "/state":
            with stub.store.cond:
                self.answer(200, {"rv": stub.store.rv, "up": stub.up,
                                  "watches": dict(stub.store.watches)})
        else:
            self.answer(404, {"error": "no such endpoint"})

    def do_POST(self):
        stub = self.server.stub
        store = stub.store
        n = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            self.answer(400, {"error": "body is not JSON"})
            return
        try:
            if self.path == "/put":
                rv = store.put(body["object"], bool(body.get("silent")))
                self.answer(200, {"rv": rv})
            elif self.path == "/delete":
                rv = store.delete(body["kind"], body.get("namespace") or "",
                                  body["name"])
                self.answer(200 if rv else 404, {"rv": rv})
            elif self.path == "/inject":
                with store.cond:
                    store.raw.append((body["resource"], body["line"]))
                    store.cond.notify_all()
                self.answer(200, {})
            elif self.path == "/cut":
                stub.cut()
                self.answer(200, {})
            elif self.path == "/compact":
                with store.cond:
                    store.compacted = store.rv
                    if body.get("kick"):
                        store.kick_gen += 1
                    store.cond.notify_all()
                self.answer(200, {"compacted": store.compacted})
            elif self.path == "/down":
                stub.stop()
                self.answer(200, {})
            elif self.path == "/up":
                if body.get("restart"):
                    with store.cond:
                        store.compacted = store.rv
                stub.start()
                self.answer(200, {})
            elif self.path == "/forbid":
                stub.forbidden = set(body["resources"])
                self.answer(200, {})
            elif self.path == "/expire-continue":
                with store.cond:
                    stub.expire_continue = int(body.get("count", 1))
                self.answer(200, {})
            elif self.path == "/tokens":
                stub.tokens = set(body["tokens"])
                self.answer(200, {})
            elif self.path == "/requests/clear":
                with stub.lock:
                    stub.requests.clear()
                self.answer(200, {})
            else:
                self.answer(404, {"error": "no such endpoint"})
        except (KeyError, TypeError) as e:
            self.answer(400, {"error": f"bad request: {e!r}"})


class ControlServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca")
    ap.add_argument("--token", action="append")
    ap.add_argument("--data", action="append")
    ap.add_argument("--openshift", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--down", action="store_true", help="start not listening")
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--page-cap", type=int, default=0)
    ap.add_argument("--forbid", action="append", choices=sorted(RESOURCES))
    ap.add_argument("--cronjob-api", default="batch/v1",
                    choices=["batch/v1", "batch/v1beta1"])
    args = ap.parse_args()
    serve_cronjobs_at(args.cronjob_api)
    stub = Stub(args)
    if args.openshift:
        stub.store.put({"apiVersion": "config.openshift.io/v1", "kind": "Image",
                        "metadata": {"name": "cluster"}, "spec": {},
                        "status": {
                            "internalRegistryHostname":
                                "image-registry.openshift-image-registry.svc:5000",
                            "externalRegistryHostnames":
                                ["registry.apps.example.com"]}})
        stub.store.compacted = stub.store.rv
    control = ControlServer(("127.0.0.1", 0), ControlHandler)
    control.stub = stub
    threading.Thread(target=control.serve_forever, daemon=True).start()
    if not args.down:
        stub.start()
    print(json.dumps({"port": stub.port, "control": control.server_address[1]}),
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
