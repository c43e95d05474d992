#!/usr/bin/env bash
# run.sh - serve locally with development certificates on 127.0.0.1:8443.
#
#   hack/run.sh BIN [extra serve flags...]
#
# Makes (or reuses) a dev CA and serving certificate in build/dev-certs, then
# execs BIN serve with hack/config.yaml and hack/bindings.yaml when present.
# LISTEN overrides the address (default 127.0.0.1:8443).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: hack/run.sh BIN [serve flags...]" >&2; exit 2; }
bin=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
certs=$root/build/dev-certs
listen=${LISTEN:-127.0.0.1:8443}

"$root/hack/dev-certs.sh" "$certs" >&2

args=(serve --tls-cert "$certs/tls.crt" --tls-key "$certs/tls.key" --listen "$listen")
[ -f "$root/hack/config.yaml" ] && args+=(--config "$root/hack/config.yaml")
[ -f "$root/hack/bindings.yaml" ] && args+=(--bindings "$root/hack/bindings.yaml")

port=${listen##*:}
sample=$(ls "$root"/tests/fixtures/*/mutate-pod-create-*.json 2>/dev/null | head -n 1 || true)
echo "try:" >&2
echo "  curl --cacert $certs/ca.crt https://localhost:$port/healthz" >&2
if [ -n "$sample" ]; then
    # Case files hold the AdmissionReview under "request".
    echo "  python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[\"request\"]))' \\" >&2
    echo "      ${sample#"$root"/} |" >&2
    echo "    curl --cacert $certs/ca.crt -H 'Content-Type: application/json' --data-binary @- https://localhost:$port/mutate" >&2
else
    echo "  curl --cacert $certs/ca.crt -H 'Content-Type: application/json' --data-binary @REVIEW.json https://localhost:$port/mutate" >&2
fi
exec "$bin" "${args[@]}" "$@"
