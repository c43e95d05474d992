#!/usr/bin/env bash
# cli_test.sh - the command line: bad input gets one clear line and exit 2;
# review answers what the server would; test replays cases.
#
#   BIN=bin/image-policy-webhook tests/cli_test.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/bin/image-policy-webhook}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# expect WHAT CODE PATTERN CMD...: exit status CODE; with CODE 2 exactly one
# line on stderr, matching the extended regex PATTERN.
expect() {
    local what=$1 code=$2 pattern=$3 rc lines
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" = "$code" ] && { [ "$code" != 2 ] || [ "$lines" = 1 ]; } &&
        grep -qE -- "$pattern" "$tmp/err" "$tmp/out"; then
        passed=$((passed + 1))
        echo "ok   $what"
    else
        failed=$((failed + 1))
        echo "FAIL $what: exit $rc, stderr: $(head -c 300 "$tmp/err"), stdout: $(head -c 200 "$tmp/out")"
    fi
}

fixture=$root/tests/fixtures/apiserver-v1.20/mutate-pod-create-init-containers.json
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["request"], open(sys.argv[2],"w"))' \
    "$fixture" "$tmp/review.json"
printf 'pullPolicy:\n  mode: sometimes\n' >"$tmp/bad-config.yaml"
printf 'crossProject:\n  enforcment: deny\n' >"$tmp/typo-config.yaml"
printf 'kind: RoleBinding\nmetadata: {name: x, namespace: p}\n' >"$tmp/bad-bindings.yaml"
printf '{"apiVersion": "admission.k8s.io/v1", "request": {"uid": "u"}}' >"$tmp/no-kind.json"

expect "no command" 2 "missing command" "$bin"
expect "unknown command" 2 "unknown command frobnicate" "$bin" frobnicate
expect "--help" 0 "usage:" "$bin" --help
for cmd in serve "review mutate" test certs audit can-pull; do
    # shellcheck disable=SC2086 # the command's words apart
    expect "$cmd --help" 0 "usage:" "$bin" $cmd --help
done
expect "review: unknown endpoint" 2 "unknown endpoint admit" "$bin" review admit
expect "review: unknown flag" 2 "unknown flag --frob" "$bin" review mutate --frob x "$tmp/review.json"
expect "review: flag of another command" 2 "unknown flag --listen" "$bin" review mutate --listen :1 "$tmp/review.json"
expect "review: flag without value" 2 "--config needs a value" "$bin" review mutate "$tmp/review.json" --config
expect "review: --flag= without value" 2 "--config needs a value" "$bin" review mutate --config= "$tmp/review.json"
expect "review: two files" 2 "one FILE" "$bin" review mutate "$tmp/review.json" "$tmp/review.json"
expect "review: missing file" 2 "No such file" "$bin" review mutate "$tmp/nope.json"
expect "review: not JSON" 2 "body is not JSON" "$bin" review mutate /etc/hostname
expect "review: not an AdmissionReview" 2 "request.kind must be an object" "$bin" review validate "$tmp/no-kind.json"
expect "review: bad config value names the key" 2 "pullPolicy.mode: must be one of default, enforce, always" \
    "$bin" review mutate --config "$tmp/bad-config.yaml" "$tmp/review.json"
expect "review: unknown config key named" 2 "crossProject.enforcment: unknown key" \
    "$bin" review mutate --config "$tmp/typo-config.yaml" "$tmp/review.json"
expect "review: bad bindings name the file and item" 2 "bad-bindings.yaml: .*RoleBinding p/x" \
    "$bin" review validate --bindings "$tmp/bad-bindings.yaml" "$tmp/review.json"
expect "review: an answer, exit 0" 0 '"kind":"AdmissionReview"' "$bin" review mutate "$tmp/review.json"
expect "review: --config=FILE form" 0 '"uid":' "$bin" review mutate --config="$root/hack/config.yaml" "$tmp/review.json"
expect "review: from stdin" 0 '"allowed":true' sh -c "\"$bin\" review mutate - <\"$tmp/review.json\""
# \u0000 in a string is valid JSON (Go writes a NUL so): an answer, never
# exit 2, and the image is judged whole, not as the part before the NUL.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["request"]; c=d["request"]["object"]["spec"]["containers"][0]; c["image"]="nginx\0:latest"; del c["imagePullPolicy"]; json.dump(d, open(sys.argv[2],"w"))' \
    "$root/tests/fixtures/apiserver-v1.20/validate-pod-create-init-containers.json" "$tmp/nul.json"
expect "review: \\u0000 in an image, validate" 0 'image \\"nginx\\\\u0000:latest\\" is not a valid image reference' \
    "$bin" review validate "$tmp/nul.json"
expect "review: \\u0000 in an image, mutate: IfNotPresent" 0 "^patch: \\['IfNotPresent'\\]$" \
    sh -c "\"$bin\" review mutate \"$tmp/nul.json\" | python3 -c 'import base64,json,sys; a=json.load(sys.stdin)[\"response\"]; p=json.loads(base64.b64decode(a[\"patch\"])); v=[o[\"value\"] for o in p if o[\"path\"].endswith(\"containers/0/imagePullPolicy\")]; print(\"patch:\", v)'"
expect "serve: no certificate" 2 "needs --tls-cert and --tls-key" "$bin" serve
expect "serve: extra argument" 2 "takes no argument" "$bin" serve --tls-cert a --tls-key b extra
expect "serve: --record-max-files without --record-dir" 2 "need --record-dir" \
    "$bin" serve --tls-cert a --tls-key b --record-max-files 10
expect "serve: --record-max-files 0" 2 "--record-max-files 0: must be a number from 1 to 1000000" \
    "$bin" serve --tls-cert a --tls-key b --record-dir "$tmp/rec" --record-max-files 0
expect "serve: --record-max-files with a suffix" 2 "--record-max-files 10Ki: must be a number" \
    "$bin" serve --tls-cert a --tls-key b --record-dir "$tmp/rec" --record-max-files 10Ki
expect "serve: --record-max-files -1" 2 "--record-max-files -1: must be a number" \
    "$bin" serve --tls-cert a --tls-key b --record-dir "$tmp/rec" --record-max-files=-1
expect "serve: --record-max-bytes with an unknown suffix" 2 "--record-max-bytes 10GB: must be bytes from 1024" \
    "$bin" serve --tls-cert a --tls-key b --record-dir "$tmp/rec" --record-max-bytes 10GB
expect "serve: --record-max-bytes below 1Ki" 2 "--record-max-bytes 1000: must be bytes" \
    "$bin" serve --tls-cert a --tls-key b --record-dir "$tmp/rec" --record-max-bytes 1000
expect "serve: --record-max-bytes past 1Pi" 2 "--record-max-bytes 2048Ti: must be bytes" \
    "$bin" serve --tls-cert a --tls-key b --record-dir "$tmp/rec" --record-max-bytes 2048Ti
expect "serve: --record-max-bytes that overflows" 2 "--record-max-bytes 99999999999999999999: must be bytes" \
    "$bin" serve --tls-cert a --tls-key b --record-dir "$tmp/rec" --record-max-bytes 99999999999999999999
expect "test: no directory" 2 "needs at least one DIR" "$bin" test
mkdir -p "$tmp/cases"
cp "$root/tests/fixtures/cases/pod-delete.json" "$tmp/cases/"
expect "test: a passing case" 0 "^1 passed, 0 failed$" "$bin" test "$tmp/cases"
python3 - "$tmp/cases/pod-delete.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["answer"]["response"]["allowed"] = False
json.dump(c, open(sys.argv[1], "w"))
PY
expect "test: a tampered case fails, exit 1" 1 "^0 passed, 1 failed$" "$bin" test "$tmp/cases"

# libcurl (--kube) and libcrypto (certs) are loaded on first use: one that
# does not load (here a file of that soname that is no library, found first
# through LD_LIBRARY_PATH) is one line naming it, the command's start-up
# status (serve 1, the others 2), never a crash.
mkdir -p "$tmp/badlib"
while read -r so; do
    echo 'not a library' >"$tmp/badlib/$so"
done <"$bin.dlopen"
curl_so=$(grep '^libcurl\.' "$bin.dlopen")
crypto_so=$(grep '^libcrypto\.' "$bin.dlopen")
printf '{"apiVersion": "v1", "kind": "Config", "current-context": "t",
  "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
  "users": [{"name": "u", "user": {"token": "t"}}],
  "contexts": [{"name": "t", "context": {"cluster": "c", "user": "u"}}]}\n' \
    >"$tmp/kubeconfig"
bad=(env LD_LIBRARY_PATH="$tmp/badlib")
expect "serve --kube: libcurl that does not load, exit 1" 1 \
    "image-policy-webhook: --kube needs libcurl: cannot load $curl_so: .*badlib/$curl_so" \
    "${bad[@]}" "$bin" serve --tls-cert a --tls-key b --listen 127.0.0.1:0 --kubeconfig "$tmp/kubeconfig"
expect "can-pull --kube: libcurl that does not load, exit 2" 2 \
    "^image-policy-webhook: --kube needs libcurl: cannot load $curl_so: " \
    "${bad[@]}" "$bin" can-pull --kube --kubeconfig "$tmp/kubeconfig" p/default q
expect "certs: libcrypto that does not load, exit 2" 2 \
    "^image-policy-webhook: certs: cannot load $crypto_so: .*badlib/$crypto_so" \
    "${bad[@]}" "$bin" certs --service s --namespace n --out "$tmp/certs-out"
if [ -e "$tmp/certs-out" ]; then
    failed=$((failed + 1))
    echo "FAIL certs: nothing written: $tmp/certs-out exists"
else
    passed=$((passed + 1))
    echo "ok   certs: nothing written"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
