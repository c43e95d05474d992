#!/usr/bin/env bash
# certs_test.sh - the `certs` command, its output checked with the openssl command.
#
#   BIN=bin/image-policy-webhook tests/certs_test.sh
#
# Chain, SANs, key match, extensions, file modes, the printed CA bundle, CA
# reuse across runs, a CA that ends first, and bad input (one line, exit 2,
# nothing written). One line per check, then "N passed, N failed"; exit 1
# on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/lib.sh"
lib_init openssl

expect() { # expect WHAT COMMAND...: ok when the command succeeds
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then check ok "$what"; else check FAIL "$what"; fi
}
mode() { stat -c %a "$1"; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pub_of_key() { openssl pkey -in "$1" -pubout; }
sans() { openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | tr -d ' ' | tr ',' '\n'; }

out=$tmp/a/b/certs # parents made too
umask 022
"$bin" certs --service image-policy-webhook --namespace ipw --out "$out" \
    --hosts 'localhost,127.0.0.1,::1,[fd00::10],Webhook.Example.com,*.apps.example.com' \
    --days 30 >"$tmp/bundle1" 2>"$tmp/err1"
rc=$?
[ $rc -eq 0 ] && check ok "certs exits 0" || check FAIL "certs exits 0" "rc $rc: $(cat "$tmp/err1")"
for f in ca.crt ca.key tls.crt tls.key; do
    [ -s "$out/$f" ] && check ok "$f written" || check FAIL "$f written"
done
[ "$(mode "$out/ca.key")" = 600 ] && [ "$(mode "$out/tls.key")" = 600 ] &&
    check ok "keys are mode 0600" || check FAIL "keys are mode 0600" "$(mode "$out/ca.key") $(mode "$out/tls.key")"
[ "$(mode "$out/ca.crt")" = 644 ] && [ "$(mode "$out/tls.crt")" = 644 ] &&
    check ok "certificates are mode 0644" || check FAIL "certificates are mode 0644"
[ "$(mode "$out")" = 700 ] && check ok "a new directory is mode 0700" || check FAIL "a new directory is mode 0700" "$(mode "$out")"
leftover=$(find "$out" -name '.*.??????' | wc -l)
[ "$leftover" -eq 0 ] && check ok "no temporary files left" || check FAIL "no temporary files left" "$leftover"

v=$(openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" 2>&1)
[ "$v" = "$out/tls.crt: OK" ] && check ok "openssl verify: the CA signed tls.crt" || check FAIL "openssl verify" "$v"
v=$(openssl verify -CAfile "$out/ca.crt" -purpose sslserver "$out/tls.crt" 2>&1)
[ "$v" = "$out/tls.crt: OK" ] && check ok "tls.crt is good for a TLS server (purpose sslserver)" || check FAIL "purpose sslserver" "$v"
[ "$(pub_of_cert "$out/tls.crt")" = "$(pub_of_key "$out/tls.key")" ] &&
    check ok "tls.key is the key of tls.crt" || check FAIL "tls.key is the key of tls.crt"
[ "$(pub_of_cert "$out/ca.crt")" = "$(pub_of_key "$out/ca.key")" ] &&
    check ok "ca.key is the key of ca.crt" || check FAIL "ca.key is the key of ca.crt"

sans "$out/tls.crt" >"$tmp/sans"
want="DNS:image-policy-webhook
DNS:image-policy-webhook.ipw
DNS:image-policy-webhook.ipw.svc
DNS:image-policy-webhook.ipw.svc.cluster.local
DNS:localhost
IPAddress:127.0.0.1
IPAddress:0:0:0:0:0:0:0:1
IPAddress:FD00:0:0:0:0:0:0:10
DNS:webhook.example.com
DNS:*.apps.example.com"
[ "$(cat "$tmp/sans")" = "$want" ] && check ok "SANs: the Service's four names, then --hosts (IPs as IP SANs)" ||
    check FAIL "SANs" "$(tr '\n' ' ' <"$tmp/sans")"
text=$(openssl x509 -in "$out/tls.crt" -noout -text)
grep -q "CA:FALSE" <<<"$text" && grep -q "TLS Web Server Authentication" <<<"$text" &&
    check ok "tls.crt: CA:FALSE, extended key usage serverAuth" || check FAIL "tls.crt extensions"
grep -q "Subject: CN *= *image-policy-webhook.ipw.svc" <<<"$text" &&
    check ok "tls.crt subject CN is NAME.NS.svc" || check FAIL "tls.crt subject" "$(grep Subject: <<<"$text")"
catext=$(openssl x509 -in "$out/ca.crt" -noout -text)
grep -q "CA:TRUE" <<<"$catext" && grep -q "Certificate Sign" <<<"$catext" &&
    check ok "ca.crt: CA:TRUE, keyCertSign" || check FAIL "ca.crt extensions"
expect "tls.crt valid for 29 more days" openssl x509 -in "$out/tls.crt" -noout -checkend $((29 * 86400))
if openssl x509 -in "$out/tls.crt" -noout -checkend $((31 * 86400)) >/dev/null 2>&1; then
    check FAIL "--days 30: tls.crt ends within 31 days"
else
    check ok "--days 30: tls.crt ends within 31 days"
fi
expect "ca.crt valid for 9 more years" openssl x509 -in "$out/ca.crt" -noout -checkend $((9 * 365 * 86400))

[ "$(wc -l <"$tmp/bundle1")" -eq 1 ] && base64 -d "$tmp/bundle1" 2>/dev/null | cmp -s - "$out/ca.crt" &&
    check ok "stdout is the base64 of ca.crt on one line" || check FAIL "stdout is the base64 of ca.crt"
[ "$(wc -l <"$tmp/err1")" -eq 1 ] && grep -q "made a new CA" "$tmp/err1" &&
    check ok "stderr says a new CA was made" || check FAIL "stderr of a first run" "$(cat "$tmp/err1")"

# Renewal: the CA (and so the bundle) is kept, the serving pair is new.
cp "$out/ca.crt" "$tmp/ca.crt.1"
cp "$out/ca.key" "$tmp/ca.key.1"
cp "$out/tls.crt" "$tmp/tls.crt.1"
cp "$out/tls.key" "$tmp/tls.key.1"
umask 000 # modes must not depend on the umask
"$bin" certs --service image-policy-webhook --namespace ipw --out "$out" >"$tmp/bundle2" 2>"$tmp/err2"
rc=$?
umask 022
[ $rc -eq 0 ] && check ok "second run exits 0" || check FAIL "second run exits 0" "$(cat "$tmp/err2")"
cmp -s "$tmp/bundle1" "$tmp/bundle2" && check ok "CA reused: the printed bundle is the same" || check FAIL "CA reused: same bundle"
cmp -s "$tmp/ca.crt.1" "$out/ca.crt" && cmp -s "$tmp/ca.key.1" "$out/ca.key" &&
    check ok "CA reused: ca.crt and ca.key unchanged" || check FAIL "CA reused: ca files unchanged"
grep -q "kept the CA" "$tmp/err2" && check ok "stderr says the CA was kept" || check FAIL "stderr of a renewal" "$(cat "$tmp/err2")"
s1=$(openssl x509 -in "$tmp/tls.crt.1" -noout -serial)
s2=$(openssl x509 -in "$out/tls.crt" -noout -serial)
[ "$s1" != "$s2" ] && ! cmp -s "$tmp/tls.key.1" "$out/tls.key" &&
    check ok "renewal: new serial and new key" || check FAIL "renewal: new serial and new key" "$s1 $s2"
base64 -d "$tmp/bundle1" >"$tmp/old-bundle.pem"
v=$(openssl verify -CAfile "$tmp/old-bundle.pem" "$out/tls.crt" 2>&1)
[ "$v" = "$out/tls.crt: OK" ] && check ok "the renewed certificate verifies against the old bundle" || check FAIL "renewed against old bundle" "$v"
[ "$(mode "$out/ca.key")" = 600 ] && [ "$(mode "$out/tls.key")" = 600 ] && [ "$(mode "$out/tls.crt")" = 644 ] &&
    check ok "modes 0600/0644 under umask 000" || check FAIL "modes under umask 000" "$(mode "$out/tls.key") $(mode "$out/tls.crt")"
expect "default lifetime: valid for 364 more days" openssl x509 -in "$out/tls.crt" -noout -checkend $((364 * 86400))
if sans "$out/tls.crt" | grep -q "localhost"; then
    check FAIL "without --hosts only the Service's names"
else
    check ok "without --hosts only the Service's names"
fi

# A CA (made by openssl, RSA) that ends in 5 days: reused, and the serving
# certificate ends with it.
short=$tmp/short
mkdir -p "$short"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$short/ca.key" -out "$short/ca.crt" \
    -days 5 -subj "/CN=short CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign" >/dev/null 2>&1
"$bin" certs --service s --namespace n --out "$short" --days 90 >/dev/null 2>"$tmp/err3"
rc=$?
ca_end=$(openssl x509 -in "$short/ca.crt" -noout -enddate)
crt_end=$(openssl x509 -in "$short/tls.crt" -noout -enddate 2>/dev/null)
[ $rc -eq 0 ] && [ "$ca_end" = "$crt_end" ] && grep -q "the end of the CA" "$tmp/err3" &&
    check ok "a CA ending first cuts the certificate to its end" || check FAIL "CA ending first" "rc $rc $ca_end / $crt_end: $(cat "$tmp/err3")"
v=$(openssl verify -CAfile "$short/ca.crt" "$short/tls.crt" 2>&1)
[ "$v" = "$short/tls.crt: OK" ] && check ok "an RSA CA from elsewhere signs it" || check FAIL "RSA CA signs" "$v"

# Bad input: one line on stderr, exit 2, nothing written.
bad() { # bad WHAT DIR ARGS...
    local what=$1 dir=$2
    shift 2
    "$bin" certs "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
    local rc=$? lines
    lines=$(wc -l <"$tmp/bad.err")
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/bad.out" ] &&
        { [ -z "$dir" ] || [ ! -e "$dir/tls.crt" ]; }; then
        check ok "bad input: $what: $(cat "$tmp/bad.err")"
    else
        check FAIL "bad input: $what" "rc $rc, $lines lines: $(cat "$tmp/bad.err")"
    fi
}
nd=$tmp/never
bad "no --out" "" --service s --namespace n
bad "no --service" "$nd" --namespace n --out "$nd"
bad "upper-case service" "$nd" --service Web --namespace n --out "$nd"
bad "service starting with a digit" "$nd" --service 1web --namespace n --out "$nd"
bad "namespace with a dot" "$nd" --service s --namespace a.b --out "$nd"
bad "namespace of 64 bytes" "$nd" --service s --namespace "$(printf 'a%.0s' {1..64})" --out "$nd"
bad "empty --hosts item" "$nd" --service s --namespace n --out "$nd" --hosts 'a,,b'
bad "host with a space" "$nd" --service s --namespace n --out "$nd" --hosts 'a b'
bad "host with an underscore" "$nd" --service s --namespace n --out "$nd" --hosts 'a_b.example.com'
bad "--days 0" "$nd" --service s --namespace n --out "$nd" --days 0
bad "--days 3651" "$nd" --service s --namespace n --out "$nd" --days 3651
bad "--days 1x" "$nd" --service s --namespace n --out "$nd" --days 1x
bad "unknown flag" "$nd" --service s --namespace n --out "$nd" --bogus 1
bad "an argument" "$nd" --service s --namespace n --out "$nd" extra
[ ! -e "$nd" ] && check ok "bad input made no directory" || check FAIL "bad input made no directory"

half=$tmp/half
mkdir -p "$half"
cp "$tmp/ca.crt.1" "$half/ca.crt"
bad "ca.crt without ca.key" "$half" --service s --namespace n --out "$half"
cp "$tmp/tls.key.1" "$half/ca.key"
bad "ca.key not the key of ca.crt" "$half" --service s --namespace n --out "$half"
echo garbage >"$half/ca.crt"
bad "ca.crt not PEM" "$half" --service s --namespace n --out "$half"
cp "$tmp/tls.crt.1" "$half/ca.crt"
cp "$tmp/tls.key.1" "$half/ca.key"
bad "ca.crt not a CA" "$half" --service s --namespace n --out "$half"
echo x >"$tmp/file"
bad "--out is a file" "" --service s --namespace n --out "$tmp/file"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
