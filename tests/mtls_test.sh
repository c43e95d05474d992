#!/usr/bin/env bash
# mtls_test.sh - serve --client-ca: the TLS handshake requires a client certificate of that CA.
#
#   BIN=bin/image-policy-webhook tests/mtls_test.sh
#
# Without a client certificate, with one of another CA, or with one not
# made for client authentication, the connection is refused by TLS (TLS 1.2:
# at the handshake; TLS 1.3: by the alert the server sends as it checks the
# client's certificate, before any HTTP); with a certificate the CA signed
# for client use, requests pass over both versions; TLS 1.2 offers only
# ECDHE with AEAD ciphers, TLS 1.1 nothing. The plain HTTP health
# listener answers probes without a certificate and serves no admission
# path. A client CA file that is not one stops the start with one line.
# The client CA reloads: served from a directory laid out like a mounted
# Secret, a new CA swapped in through ..data is in force within the reload
# period (a client of the new CA passes, one of the old is refused at the
# handshake) while a connection opened under the old one keeps going; a
# file that is not a CA is refused with a log line and the CA stays.
# One line per check, then "N passed, N failed"; the server is always killed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/lib.sh"
lib_init python3 openssl curl

finish() {
    if [ "$failed" -gt 0 ] && [ -s "$tmp/server.log" ]; then
        echo "--- server log:"
        tail -n 20 "$tmp/server.log"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

# Serving pair and CA; a client certificate of that CA (clientAuth); one of
# another CA; and the serving certificate, which is for servers only.
"$bin" certs --service image-policy-webhook --namespace ipw --out "$tmp/ca" \
    --hosts 127.0.0.1 >/dev/null 2>&1 || { check FAIL "certs"; finish; }
"$bin" certs --service other --namespace ipw --out "$tmp/other" >/dev/null 2>&1 ||
    { check FAIL "certs (other CA)"; finish; }
client() { # client DIR NAME: a clientAuth certificate signed by DIR's CA
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/$2.key" 2>/dev/null &&
        openssl req -new -key "$tmp/$2.key" -subj "/CN=kube-apiserver" -out "$tmp/$2.csr" &&
        printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$tmp/$2.ext" &&
        openssl x509 -req -in "$tmp/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
            -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$tmp/$2.ext" \
            -out "$tmp/$2.crt" 2>/dev/null
}
client "$tmp/ca" good || { check FAIL "client certificate"; finish; }
client "$tmp/other" stranger || { check FAIL "client certificate of another CA"; finish; }

"$bin" serve --tls-cert "$tmp/ca/tls.crt" --tls-key "$tmp/ca/tls.key" \
    --client-ca "$tmp/ca/ca.crt" --listen 127.0.0.1:0 \
    --health-listen 127.0.0.1:0 2>"$tmp/server.log" &
pid=$!
port=$(listen_port "$tmp/server.log" https "$pid")
hport=$(listen_port "$tmp/server.log" http "$pid")
if [ -z "$port" ] || [ -z "$hport" ]; then
    check FAIL "server start" "no 'listening on' lines"
    finish
fi
grep -q "client certificates required" "$tmp/server.log" &&
    check ok "log: client certificates required" || check FAIL "log says client certificates are required"
ready=
for _ in $(seq 100); do
    curl -sf --max-time 2 "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && { ready=1; break; }
    sleep 0.1
done
[ -n "$ready" ] && check ok "health listener: GET /readyz 200 without a certificate (kubelet probes)" ||
    check FAIL "health listener /readyz"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$hport/healthz")
[ "$code" = 200 ] && check ok "health listener: GET /healthz 200" || check FAIL "health listener /healthz" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Content-Type: application/json' \
    --data '{}' "http://127.0.0.1:$hport/mutate")
[ "$code" = 404 ] && check ok "health listener: POST /mutate 404 (admission over HTTPS only)" ||
    check FAIL "health listener serves no /mutate" "$code"

probe() { # probe WANT WHAT ARGS...: WANT is pass (HTTP 200) or refused
    local want=$1 what=$2 out rc
    shift 2
    out=$(python3 "$root/tests/tls_client.py" probe --port "$port" --ca "$tmp/ca/ca.crt" "$@" 2>&1)
    rc=$?
    if { [ "$want" = pass ] && [ $rc -eq 0 ] && [[ $out == "status 200"* ]]; } ||
        { [ "$want" = refused ] && [ $rc -eq 1 ]; }; then
        check ok "$what: $out"
    else
        check FAIL "$what" "rc $rc: $out"
    fi
}
probe refused "no client certificate, TLS 1.3: refused"
probe refused "no client certificate, TLS 1.2: refused" --tls12
probe refused "client certificate of another CA, TLS 1.3: refused" --cert "$tmp/stranger.crt" --key "$tmp/stranger.key"
probe refused "client certificate of another CA, TLS 1.2: refused" --cert "$tmp/stranger.crt" --key "$tmp/stranger.key" --tls12
probe refused "a server-only certificate of the CA as client certificate: refused" \
    --cert "$tmp/ca/tls.crt" --key "$tmp/ca/tls.key"
probe pass "client certificate of the CA, TLS 1.3: POST /mutate passes" --cert "$tmp/good.crt" --key "$tmp/good.key"
probe pass "client certificate of the CA, TLS 1.2: POST /mutate passes" --cert "$tmp/good.crt" --key "$tmp/good.key" --tls12
probe pass "client certificate of the CA: POST /validate passes" --cert "$tmp/good.crt" --key "$tmp/good.key" --path /validate

# The handshake itself, as the openssl command sees it (TLS 1.2).
if openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$tmp/ca/ca.crt" \
    </dev/null >"$tmp/s_client.out" 2>&1; then
    check FAIL "openssl s_client -tls1_2 without a certificate: handshake fails"
else
    check ok "openssl s_client -tls1_2 without a certificate: handshake fails"
fi
if openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$tmp/ca/ca.crt" \
    -cert "$tmp/good.crt" -key "$tmp/good.key" </dev/null >"$tmp/s_client.out" 2>&1 &&
    grep -q "Verify return code: 0 (ok)" "$tmp/s_client.out"; then
    check ok "openssl s_client -tls1_2 with a certificate: handshake completes"
else
    check FAIL "openssl s_client -tls1_2 with a certificate" "$(tail -n 3 "$tmp/s_client.out")"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$tmp/ca/ca.crt" \
    --cert "$tmp/good.crt" --key "$tmp/good.key" "https://127.0.0.1:$port/readyz")
[ "$code" = 200 ] && check ok "curl with the client certificate: GET /readyz 200" || check FAIL "curl with certificate" "$code"
# The cipher policy: TLS 1.2 only with ECDHE and AEAD; nothing older.
tls12() { # tls12 CIPHER: 0 when a handshake with it completes
    openssl s_client -connect "127.0.0.1:$port" -tls1_2 -cipher "$1" -CAfile "$tmp/ca/ca.crt" \
        -cert "$tmp/good.crt" -key "$tmp/good.key" </dev/null 2>/dev/null |
        grep -q "Cipher is $1"
}
for c in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
    tls12 "$c" && check ok "TLS 1.2 $c accepted" || check FAIL "TLS 1.2 $c accepted"
done
# (Static RSA key exchange is refused too, but needs an RSA certificate to show.)
for c in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA ECDHE-ECDSA-AES128-SHA256; do
    tls12 "$c" && check FAIL "TLS 1.2 $c refused (CBC)" || check ok "TLS 1.2 $c refused (CBC)"
done
if openssl s_client -connect "127.0.0.1:$port" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    -cert "$tmp/good.crt" -key "$tmp/good.key" \
    </dev/null 2>/dev/null | grep -q "Cipher is [A-Z]"; then
    check FAIL "TLS 1.1 refused"
else
    check ok "TLS 1.1 refused"
fi
kill -0 "$pid" 2>/dev/null && check ok "the server runs on after refused handshakes" || check FAIL "server alive"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && check ok "SIGTERM: exit 0" || check FAIL "SIGTERM: exit 0" "rc $rc"

# The client CA swapped under a running server, as the kubelet updates a
# mounted ConfigMap or Secret: ca.crt -> ..data/ca.crt, ..data -> ..v1.
cadir=$tmp/client-ca
mkdir -p "$cadir/..v1" "$cadir/..v2" "$cadir/..v3"
cp "$tmp/ca/ca.crt" "$cadir/..v1/ca.crt"
cp "$tmp/other/ca.crt" "$cadir/..v2/ca.crt"
cp "$tmp/ca/tls.key" "$cadir/..v3/ca.crt" # not a certificate
ln -s ..v1 "$cadir/..data"
ln -s ..data/ca.crt "$cadir/ca.crt"
swap_ca() { # swap_ca VERSION: rename a new ..data over the old one
    ln -s "..$1" "$cadir/..data_tmp" && mv -T "$cadir/..data_tmp" "$cadir/..data"
}
"$bin" serve --tls-cert "$tmp/ca/tls.crt" --tls-key "$tmp/ca/tls.key" \
    --client-ca "$cadir/ca.crt" --listen 127.0.0.1:0 2>"$tmp/server.log" &
pid=$!
port=$(listen_port "$tmp/server.log" https "$pid")
[ -n "$port" ] || { check FAIL "server start (client CA in a ..data directory)"; finish; }
probe pass "before the swap: a client of the first CA passes" --cert "$tmp/good.crt" --key "$tmp/good.key"
probe refused "before the swap: a client of the other CA is refused" \
    --cert "$tmp/stranger.crt" --key "$tmp/stranger.key"
# Keep-alive connections of the first CA, open across the swap: one that
# carried a request before it, one that only shook hands.
python3 "$root/tests/tls_client.py" hold --port "$port" --ca "$tmp/ca/ca.crt" \
    --cert "$tmp/good.crt" --key "$tmp/good.key" --ready "$tmp/held" \
    --go "$tmp/go" >"$tmp/hold.out" 2>&1 &
hold_pid=$!
track "$hold_pid"
python3 "$root/tests/tls_client.py" hold --port "$port" --ca "$tmp/ca/ca.crt" \
    --cert "$tmp/good.crt" --key "$tmp/good.key" --ready "$tmp/held2" \
    --go "$tmp/go" --handshake-only >"$tmp/hold2.out" 2>&1 &
hold2_pid=$!
track "$hold2_pid"
for _ in $(seq 100); do [ -e "$tmp/held" ] && [ -e "$tmp/held2" ] && break; sleep 0.1; done
swapped=$SECONDS
swap_ca v2
# Bounded: the server looks every 5 s; 15 s is three periods.
accepted=
while [ $((SECONDS - swapped)) -lt 15 ]; do
    if python3 "$root/tests/tls_client.py" probe --port "$port" --ca "$tmp/ca/ca.crt" \
        --cert "$tmp/stranger.crt" --key "$tmp/stranger.key" >/dev/null 2>&1; then
        accepted=$((SECONDS - swapped))
        break
    fi
    sleep 0.2
done
[ -n "$accepted" ] && [ "$accepted" -le 10 ] &&
    check ok "CA swapped through ..data: a client of the new CA accepted after ${accepted} s (reload period 5 s)" ||
    check FAIL "CA swapped through ..data: a client of the new CA accepted within two periods" "${accepted:-never}"
grep -q "client CA $cadir/ca.crt reloaded" "$tmp/server.log" &&
    check ok "log: client CA reloaded" || check FAIL "log: client CA reloaded"
probe refused "after the swap: a new connection of the old CA is refused" \
    --cert "$tmp/good.crt" --key "$tmp/good.key"
probe refused "after the swap: a new connection of the old CA is refused, TLS 1.2" \
    --cert "$tmp/good.crt" --key "$tmp/good.key" --tls12
probe pass "after the swap: a client of the new CA passes, TLS 1.2" \
    --cert "$tmp/stranger.crt" --key "$tmp/stranger.key" --tls12
touch "$tmp/go"
wait "$hold_pid"
rc=$?
[ $rc -eq 0 ] && check ok "a connection opened under the old CA keeps going: $(cat "$tmp/hold.out")" ||
    check FAIL "a connection opened under the old CA keeps going" "$(cat "$tmp/hold.out")"
wait "$hold2_pid"
rc=$?
[ $rc -eq 0 ] && check ok "a connection that shook hands under the old CA and posts after the swap: $(cat "$tmp/hold2.out")" ||
    check FAIL "a connection that shook hands under the old CA posts after the swap" "$(cat "$tmp/hold2.out")"
# A file that is not a CA: refused with a log line, the CA in force stays.
swap_ca v3
refused=
for _ in $(seq 75); do
    grep -q "new client CA refused, keeping the old one: client CA file $cadir/ca.crt" \
        "$tmp/server.log" && { refused=1; break; }
    sleep 0.2
done
[ -n "$refused" ] && check ok "a client CA file that does not load: refused, logged" ||
    check FAIL "a client CA file that does not load: refused, logged"
probe pass "after the bad file: the new CA's client still passes" \
    --cert "$tmp/stranger.crt" --key "$tmp/stranger.key"
probe refused "after the bad file: the old CA's client still refused" \
    --cert "$tmp/good.crt" --key "$tmp/good.key"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] && check ok "SIGTERM: exit 0" || check FAIL "SIGTERM: exit 0" "rc $rc"

# A client CA file that holds no certificate: no start, one line.
"$bin" serve --tls-cert "$tmp/ca/tls.crt" --tls-key "$tmp/ca/tls.key" \
    --client-ca "$tmp/ca/tls.key" --listen 127.0.0.1:0 >"$tmp/bad.out" 2>"$tmp/bad.err" &
bpid=$!
track "$bpid"
for _ in $(seq 50); do
    kill -0 "$bpid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$bpid" 2>/dev/null; then
    kill -KILL "$bpid"
    wait "$bpid" 2>/dev/null
    check FAIL "a bad --client-ca stops the start"
else
    wait "$bpid"
    rc=$?
    line=$(grep -v '^{' "$tmp/bad.err")
    [ $rc -ne 0 ] && [ "$(wc -l <<<"$line")" -eq 1 ] && [[ $line == *"client CA file"* ]] &&
        check ok "a bad --client-ca stops the start: $line" ||
        check FAIL "a bad --client-ca stops the start" "rc $rc: $(cat "$tmp/bad.err")"
fi
finish
