#!/usr/bin/env bash
# fuzz.sh - run each libFuzzer target for a bounded time, seeded from the
# fixtures, then replay the saved crash regressions.
#
#   hack/fuzz.sh SECONDS BUILD_DIR TARGET...
#
# Seeds are made fresh under BUILD_DIR/corpus/<target> from tests/fixtures;
# findings land in BUILD_DIR/findings/<target>; a crash fails the run. Files
# in tests/fuzz/regressions/<target>/ (inputs that once crashed) are replayed
# first, so every crash found becomes a regression test.
set -euo pipefail
seconds=$1 build=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seed() { # seed TARGET DIR
    python3 - "$1" "$2" <<'PY'
import base64, glob, json, os, sys
target, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
def put(name, data):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
cases = sorted(glob.glob('tests/fixtures/*/*.json'))
def requests():
    for c in cases:
        try:
            d = json.load(open(c))
        except Exception:
            continue
        if isinstance(d, dict) and 'request' in d and 'endpoint' in d:
            yield c, d
n = 0
if target == 'imageref':
    seen = set()
    for c, d in requests():
        def walk(v):
            if isinstance(v, dict):
                for k, x in v.items():
                    if k in ('image', 'name') and isinstance(x, str):
                        seen.add(x)
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(d['request'])
    for s in ['nginx', 'localhost:5000/a', '[::1]:5000/a:v1', 'foo:5000',
              'a@sha256:' + 'b' * 64, 'docker.io/library/x:1@sha512:' + 'c' * 128]:
        seen.add(s)
    for i, s in enumerate(sorted(seen)):
        put('seed%04d' % i, s.encode())
elif target == 'review':
    for i, (c, d) in enumerate(requests()):
        sel = 0x80 if d['endpoint'] == 'validate' else 0
        put('seed%04d' % i, bytes([sel | 0x40]) + json.dumps(d['request']).encode())
elif target == 'config':
    for i, f in enumerate(sorted(glob.glob('tests/fixtures/configs/*') + ['hack/config.yaml'])):
        put('seed%04d' % i, open(f, 'rb').read())
elif target == 'bindings':
    for i, f in enumerate(['hack/bindings.yaml', 'tests/fixtures/rbac/rbac-list.json']):
        put('seed%04d' % i, open(f, 'rb').read())
elif target == 'audit':
    files = sorted(glob.glob('tests/fixtures/audit/**/*.*', recursive=True))
    for i, f in enumerate(files):
        put('seed%04d' % i, bytes([0x81]) + open(f, 'rb').read())
elif target == 'jsonpatch':
    for i, (c, d) in enumerate(requests()):
        patch = d['answer'].get('response', {}).get('patch')
        if isinstance(patch, list):
            doc = d['request']['request'].get('object')
            put('seed%04d' % i, b'a~b/c\0' + json.dumps([doc, patch]).encode())
PY
}

status=0
for bin in "$@"; do
    target=${bin##*/fuzz_}
    corpus=$build/corpus/$target findings=$build/findings/$target
    rm -rf "$corpus"
    mkdir -p "$findings"
    seed "$target" "$corpus"
    regress=tests/fuzz/regressions/$target
    if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
        echo "== $target: replaying $(ls "$regress" | wc -l) regression inputs"
        "$bin" "$regress"/* >"$findings/regressions.log" 2>&1 || {
            echo "FAIL $target: a regression input crashes again"
            tail -n 30 "$findings/regressions.log"
            status=1
            continue
        }
    fi
    echo "== $target: $(ls "$corpus" | wc -l) seeds, ${seconds}s"
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="$findings/" -print_final_stats=1 \
        "$corpus" >"$findings/fuzz.log" 2>&1; then
        grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$findings/fuzz.log" | tail -n 2
        echo "ok   $target"
    else
        echo "FAIL $target: crash saved in $findings (add it to $regress)"
        tail -n 40 "$findings/fuzz.log"
        status=1
    fi
done
exit $status
