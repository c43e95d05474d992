# lib.sh - shared by the shell tests: argument and tool checks, a temporary
# directory, process cleanup, checks with counters, and the port a server
# logs. Source it, then call lib_init; the test defines its own finish.
#
#   root=$(cd "$(dirname "$0")/.." && pwd)
#   . "$root/tests/lib.sh"
#   lib_init python3 openssl    # BIN must name the binary; tools it needs

lib_name=${0##*/}
passed=0
failed=0
pid=
lib_pids=

# lib_init TOOL...: check BIN and the tools; make $tmp; set $bin; clean up
# at exit (kill $pid and every tracked process, remove $tmp).
lib_init() {
    bin=${BIN:-}
    [ -n "$bin" ] || { echo "$lib_name: set BIN to the image-policy-webhook binary" >&2; exit 2; }
    [ -x "$bin" ] || { echo "$lib_name: $bin is not an executable" >&2; exit 2; }
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || { echo "$lib_name: $c needed" >&2; exit 2; }
    done
    tmp=$(mktemp -d)
    trap lib_cleanup EXIT
    trap 'exit 130' INT TERM
}

# track PID: kill it too at exit if it still runs.
track() {
    lib_pids="$lib_pids $1"
}

lib_cleanup() {
    local p
    for p in $pid $lib_pids; do
        if kill -0 "$p" 2>/dev/null; then
            kill -KILL "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    rm -rf "$tmp"
}

check() { # check ok|FAIL WHAT [DETAIL]
    if [ "$1" = ok ]; then
        passed=$((passed + 1))
        echo "ok   $2"
    else
        failed=$((failed + 1))
        echo "FAIL $2${3:+: $3}"
    fi
}

# listen_port LOG SCHEME PID: print the port of the first "listening on
# SCHEME://127.0.0.1:PORT" line of LOG, waiting up to 30 s while PID lives.
# Fails when none comes.
listen_port() {
    local p
    for _ in $(seq 300); do
        p=$(sed -n "s/.*listening on $2:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
