#!/usr/bin/env bash
# bench.sh - requests/s and latency of /mutate and /validate against the
# floor of the stack.
#
#   BIN=bin/image-policy-webhook BUILD=build/rel hack/bench.sh
#
# Serves with BIN (default config, the example bindings hack/bindings.yaml)
# and with BUILD/tests/bench/floor (libmicrohttpd + TLS + json_loadb, fixed
# answer), both on loopback with dev certificates, and drives each with wrk
# over TLS with keep-alive: POST of each payload (PAYLOADS: a one-container
# Pod recorded from kube-apiserver v1.20, a Pod with init and sidecar
# containers from the integrated registry, a 40-container Deployment) to each
# endpoint (ENDPOINTS) at 4 and 32 connections, DURATION seconds each
# (default 5) after a 1 s warm-up. Prints a table; ratio is requests/s against
# the floor for the same payload and connections. Then runs the in-process
# BUILD/tests/bench/bench_review (ns per review, 10 to 100,000 bindings) and
# BUILD/tests/bench/bench_strmap (the index's hash map under names chosen to
# collide, unkeyed against keyed). MICRO=0 skips both.
# Servers are killed on exit.
#
# With taskset and 2 or more CPUs, the servers run on the upper half of the
# CPUs and wrk on the lower half (PIN=0 turns this off), so that client and
# server do not fight over the same cores and runs are comparable. REPEAT=N
# (default 1) takes N rounds, each running the floor and then the webhook's
# endpoints, and prints medians: of each figure, and of each round's ratio
# to the floor in that same round, so that a slow spell of a shared machine
# falls on both sides of a ratio. Besides requests/s and latency, each row
# has the server's CPU time per request (from /proc/PID/stat) and its
# resident memory right after the row's runs (VmRSS, the largest of the
# rounds), and the ratio's spread over the rounds; the last lines give each
# server's VmRSS and peak (VmHWM) at the end, and the webhook's less the
# floor's.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/bin/image-policy-webhook}
build=${BUILD:-$root/build/rel}
floor=$build/tests/bench/floor
payloads=${PAYLOADS:-"$root/tests/bench/payload-pod.json $root/tests/bench/payload-pod-registry.json $root/tests/bench/payload-deployment-40.json"}
endpoints=${ENDPOINTS:-"mutate validate"}
micro=${MICRO:-1}
duration=${DURATION:-5}
conns_list=${CONNECTIONS:-"4 32"}
pin=${PIN:-1}
repeat=${REPEAT:-1}

die() { echo "bench.sh: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no binary $bin (make, or set BIN)"
[ -x "$floor" ] || die "no floor server $floor (make bench, or set BUILD)"
for payload in $payloads; do
    [ -f "$payload" ] || die "no payload $payload"
done
command -v wrk >/dev/null 2>&1 || die "wrk not found (hack/install-deps.sh)"

tmp=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$root/hack/dev-certs.sh" "$tmp/certs" >/dev/null

ncpu=$(nproc)
server_cpus=
client_cpus=
if [ "$pin" = 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    half=$((ncpu / 2))
    client_cpus=0
    [ "$half" -gt 1 ] && client_cpus=0-$((half - 1))
    server_cpus=$half
    [ $((ncpu - 1)) -gt "$half" ] && server_cpus=$half-$((ncpu - 1))
fi
# Command prefixes (taskset execs the command: $! stays the server's pid).
server_on=()
client_on=()
if [ -n "$server_cpus" ]; then
    server_on=(taskset -c "$server_cpus")
    client_on=(taskset -c "$client_cpus")
fi

# lua PAYLOAD: the wrk script posting it, as $tmp/post.lua.
lua() {
cat >"$tmp/post.lua" <<LUA
local f = assert(io.open("$1", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, */*"
wrk.headers["User-Agent"] = "kube-apiserver-admission"
LUA
}

# start NAME CMD...: run a server on 127.0.0.1:0, set $port from its log.
start() {
    local name=$1 log=$tmp/$1.log
    shift
    "${server_on[@]}" "$@" --tls-cert "$tmp/certs/tls.crt" --tls-key "$tmp/certs/tls.key" \
        --listen 127.0.0.1:0 2>"$log" &
    pids+=($!)
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on https:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$log" >&2; die "$name did not start"; }
    curl -sf --cacert "$tmp/certs/ca.crt" -H 'Content-Type: application/json' \
        --data-binary @"${payloads%% *}" "https://127.0.0.1:$port/mutate?timeout=10s" \
        >"$tmp/$name.answer" || die "$name: POST /mutate failed"
}

# to_ms VALUE: wrk's "1.23ms", "456.00us", "1.02s" in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000
        else if (v ~ /ms$/) n = n
        else if (v ~ /m$/) n = n * 60000
        else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n }'
}

# cpu_ticks PID: user + system CPU time of all its threads, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# mem_kb PID FIELD: VmRSS or VmHWM of the process, in KiB.
mem_kb() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# run NAME PORT PID CONNS: one wrk run; sets rps, p50, p99 and cpu (the
# server's CPU time per request, in microseconds).
run() {
    local name=$1 p=$2 pid=$3 c=$4 out=$tmp/wrk-$1-$4.txt threads bad t0 t1
    threads=$(if [ -n "$client_cpus" ]; then echo $((ncpu / 2)); else echo 2; fi)
    [ "$c" -lt "$threads" ] && threads=$c
    "${client_on[@]}" wrk -t1 -c"$c" -d1s -s "$tmp/post.lua" "https://127.0.0.1:$p/$endpoint?timeout=10s" >/dev/null 2>&1 || true
    t0=$(cpu_ticks "$pid")
    "${client_on[@]}" wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s "$tmp/post.lua" \
        "https://127.0.0.1:$p/$endpoint?timeout=10s" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
    t1=$(cpu_ticks "$pid")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" '/ requests in / { n = $1 }
        END { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-" }' "$out")
    bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
    [ -z "$bad" ] || echo "bench.sh: $name at $c connections: $bad non-2xx answers" >&2
    if grep -q 'Socket errors' "$out"; then
        echo "bench.sh: $name at $c connections: $(grep 'Socket errors' "$out")" >&2
    fi
}

# measure KEY NAME PORT PID CONNS: one run, its figures appended to the
# lines of $tmp/KEY.{rps,p50,p99,cpu,rss}.
measure() {
    local key=$1
    shift
    run "$@"
    echo "$rps" >>"$tmp/$key.rps"
    echo "$p50" >>"$tmp/$key.p50"
    echo "$p99" >>"$tmp/$key.p99"
    echo "$cpu" >>"$tmp/$key.cpu"
    mem_kb "$3" VmRSS >>"$tmp/$key.rss"
}

# max_mb FILE: the largest of the KiB figures, one a line, in MiB.
max_mb() {
    sort -g "$1" | awk '{ v = $1 } END { if (NR) printf "%.1f", v / 1024; else print "-" }'
}

# range FILE: "min-max" of the numbers, one a line, two decimals.
range() {
    sort -g "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END {
        if (NR) printf "%.2f-%.2f", lo, hi; else print "-" }'
}

# median FILE...: the median of the numbers, one a line, in the files.
median() {
    sort -g "$@" | awk '{ v[NR] = $1 } END {
        if (NR == 0) print "-"
        else if (NR % 2) print v[(NR + 1) / 2]
        else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

hz=$(getconf CLK_TCK)
start webhook "$bin" serve --bindings "$root/hack/bindings.yaml"
webhook_port=$port
webhook_pid=${pids[-1]}
start floor "$floor"
floor_port=$port
floor_pid=${pids[-1]}
python3 - "$tmp/webhook.answer" <<'PY' || die "webhook answer is not an AdmissionReview"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["kind"] == "AdmissionReview" and isinstance(a["response"]["allowed"], bool)
PY

cpus="$ncpu CPUs shared"
[ -n "$server_cpus" ] && cpus="servers on CPUs $server_cpus, wrk on CPUs $client_cpus"
echo "${duration}s a run, median of $repeat interleaved rounds, $cpus, wrk over TLS with keep-alive"
echo "cpu_us: the server's CPU time per request (all threads, kernel included)"
echo "rss_mb: the server's VmRSS right after the runs of the row, largest of the rounds"
echo "ratio: the median of each round's requests/s over the floor's in that round"
echo "spread: the lowest and highest of those rounds' ratios"
row='%-22s %-9s %-8s %5s %11s %8s %8s %7s %6s %6s %10s\n'
printf "$row" payload endpoint target conns requests/s p50_ms p99_ms cpu_us rss_mb ratio spread
for payload in $payloads; do
    lua "$payload"
    pname=$(basename "$payload" .json)
    for c in $conns_list; do
        rm -f "$tmp"/*.rps "$tmp"/*.p50 "$tmp"/*.p99 "$tmp"/*.cpu "$tmp"/*.rss "$tmp"/*.ratio
        # Rounds take floor and webhook in turn, so that a slow spell of a
        # shared machine falls on both; the floor answers the same whatever
        # the path, so it is measured once a round.
        for _ in $(seq "$repeat"); do
            endpoint=mutate
            measure floor floor "$floor_port" "$floor_pid" "$c"
            f_rps=$rps
            for endpoint in $endpoints; do
                measure "$endpoint" webhook "$webhook_port" "$webhook_pid" "$c"
                awk -v a="$rps" -v b="$f_rps" 'BEGIN { if (b > 0) printf "%.4f\n", a / b }' \
                    >>"$tmp/$endpoint.ratio"
            done
        done
        printf "$row" "$pname" any floor "$c" "$(median "$tmp/floor.rps")" \
            "$(median "$tmp/floor.p50")" "$(median "$tmp/floor.p99")" \
            "$(median "$tmp/floor.cpu")" "$(max_mb "$tmp/floor.rss")" 1.00 -
        for endpoint in $endpoints; do
            printf "$row" "$pname" "$endpoint" webhook "$c" "$(median "$tmp/$endpoint.rps")" \
                "$(median "$tmp/$endpoint.p50")" "$(median "$tmp/$endpoint.p99")" \
                "$(median "$tmp/$endpoint.cpu")" "$(max_mb "$tmp/$endpoint.rss")" \
                "$(awk '{ printf "%.2f", $1 }' <<<"$(median "$tmp/$endpoint.ratio")")" \
                "$(range "$tmp/$endpoint.ratio")"
        done
    done
done
echo
w_rss=$(mem_kb "$webhook_pid" VmRSS) w_hwm=$(mem_kb "$webhook_pid" VmHWM)
f_rss=$(mem_kb "$floor_pid" VmRSS) f_hwm=$(mem_kb "$floor_pid" VmHWM)
awk -v wr="$w_rss" -v wh="$w_hwm" -v fr="$f_rss" -v fh="$f_hwm" 'BEGIN {
    printf "resident at the end (MiB): webhook %.1f (peak %.1f), floor %.1f (peak %.1f)\n", wr / 1024, wh / 1024, fr / 1024, fh / 1024
    printf "webhook less floor: %+.1f MiB resident, %+.1f MiB at the peak\n", (wr - fr) / 1024, (wh - fh) / 1024 }'

if [ "$micro" = 1 ] && [ -x "$build/tests/bench/bench_review" ]; then
    echo
    echo "in-process review (parse, decide, serialise), best of 5 interleaved rounds:"
    (cd "$root" && "${server_on[@]}" "$build/tests/bench/bench_review" "${MICRO_ITERATIONS:-4000}")
fi

if [ "$micro" = 1 ] && [ -x "$build/tests/bench/bench_strmap" ]; then
    echo
    echo "the index's hash map, 100,000 RoleBinding names chosen to collide under the old unkeyed hash against 100,000 random ones (about 35 s: the old map loads the colliding names in quadratic time):"
    "${server_on[@]}" "$build/tests/bench/bench_strmap"
fi
