#!/usr/bin/env bash
# reload_test.sh - a new certificate served without a restart and without a failed request.
#
#   BIN=bin/image-policy-webhook tests/reload_test.sh
#
# Serves from a directory laid out like a mounted Secret (tls.crt and
# tls.key are symlinks through ..data to a timestamped directory, which the
# kubelet replaces by renaming a new ..data symlink over the old one, then
# deletes the old directory). While two clients post AdmissionReviews (one
# new TLS connection per request, and one keep-alive connection), it swaps in
# a new pair, waits until the new certificate is served (seen by the client
# and by `openssl s_client`), swaps in a broken pair (a key that is not the
# certificate's: refused with a log line, the previous pair still served),
# then a good pair again. No request may fail. The new certificate ends in
# 20 days, so the 30-day expiry warning is logged too. A pair replaced is
# freed (a debug line) once no connection uses it: the second one while the
# keep-alive connection still uses the first, the first once that closed.
# Every wait is bounded;
# the server is always killed. One line per check, "N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/lib.sh"
lib_init python3 openssl curl
load_pid=

finish() {
    if [ "$failed" -gt 0 ]; then
        echo "--- server log:"
        tail -n 30 "$tmp/server.log"
        echo "--- client failures:"
        grep -v '^ok ' "$tmp/load.log" 2>/dev/null | head -n 20
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}
# wait_for SECONDS COMMAND...: 0 once the command succeeds, 1 after SECONDS.
wait_for() {
    local end=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $end ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
fp_of() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
serial_of() { openssl x509 -in "$1" -noout -serial; }
served_serial() {
    openssl s_client -connect "127.0.0.1:$port" -servername 127.0.0.1 </dev/null 2>/dev/null |
        openssl x509 -noout -serial 2>/dev/null
}
gen() { # gen DAYS: a new serving pair in $tmp/ca (same CA each time)
    "$bin" certs --service image-policy-webhook --namespace ipw --out "$tmp/ca" \
        --hosts 127.0.0.1 --days "$1" >"$tmp/bundle" 2>/dev/null
}
secret=$tmp/secret
# put NAME CERT KEY: a timestamped directory as the kubelet writes it.
put() {
    mkdir -p "$secret/..$1"
    cp "$2" "$secret/..$1/tls.crt"
    cp "$3" "$secret/..$1/tls.key"
    chmod 0644 "$secret/..$1/tls.crt"
    chmod 0600 "$secret/..$1/tls.key"
}
# swap NAME: point ..data at ..NAME atomically (rename over), drop the old one.
swap() {
    local old
    old=$(readlink "$secret/..data")
    ln -s "..$1" "$secret/..data_tmp"
    mv -T "$secret/..data_tmp" "$secret/..data"
    rm -rf "${secret:?}/$old"
}

gen 365 || { check FAIL "certs"; finish; }
cp "$tmp/ca/tls.crt" "$tmp/a.crt"
cp "$tmp/ca/tls.key" "$tmp/a.key"
mkdir -p "$secret"
put 2026_01_01_00_00_00.1 "$tmp/a.crt" "$tmp/a.key"
ln -s ..2026_01_01_00_00_00.1 "$secret/..data"
ln -s ..data/tls.crt "$secret/tls.crt"
ln -s ..data/tls.key "$secret/tls.key"

"$bin" serve --tls-cert "$secret/tls.crt" --tls-key "$secret/tls.key" \
    --listen 127.0.0.1:0 --log-level debug 2>"$tmp/server.log" &
pid=$!
port=$(listen_port "$tmp/server.log" https "$pid")
[ -n "$port" ] || { check FAIL "server start" "no 'listening on' line"; finish; }
if wait_for 10 curl -sf --max-time 2 --cacert "$tmp/ca/ca.crt" "https://127.0.0.1:$port/readyz"; then
    check ok "serving from a Secret-like directory (..data symlinks)"
else
    check FAIL "ready"
    finish
fi
[ "$(served_serial)" = "$(serial_of "$tmp/a.crt")" ] && check ok "openssl s_client: the first certificate is served" ||
    check FAIL "first certificate served"

python3 "$root/tests/tls_client.py" load --port "$port" --ca "$tmp/ca/ca.crt" \
    --stop "$tmp/stop" --seconds 90 >"$tmp/load.log" 2>&1 &
load_pid=$!
track "$load_pid"
fp_a=$(fp_of "$tmp/a.crt")
wait_for 10 grep -q "^ok new-conn $fp_a" "$tmp/load.log" ||
    check FAIL "requests flow before the swap"

# 1. A good new pair, ending in 20 days.
gen 20
cp "$tmp/ca/tls.crt" "$tmp/b.crt"
cp "$tmp/ca/tls.key" "$tmp/b.key"
fp_b=$(fp_of "$tmp/b.crt")
put 2026_02_01_00_00_00.2 "$tmp/b.crt" "$tmp/b.key"
swap 2026_02_01_00_00_00.2
if wait_for 20 grep -q "^ok new-conn $fp_b" "$tmp/load.log"; then
    check ok "..data swapped: new connections get the new certificate (within 20 s)"
else
    check FAIL "new certificate seen by the client within 20 s"
fi
[ "$(served_serial)" = "$(serial_of "$tmp/b.crt")" ] && check ok "openssl s_client: the new certificate's serial is served" ||
    check FAIL "new serial served" "$(served_serial) != $(serial_of "$tmp/b.crt")"
grep -q '"certificate [^"]* reloaded"' "$tmp/server.log" && check ok "log: certificate reloaded" ||
    check FAIL "log: certificate reloaded"
grep -q '"level":"warn","msg":"certificate [^"]* expires at [^"]*, in 19 days (less than 30): renew it"' "$tmp/server.log" &&
    check ok "log: warning for a certificate that ends within 30 days" ||
    check FAIL "log: 30-day expiry warning" "$(grep -c expires "$tmp/server.log") lines"

# 2. A broken pair: the key of the first certificate with a new certificate.
gen 365
cp "$tmp/ca/tls.crt" "$tmp/c.crt"
put 2026_03_01_00_00_00.3 "$tmp/c.crt" "$tmp/a.key"
swap 2026_03_01_00_00_00.3
if wait_for 20 grep -q "new certificate refused, serving the old one" "$tmp/server.log"; then
    check ok "broken pair: refused with a log line: $(grep -o 'new certificate refused[^"]*' "$tmp/server.log" | head -n 1)"
else
    check FAIL "broken pair refused with a log line"
fi
[ "$(served_serial)" = "$(serial_of "$tmp/b.crt")" ] && check ok "broken pair: the previous certificate is still served" ||
    check FAIL "previous certificate kept"
kill -0 "$pid" 2>/dev/null && check ok "broken pair: the server runs on" || check FAIL "server alive"

# 3. A good pair again after the broken one.
gen 365
cp "$tmp/ca/tls.crt" "$tmp/d.crt"
cp "$tmp/ca/tls.key" "$tmp/d.key"
fp_d=$(fp_of "$tmp/d.crt")
put 2026_04_01_00_00_00.4 "$tmp/d.crt" "$tmp/d.key"
swap 2026_04_01_00_00_00.4
if wait_for 20 grep -q "^ok new-conn $fp_d" "$tmp/load.log"; then
    check ok "a good pair after a broken one is served"
else
    check FAIL "good pair after a broken one"
fi

# 4. A replaced pair is freed once no connection uses it: the second now,
# the first (the keep-alive connection's) once that closed.
freed() { grep -o 'certificate: [0-9]* older pairs freed, [0-9]* kept' "$tmp/server.log" | tr '\n' ';'; }
if wait_for 15 grep -q '"certificate: 1 older pairs freed, 2 kept' "$tmp/server.log"; then
    check ok "the second pair freed, the first kept while the keep-alive connection uses it"
else
    check FAIL "the second pair freed, the first kept" "$(freed)"
fi
touch "$tmp/stop"
wait "$load_pid"
load_pid=
if wait_for 15 grep -q '"certificate: 1 older pairs freed, 1 kept' "$tmp/server.log"; then
    check ok "the keep-alive connection closed: the first pair freed, the one in service kept ($(freed))"
else
    check FAIL "the first pair freed once its connection closed" "$(freed)"
fi
summary=$(tail -n 1 "$tmp/load.log")
total=$(sed -n 's/^total \([0-9]*\) failed \([0-9]*\)$/\1/p' <<<"$summary")
fails=$(sed -n 's/^total \([0-9]*\) failed \([0-9]*\)$/\2/p' <<<"$summary")
if [ -n "$total" ] && [ "$fails" = 0 ] && [ "$total" -ge 200 ]; then
    check ok "zero failed requests out of $total during three swaps"
else
    check FAIL "zero failed requests" "$summary"
fi
kc=$(grep -c "^ok keep-alive" "$tmp/load.log")
kf=$(grep -c "^FAIL keep-alive" "$tmp/load.log")
[ "$kc" -gt 0 ] && [ "$kf" -eq 0 ] && check ok "the keep-alive connection ran through every swap ($kc requests)" ||
    check FAIL "keep-alive connection" "$kc ok, $kf failed"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && check ok "SIGTERM: exit 0" || check FAIL "SIGTERM: exit 0" "rc $rc"
finish
