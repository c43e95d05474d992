#!/usr/bin/env bash
# deploy.sh - deploy the webhook with manifests/ so that it never locks the cluster out.
#
#   hack/deploy.sh self-signed|openshift [--render]
#
# 1. self-signed: `image-policy-webhook certs` makes (or renews, keeping the
#    CA) the serving certificate in $CERT_DIR, and the Secret
#    image-policy-webhook-tls is created or updated from it (running pods
#    reload it without a restart). openshift: the service CA operator issues
#    that Secret from the Service's annotation.
# 2. Everything but the webhook configurations is applied, and the rollout
#    is awaited: no webhook is registered before a replica answers.
# 3. The webhook configurations are applied last, with caBundle filled in
#    (self-signed: the CA of $CERT_DIR; openshift: the service CA of the
#    namespace's openshift-service-ca.crt ConfigMap, which the operator keeps
#    current), so the API server never calls the webhook without trusting it.
#
# --render prints what would be applied (steps 2 and 3 as one stream) and
# touches no cluster; self-signed then makes certificates in $CERT_DIR too.
#
# Environment: KUBECTL (kubectl; oc works), BIN (bin/image-policy-webhook),
# CERT_DIR (build/deploy-certs: keep it, ca.key is the CA's key), IMAGE
# (repository:tag of the webhook image, default that of manifests/base),
# TIMEOUT (rollout wait, default 300s).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
kubectl=${KUBECTL:-kubectl}
bin=${BIN:-$root/bin/image-policy-webhook}
cert_dir=${CERT_DIR:-$root/build/deploy-certs}
image=${IMAGE:-}
timeout=${TIMEOUT:-300s}
name=image-policy-webhook
namespace=image-policy-webhook

die() {
    echo "deploy.sh: $*" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: hack/deploy.sh self-signed|openshift [--render]"
overlay=$1
render=0
if [ $# -eq 2 ]; then
    [ "$2" = --render ] || die "unknown option $2 (want --render)"
    render=1
fi
case $overlay in
self-signed | openshift) ;;
*) die "unknown overlay $overlay (want self-signed or openshift)" ;;
esac
command -v "$kubectl" >/dev/null 2>&1 || die "$kubectl not found (set KUBECTL)"

# kustomize takes no absolute path to a base: work beside the manifests.
mkdir -p "$root/build"
tmp=$(mktemp -d "$root/build/deploy.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A kustomization over the overlay: $1 is "workload" (everything but the
# webhook configurations) or "webhooks" (everything, caBundle $2).
kustomization() {
    local dir=$tmp/$1
    mkdir -p "$dir"
    {
        echo "apiVersion: kustomize.config.k8s.io/v1beta1"
        echo "kind: Kustomization"
        echo "resources:"
        echo "- ../../../manifests/overlays/$overlay"
        if [ -n "$image" ]; then
            echo "images:"
            echo "- name: $name"
            case $image in
            *@*)
                echo "  newName: \"${image%%@*}\""
                echo "  digest: \"${image#*@}\""
                ;;
            *)
                case ${image##*/} in
                *:*)
                    echo "  newName: \"${image%:*}\""
                    echo "  newTag: \"${image##*:}\""
                    ;;
                *) echo "  newName: \"$image\"" ;;
                esac
                ;;
            esac
        fi
        echo "patches:"
        local kind
        for kind in MutatingWebhookConfiguration ValidatingWebhookConfiguration; do
            if [ "$1" = workload ]; then
                echo "- patch: |-"
                echo "    \$patch: delete"
                echo "    apiVersion: admissionregistration.k8s.io/v1"
                echo "    kind: $kind"
                echo "    metadata:"
                echo "      name: $name"
            else
                echo "- target:"
                echo "    kind: $kind"
                echo "    name: $name"
                echo "  patch: |-"
                echo "    - op: add"
                echo "      path: /webhooks/0/clientConfig/caBundle"
                echo "      value: $2"
            fi
        done
    } >"$dir/kustomization.yaml"
    "$kubectl" kustomize "$dir"
}

bundle=
if [ "$overlay" = self-signed ]; then
    [ -x "$bin" ] || die "$bin not found: run make first (or set BIN)"
    bundle=$("$bin" certs --service "$name" --namespace "$namespace" \
        --out "$cert_dir") || die "certs failed"
    if [ $render -eq 0 ]; then
        "$kubectl" create namespace "$namespace" --dry-run=client -o yaml |
            "$kubectl" apply -f - >/dev/null
        "$kubectl" -n "$namespace" create secret tls "$name-tls" \
            --cert="$cert_dir/tls.crt" --key="$cert_dir/tls.key" \
            --dry-run=client -o yaml | "$kubectl" apply -f -
    fi
fi

if [ $render -eq 1 ]; then
    [ -n "$bundle" ] || bundle=UNSET--filled-from-the-openshift-service-ca-at-deploy
    kustomization webhooks "$bundle"
    exit 0
fi

kustomization workload >"$tmp/workload.yaml"
"$kubectl" apply -f "$tmp/workload.yaml"
echo "deploy.sh: waiting for the rollout (at most $timeout)"
"$kubectl" -n "$namespace" rollout status "deployment/$name" --timeout="$timeout"

if [ "$overlay" = openshift ]; then
    ca=$("$kubectl" -n "$namespace" get configmap openshift-service-ca.crt \
        -o jsonpath='{.data.service-ca\.crt}') ||
        die "no ConfigMap openshift-service-ca.crt in $namespace (OpenShift 4.8 or later needed)"
    [ -n "$ca" ] || die "openshift-service-ca.crt holds no service-ca.crt"
    bundle=$(printf '%s\n' "$ca" | base64 | tr -d '\n')
fi
kustomization webhooks "$bundle" >"$tmp/all.yaml"
"$kubectl" apply -f "$tmp/all.yaml"
echo "deploy.sh: $overlay deployed; webhooks registered"
