#!/usr/bin/env bash
# e2e.sh - end-to-end test: the real binary over HTTPS, as the API server calls it.
#
#   BIN=bin/image-policy-webhook tests/e2e.sh
#
# Starts "$BIN serve" on a free loopback port with dev certificates made in a
# temporary directory, waits for /readyz, replays the case files under
# tests/fixtures (FIXTURES overrides) that need neither config nor bindings,
# checks the HTTP errors and probes (tests/e2e.py), then stops the server
# with SIGTERM and checks that it exits 0. One line per check, then
# "N passed, N failed"; exit 1 on any failure. The server is always killed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${FIXTURES:-$root/tests/fixtures}
. "$root/tests/lib.sh"
lib_init python3 curl

finish() {
    if [ "$failed" -gt 0 ] && [ -s "$tmp/server.log" ]; then
        echo "--- last lines of the server log:"
        tail -n 20 "$tmp/server.log"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

if ! "$root/hack/dev-certs.sh" "$tmp/certs" >/dev/null 2>"$tmp/certs.log"; then
    check FAIL "dev certificates" "$(cat "$tmp/certs.log")"
    finish
fi

# Port 0: the kernel picks a free port, and the server logs which.
# WRAP runs the server under a tool, e.g. WRAP="valgrind --leak-check=full
# --errors-for-leak-kinds=definite,indirect --error-exitcode=99": the exit
# status after SIGTERM then also says whether it found an error or a leak.
${WRAP:-} "$bin" serve --tls-cert "$tmp/certs/tls.crt" --tls-key "$tmp/certs/tls.key" \
    --listen 127.0.0.1:0 2>"$tmp/server.log" &
pid=$!
port=$(listen_port "$tmp/server.log" https "$pid")
if [ -z "$port" ]; then
    check FAIL "server start" "no 'listening on' line in the log"
    finish
fi
ready=
for _ in $(seq 100); do
    if curl -sf --max-time 2 --cacert "$tmp/certs/ca.crt" \
        "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    check FAIL "server ready" "/readyz not 200 within 10 s"
    finish
fi
check ok "server ready on 127.0.0.1:$port"

out=$tmp/client.out
python3 "$root/tests/e2e.py" --port "$port" --cacert "$tmp/certs/ca.crt" \
    --fixtures "$fixtures" | tee "$out"
passed=$((passed + $(grep -c '^ok ' "$out")))
failed=$((failed + $(grep -c '^FAIL ' "$out")))
if ! grep -qE '^(ok|FAIL) ' "$out"; then
    check FAIL "client" "tests/e2e.py printed no check"
fi

if kill -0 "$pid" 2>/dev/null; then
    check ok "server still running after all requests"
    kill -TERM "$pid"
    rc=
    for _ in $(seq 600); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            rc=$?
            break
        fi
        sleep 0.1
    done
    if [ "$rc" = 0 ]; then
        check ok "SIGTERM: server exits 0"
    else
        check FAIL "SIGTERM: server exits 0" "exit status ${rc:-none within 60 s}"
        [ "$rc" = 99 ] && grep -E "==[0-9]+== " "$tmp/server.log" | tail -n 40
    fi
    pid=
else
    wait "$pid"
    check FAIL "server still running after all requests" "it died with status $?"
    pid=
fi
finish
