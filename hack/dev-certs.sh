#!/usr/bin/env bash
# dev-certs.sh - a development CA and a serving certificate for localhost.
#
#   hack/dev-certs.sh DIR
#
# Writes DIR/ca.crt, DIR/ca.key, DIR/tls.crt, DIR/tls.key (keys mode 0600)
# with the openssl command. The serving certificate has the SANs localhost,
# 127.0.0.1, ::1 and the in-cluster names of the service ($SERVICE in
# $NAMESPACE, both default image-policy-webhook). An existing CA is reused
# while it is valid for another day, and so is an existing serving
# certificate that the CA signed, that matches its key, that has every SAN
# and that is valid for another day; otherwise they are made anew.
set -euo pipefail

die() {
    echo "dev-certs.sh: $*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: hack/dev-certs.sh DIR"
dir=$1
service=${SERVICE:-image-policy-webhook}
namespace=${NAMESPACE:-image-policy-webhook}
command -v openssl >/dev/null 2>&1 || die "openssl not found (hack/install-deps.sh)"

mkdir -p "$dir"
cd "$dir"
umask 077

sans=(DNS:localhost IP:127.0.0.1 IP:0:0:0:0:0:0:0:1
      "DNS:$service" "DNS:$service.$namespace" "DNS:$service.$namespace.svc"
      "DNS:$service.$namespace.svc.cluster.local")
san_line=$(IFS=,; echo "${sans[*]}")

# Public key of a certificate and of a key, to check that they belong together.
cert_pub() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null; }
key_pub() { openssl pkey -in "$1" -pubout 2>/dev/null; }

valid_ca() {
    [ -s ca.crt ] && [ -s ca.key ] &&
        openssl x509 -in ca.crt -noout -checkend 86400 >/dev/null 2>&1 &&
        [ "$(cert_pub ca.crt)" = "$(key_pub ca.key)" ] &&
        [ -n "$(cert_pub ca.crt)" ]
}

valid_serving() {
    [ -s tls.crt ] && [ -s tls.key ] || return 1
    openssl x509 -in tls.crt -noout -checkend 86400 >/dev/null 2>&1 || return 1
    openssl verify -CAfile ca.crt tls.crt >/dev/null 2>&1 || return 1
    [ -n "$(cert_pub tls.crt)" ] &&
        [ "$(cert_pub tls.crt)" = "$(key_pub tls.key)" ] || return 1
    local have san
    have=$(openssl x509 -in tls.crt -noout -ext subjectAltName 2>/dev/null |
        tr -d ' ' | tr ',' '\n' | sed 's/^IPAddress:/IP:/')
    for san in "${sans[@]}"; do
        grep -qixF "$san" <<<"$have" || return 1
    done
}

made_ca=0
if ! valid_ca; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 3650 \
        -subj "/CN=image-policy-webhook dev CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -out ca.crt
    made_ca=1
    echo "dev-certs.sh: new CA in $dir/ca.crt"
fi

if [ $made_ca -eq 1 ] || ! valid_serving; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$tmp/tls.key" 2>/dev/null
    openssl req -new -key "$tmp/tls.key" -subj "/CN=$service.$namespace.svc" \
        -out "$tmp/tls.csr"
    cat >"$tmp/ext.cnf" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san_line
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EOF
    openssl x509 -req -in "$tmp/tls.csr" -CA ca.crt -CAkey ca.key \
        -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 \
        -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt" 2>/dev/null
    mv "$tmp/tls.key" tls.key
    mv "$tmp/tls.crt" tls.crt
    echo "dev-certs.sh: new serving certificate in $dir/tls.crt"
fi
chmod 0600 ca.key tls.key
chmod 0644 ca.crt tls.crt
