#!/usr/bin/env bash
# kube-cluster.sh - a throw-away Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager) on 127.0.0.1, built from Debian's source package.
#
#   hack/kube-cluster.sh install [--check]  apt: Go, etcd, dpkg-dev, deb-src
#                                       lines (--check: only when missing)
#   hack/kube-cluster.sh build          print the bin dir, building it once
#   hack/kube-cluster.sh start DIR      PKI, etcd, apiserver, controller-manager
#   hack/kube-cluster.sh restart-apiserver DIR
#   hack/kube-cluster.sh stop DIR       stop what start recorded, by PID
#
# The binaries, the unpacked source and the Go build cache live under
# $KUBE_CACHE (default /var/cache/image-policy-webhook)/kube-VERSION, VERSION
# being Debian's source version of kubernetes: a second run, or a second
# clone, reuses them. start writes into DIR (made if missing): pki/, etcd/,
# admin.kubeconfig, *.log and one *.pid per process; it waits for /readyz.
# Ports: KUBE_ETCD_PORT (2379, peer +1), KUBE_API_PORT (6443), KUBE_CM_PORT
# (10257). stop kills exactly the PIDs in DIR/*.pid (TERM, then KILL after
# 10 s) and is safe to call twice; start stops what it started if it fails.
set -euo pipefail

die() {
    echo "kube-cluster.sh: $*" >&2
    exit 1
}

cache_root=${KUBE_CACHE:-/var/cache/image-policy-webhook}
etcd_port=${KUBE_ETCD_PORT:-2379}
api_port=${KUBE_API_PORT:-6443}
cm_port=${KUBE_CM_PORT:-10257}

# What start needs is there: etcd, curl, ss and openssl, and either the
# binaries built for the source version apt knows or what builds them.
kube_missing() {
    local cmd v
    for cmd in etcd curl ss openssl; do
        command -v "$cmd" >/dev/null 2>&1 || return 0
    done
    v=$(kube_version)
    [ -n "$v" ] || return 0
    [ -x "$cache_root/kube-$v/bin/kube-apiserver" ] &&
        [ -x "$cache_root/kube-$v/bin/kube-controller-manager" ] && return 1
    for cmd in go dpkg-source; do
        command -v "$cmd" >/dev/null 2>&1 || return 0
    done
    [ -f /usr/share/gocode/src/github.com/modern-go/reflect2/go_above_118.go ] || return 0
    return 1
}

# The Debian packages this script needs; install adds deb-src lines too,
# since apt-get source needs them.
kube_install() {
    if [ "${1:-}" = "--check" ] && ! kube_missing; then
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "install: run as root (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    local src=/etc/apt/sources.list.d/debian.sources
    local deb_src=/etc/apt/sources.list.d/image-policy-webhook-src.sources
    if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:'; then
        if [ -f "$src" ]; then
            sed 's/^Types: deb$/Types: deb-src/' "$src" >"$deb_src"
        else
            grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
                >/etc/apt/sources.list.d/image-policy-webhook-src.list
        fi
    fi
    apt-get update
    apt-get install -y --no-install-recommends golang-go etcd-server \
        dpkg-dev golang-github-modern-go-reflect2-dev openssl curl iproute2
    # etcd-server enables a unit on port 2379: never let it compete.
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable etcd >/dev/null 2>&1 || true
    fi
}

# The newest source version apt knows, or $KUBE_VERSION.
kube_version() {
    if [ -n "${KUBE_VERSION:-}" ]; then
        echo "$KUBE_VERSION"
        return
    fi
    apt-cache showsrc kubernetes 2>/dev/null |
        sed -n 's/^Version: //p' | sort -V | tail -n 1
}

# Build kube-apiserver and kube-controller-manager into $dir/bin unless they
# are there; print that directory. A build happens in bin.tmp and is renamed
# only when both binaries exist, so an interrupted build is not mistaken for
# a cached one.
kube_build() {
    local v
    v=$(kube_version)
    [ -n "$v" ] || die "build: no kubernetes source package known to apt (hack/kube-cluster.sh install)"
    local dir=$cache_root/kube-$v
    if [ -x "$dir/bin/kube-apiserver" ] && [ -x "$dir/bin/kube-controller-manager" ]; then
        echo "$dir/bin"
        return
    fi
    command -v go >/dev/null 2>&1 || die "build: go not found (hack/kube-cluster.sh install)"
    mkdir -p "$dir"
    exec 9>"$dir/lock"
    flock 9
    if [ -x "$dir/bin/kube-apiserver" ] && [ -x "$dir/bin/kube-controller-manager" ]; then
        echo "$dir/bin"
        return
    fi
    local t0=$SECONDS
    local k8s=$dir/gopath/src/k8s.io/kubernetes
    if [ ! -f "$k8s/.unpacked" ]; then
        rm -rf "$dir/gopath" "$dir/dl"
        mkdir -p "$dir/dl" "$dir/gopath/src/k8s.io"
        (cd "$dir/dl" && apt-get source --download-only "kubernetes=$v" >&2) ||
            die "build: apt-get source kubernetes=$v failed"
        dpkg-source -x "$dir"/dl/kubernetes_*.dsc "$k8s" >&2
        touch "$k8s/.unpacked"
    fi
    cd "$k8s"
    export GOPATH=$dir/gopath GOCACHE=$dir/gocache GO111MODULE=off GOFLAGS='' \
        CGO_ENABLED=0
    # reflect2 v1.0.1 (vendored) crashes on Go >= 1.18; Debian's v1.0.2 has
    # the same API.
    local r2=/usr/share/gocode/src/github.com/modern-go/reflect2
    [ -f "$r2/go_above_118.go" ] || die "build: $r2 missing (golang-github-modern-go-reflect2-dev)"
    if [ ! -f vendor/github.com/modern-go/reflect2/go_above_118.go ]; then
        rm -f vendor/github.com/modern-go/reflect2/*.go vendor/github.com/modern-go/reflect2/*.s
        cp "$r2"/*.go "$r2"/*.s vendor/github.com/modern-go/reflect2/
    fi
    # pkg/generated/openapi is generated at build time upstream: run
    # openapi-gen over the packages tagged for it, as
    # build/root/Makefile.generated_files does.
    if [ ! -f pkg/generated/openapi/zz_generated.openapi.go ]; then
        echo "kube-cluster.sh: generating openapi" >&2
        go build -o "$dir/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
        local pkgs
        pkgs=$(find -H . \( -path ./_\* -o -path ./.\* -o -path ./vendor \) -prune \
                -o -type f -name '*.go' -print |
            sed 's|^\./staging/src|vendor|; s|^\./||; s|/[^/]*$||' | LC_ALL=C sort -u |
            grep -v -e '^vendor/k8s.io/code-generator' -e '^vendor/k8s.io/sample-apiserver' |
            while read -r d; do
                if grep -q '^// *+k8s:openapi-gen=' "$d"/*.go 2>/dev/null; then
                    echo "$d"
                fi
            done)
        pkgs=$(echo "$pkgs" | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)
        "$dir/openapi-gen" --logtostderr -i "$pkgs" \
            -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
            -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
            -r "$dir/openapi-violations.report" >&2
        diff -q "$dir/openapi-violations.report" api/api-rules/violation_exceptions.list >&2 ||
            echo "kube-cluster.sh: openapi violations differ from the known list (ignored)" >&2
    fi
    local upstream ld p
    upstream=$(echo "$v" | sed -n 's/.*really\([0-9.]*\).*/\1/p')
    [ -n "$upstream" ] || upstream=${v%%-*}
    ld="-s -w"
    for p in k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version \
        k8s.io/kubernetes/vendor/k8s.io/component-base/version; do
        ld="$ld -X $p.gitVersion=v$upstream -X $p.gitMajor=${upstream%%.*}"
        ld="$ld -X $p.gitMinor=$(echo "$upstream" | cut -d. -f2)"
        ld="$ld -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    rm -rf "$dir/bin.tmp"
    mkdir -p "$dir/bin.tmp"
    local c
    for c in kube-apiserver kube-controller-manager; do
        echo "kube-cluster.sh: building $c (minutes on a cold cache)" >&2
        go build -tags selinux,notest -ldflags "$ld" -o "$dir/bin.tmp/$c" "./cmd/$c" >&2
    done
    rm -rf "${dir:?}/bin"
    mv "$dir/bin.tmp" "$dir/bin"
    echo "kube-cluster.sh: built $v in $((SECONDS - t0)) s" >&2
    echo "$dir/bin"
}

# pki_cert DIR NAME SUBJECT EXT...: NAME.key and NAME.crt signed by DIR's CA.
pki_cert() {
    local d=$1 name=$2 subj=$3
    shift 3
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$d/$name.key" 2>/dev/null
    openssl req -new -key "$d/$name.key" -subj "$subj" -out "$d/$name.csr"
    printf '%s\n' "$@" >"$d/$name.ext"
    openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 \
        -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
    rm -f "$d/$name.csr" "$d/$name.ext"
}

# A throw-away PKI: CA, API server serving certificate, client certificates
# (admin in system:masters, the controller-manager) and the service account
# signing key.
kube_pki() {
    local d=$1/pki
    mkdir -p "$d"
    (
        umask 077
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
            -out "$d/ca.key" 2>/dev/null
        openssl req -x509 -new -key "$d/ca.key" -sha256 -days 30 \
            -subj "/CN=kube-cluster.sh throw-away CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$d/ca.crt"
        pki_cert "$d" apiserver "/CN=kube-apiserver" \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
        pki_cert "$d" admin "/O=system:masters/CN=kube-cluster-admin" \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=clientAuth"
        pki_cert "$d" controller-manager "/CN=system:kube-controller-manager" \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=clientAuth"
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$d/sa.key" 2>/dev/null
        openssl pkey -in "$d/sa.key" -pubout -out "$d/sa.pub"
    )
    chmod 0644 "$d"/*.crt "$d/sa.pub"
}

# kubeconfig FILE USER: a kubeconfig for the client certificate pki/USER.*.
kubeconfig() {
    local d
    d=$(dirname "$1")
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kube-cluster
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $d/pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $d/pki/$2.crt
    client-key: $d/pki/$2.key
contexts:
- name: kube-cluster
  context: {cluster: kube-cluster, user: $2}
current-context: kube-cluster
EOF
}

# The start time of PID (field 22 of /proc/PID/stat), to tell our process
# from a later one that got the same PID.
proc_start() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    echo "$stat" | cut -d' ' -f20
}

# launch DIR NAME BIN ARGS...: start BIN in the background, its output in
# DIR/NAME.log, "PID STARTTIME" in DIR/NAME.pid.
launch() {
    local d=$1 name=$2
    shift 2
    "$@" </dev/null >>"$d/$name.log" 2>&1 &
    local pid=$!
    local st
    st=$(proc_start "$pid") || die "$name exited at once (see $d/$name.log)"
    echo "$pid $st" >"$d/$name.pid"
}

# alive DIR NAME: the process of DIR/NAME.pid is still the one started.
alive() {
    local pid st
    [ -f "$1/$2.pid" ] || return 1
    read -r pid st <"$1/$2.pid"
    [ "$(proc_start "$pid" 2>/dev/null)" = "$st" ]
}

# halt DIR NAME: TERM the recorded process, KILL it after 10 s.
halt() {
    local d=$1 name=$2 pid st
    [ -f "$d/$name.pid" ] || return 0
    read -r pid st <"$d/$name.pid"
    if alive "$d" "$name"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do
            alive "$d" "$name" || break
            sleep 0.1
        done
        if alive "$d" "$name"; then
            echo "kube-cluster.sh: $name (PID $pid) still running 10 s after TERM: KILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                alive "$d" "$name" || break
                sleep 0.1
            done
        fi
    fi
    rm -f "$d/$name.pid"
}

# wait_for WHAT SECONDS DIR NAME CMD...: run CMD until it succeeds, while
# the process NAME lives; fail after SECONDS.
wait_for() {
    local what=$1 secs=$2 d=$3 name=$4
    shift 4
    for _ in $(seq $((secs * 5))); do
        "$@" >/dev/null 2>&1 && return 0
        alive "$d" "$name" || {
            tail -n 20 "$d/$name.log" >&2
            die "$what: $name exited (see $d/$name.log)"
        }
        sleep 0.2
    done
    tail -n 20 "$d/$name.log" >&2
    die "$what: not within $secs s (see $d/$name.log)"
}

port_free() {
    ! ss -Hltn "sport = :$1" | grep -q .
}

start_apiserver() {
    local d=$1 bin=$2
    launch "$d" kube-apiserver "$bin/kube-apiserver" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$api_port" --insecure-port=0 \
        --etcd-servers="http://127.0.0.1:$etcd_port" \
        --authorization-mode=Node,RBAC \
        --client-ca-file="$d/pki/ca.crt" \
        --tls-cert-file="$d/pki/apiserver.crt" \
        --tls-private-key-file="$d/pki/apiserver.key" \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --service-account-signing-key-file="$d/pki/sa.key" \
        --service-account-key-file="$d/pki/sa.pub" \
        --api-audiences=https://kubernetes.default.svc.cluster.local \
        --service-cluster-ip-range=10.0.0.0/24 \
        --endpoint-reconciler-type=none \
        --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota \
        --profiling=false
    wait_for "kube-apiserver /readyz" 60 "$d" kube-apiserver \
        curl -sf --max-time 2 --cacert "$d/pki/ca.crt" \
        --cert "$d/pki/admin.crt" --key "$d/pki/admin.key" \
        "https://127.0.0.1:$api_port/readyz"
}

start_controller_manager() {
    local d=$1 bin=$2
    launch "$d" kube-controller-manager "$bin/kube-controller-manager" \
        --bind-address=127.0.0.1 --secure-port="$cm_port" --port=0 \
        --kubeconfig="$d/controller-manager.kubeconfig" \
        --authentication-kubeconfig="$d/controller-manager.kubeconfig" \
        --authorization-kubeconfig="$d/controller-manager.kubeconfig" \
        --use-service-account-credentials=true \
        --service-account-private-key-file="$d/pki/sa.key" \
        --root-ca-file="$d/pki/ca.crt" \
        --cluster-signing-cert-file="$d/pki/ca.crt" \
        --cluster-signing-key-file="$d/pki/ca.key" \
        --leader-elect=false --profiling=false
    wait_for "kube-controller-manager /healthz" 60 "$d" kube-controller-manager \
        curl -sf --max-time 2 -k "https://127.0.0.1:$cm_port/healthz"
}

kube_start() {
    local d=$1 bin p
    bin=$(kube_build)
    command -v etcd >/dev/null 2>&1 || die "start: etcd not found (hack/kube-cluster.sh install)"
    for p in "$etcd_port" $((etcd_port + 1)) "$api_port" "$cm_port"; do
        port_free "$p" || die "start: port $p on 127.0.0.1 is in use"
    done
    mkdir -p "$d"
    d=$(cd "$d" && pwd)
    # Whatever fails from here on, stop what was started.
    trap 'kube_stop "$d"' EXIT
    trap 'exit 130' INT TERM
    kube_pki "$d"
    kubeconfig "$d/admin.kubeconfig" admin
    kubeconfig "$d/controller-manager.kubeconfig" controller-manager
    launch "$d" etcd etcd --name kube-cluster --data-dir "$d/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" \
        --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
        --initial-cluster "kube-cluster=http://127.0.0.1:$((etcd_port + 1))"
    wait_for "etcd /health" 30 "$d" etcd \
        curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health"
    start_apiserver "$d" "$bin"
    start_controller_manager "$d" "$bin"
    trap - EXIT INT TERM
    echo "kube-cluster.sh: ready: KUBECONFIG=$d/admin.kubeconfig" >&2
}

# Stop the API server and start it again on the same etcd; the
# controller-manager too when it exited meanwhile.
kube_restart_apiserver() {
    local d=$1 bin
    bin=$(kube_build)
    d=$(cd "$d" && pwd)
    halt "$d" kube-apiserver
    start_apiserver "$d" "$bin"
    if ! alive "$d" kube-controller-manager; then
        start_controller_manager "$d" "$bin"
    fi
}

kube_stop() {
    local d=$1
    [ -d "$d" ] || return 0
    halt "$d" kube-controller-manager
    halt "$d" kube-apiserver
    halt "$d" etcd
}

case "${1:-}" in
install) kube_install "${2:-}" ;;
build) kube_build ;;
start) [ $# -eq 2 ] || die "usage: hack/kube-cluster.sh start DIR"; kube_start "$2" ;;
restart-apiserver) [ $# -eq 2 ] || die "usage: hack/kube-cluster.sh restart-apiserver DIR"; kube_restart_apiserver "$2" ;;
stop) [ $# -eq 2 ] || die "usage: hack/kube-cluster.sh stop DIR"; kube_stop "$2" ;;
*) die "usage: hack/kube-cluster.sh install [--check]|build|start DIR|restart-apiserver DIR|stop DIR" ;;
esac
