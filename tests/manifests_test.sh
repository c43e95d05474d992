#!/usr/bin/env bash
# manifests_test.sh - render manifests/ with kubectl kustomize and check it (tests/manifests_test.py).
#
#   BIN=bin/image-policy-webhook tests/manifests_test.sh
#
# Picks a python3 that has PyYAML (the one on PATH, else Debian's
# /usr/bin/python3 with python3-yaml) and needs kubectl with kustomize v4 or
# later (hack/install-deps.sh installs Debian's kubernetes-client where no
# kubectl is found).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-}
kubectl=${KUBECTL:-kubectl}
[ -n "$bin" ] || { echo "manifests_test.sh: set BIN to the image-policy-webhook binary" >&2; exit 2; }
command -v "$kubectl" >/dev/null 2>&1 || { echo "manifests_test.sh: $kubectl not found (hack/install-deps.sh)" >&2; exit 2; }
py=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then
        py=$p
        break
    fi
done
[ -n "$py" ] || { echo "manifests_test.sh: no python3 with PyYAML (apt-get install python3-yaml)" >&2; exit 2; }
kv=$("$kubectl" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
if [ -z "$kv" ] || [ "$kv" -lt 4 ]; then
    echo "manifests_test.sh: $kubectl has kustomize ${kv:-of an unknown version}; manifests/ needs v4 or later (kubectl 1.21+)" >&2
    exit 2
fi
exec "$py" "$root/tests/manifests_test.py" --bin "$bin" --kubectl "$kubectl"
