#!/usr/bin/env bash
# image-rootfs.sh - the runtime image's whole tree: the programs, the shared libraries they load, the files those read, a user.
#
#   hack/image-rootfs.sh [--dlopen LIST] ROOTFS USER:GROUP SRC[=DEST]...
#
# Run in the Containerfile's build stage. Each SRC is installed at DEST
# (default: SRC's own path), with the libraries ldd resolves for it (every
# one it needs, theirs included) at the paths ldd prints, and its program
# interpreter (readelf's PT_INTERP) at exactly that path. LIST names, one a
# line, the libraries the first SRC loads with dlopen() when it first needs
# them, which ldd cannot see (the Makefile writes it beside the binary:
# bin/image-policy-webhook.dlopen, libcurl and libcrypto); each is resolved
# by its soname as that program's loader finds it (ldd with LD_PRELOAD) and
# installed the same way, with the libraries it needs. Then the files
# those libraries read at run time, where the build stage has them (strace
# of serve and serve --kube): OpenSSL's openssl.cnf (libcurl initialises
# OpenSSL), GnuTLS's system configuration (/etc/gnutls/config, which
# Debian does not ship); /etc/nsswitch.conf (hosts: files, then DNS, for
# libcurl's resolver); and /etc/passwd and /etc/group with the one numeric
# user and group. No shell, no package manager, nothing else. Last it runs
# each program's --help in ROOTFS with chroot (no ld.so.cache there: the loader's
# default directories), and has the interpreter there list each LIST library
# as the first program would load it (--preload SONAME --list), so a missing
# library fails the build, not the pod (nor its first --kube or certs).
# Bad input: one line, exit 2.
set -euo pipefail

die() {
    echo "image-rootfs.sh: $1" >&2
    exit "${2:-1}"
}

usage="usage: hack/image-rootfs.sh [--dlopen LIST] ROOTFS USER:GROUP SRC[=DEST]..."
sonames=()
if [ "${1-}" = --dlopen ]; then
    [ $# -ge 2 ] || die "$usage" 2
    [ -f "$2" ] || die "$2: no such file (make all writes it beside the binary)" 2
    while read -r soname; do
        case $soname in
        '') ;;
        lib*.so.*[0-9]) sonames+=("$soname") ;;
        *) die "$2: $soname: want a soname (libX.so.N)" 2 ;;
        esac
    done <"$2"
    [ ${#sonames[@]} -gt 0 ] || die "$2: no soname in it" 2
    shift 2
fi
[ $# -ge 3 ] || die "$usage" 2
rootfs=$1
ids=$2
shift 2
case $ids in
[0-9]*:[0-9]*) ;;
*) die "$ids: want numeric USER:GROUP" 2 ;;
esac
uid=${ids%%:*} gid=${ids#*:}
case $uid$gid in
*[!0-9]*) die "$ids: want numeric USER:GROUP" 2 ;;
esac
[ "$uid" -ne 0 ] || die "$ids: the user must not be root" 2
[ ! -e "$rootfs" ] || die "$rootfs exists: want a new directory" 2
for cmd in ldd readelf chroot; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found" 2
done

# put SRC DEST MODE: a copy of SRC (symlinks followed) at ROOTFS/DEST.
put() {
    mkdir -p "$rootfs$(dirname "$2")"
    cp -L "$1" "$rootfs$2"
    chmod "$3" "$rootfs$2"
}

mkdir -p "$rootfs"
progs=()
for arg in "$@"; do
    src=${arg%%=*}
    dest=${arg#*=}
    if [ ! -f "$src" ] || [ ! -x "$src" ]; then
        die "$src: not an executable file" 2
    fi
    case $dest in
    /*) ;;
    *) die "$dest: want an absolute path inside the image" 2 ;;
    esac
    put "$src" "$dest" 0755
    progs+=("$dest")
    interp=$(readelf -l "$src" | sed -n 's/.*Requesting program interpreter: \([^]]*\)].*/\1/p')
    [ -n "$interp" ] || die "$src: no program interpreter (static?): nothing to resolve"
    [ -e "$rootfs$interp" ] || put "$interp" "$interp" 0755
    # "libX.so.N => /path (0x...)": the library; "not found": fail.
    if ldd "$src" | grep -q 'not found'; then
        ldd "$src" >&2
        die "$src: a library is not found"
    fi
    for lib in $(ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
        [ -e "$rootfs$lib" ] || put "$lib" "$lib" 0644
    done
    # The first program's dlopen() libraries, found as its loader would.
    if [ ${#progs[@]} = 1 ]; then
        for soname in "${sonames[@]}"; do
            out=$(LD_PRELOAD=$soname ldd "$src" 2>&1)
            if ! awk -v n="$soname" '$1 == n && $2 == "=>" && $3 ~ /^\// { f = 1 } END { exit !f }' <<<"$out" ||
                grep -q 'not found' <<<"$out"; then
                echo "$out" >&2
                die "$soname (dlopen'd by $src), or a library it needs, is not found"
            fi
            for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$out"); do
                [ -e "$rootfs$lib" ] || put "$lib" "$lib" 0644
            done
        done
        first_interp=$interp
    fi
done

# Configuration the libraries read, where this system has it.
for f in /usr/lib/ssl/openssl.cnf /etc/gnutls/config; do
    if [ -e "$f" ]; then
        put "$f" "$f" 0644
    fi
done
mkdir -p "$rootfs/etc"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
printf 'nonroot:x:%s:%s:nonroot:/nonexistent:/sbin/nologin\n' "$uid" "$gid" \
    >"$rootfs/etc/passwd"
printf 'nonroot:x:%s:\n' "$gid" >"$rootfs/etc/group"
chmod 0644 "$rootfs"/etc/nsswitch.conf "$rootfs"/etc/passwd "$rootfs"/etc/group
find "$rootfs" -type d -exec chmod 0755 {} +
chown -R 0:0 "$rootfs"

for p in "${progs[@]}"; do
    chroot "$rootfs" "$p" --help >/dev/null || die "$p does not run in $rootfs"
done
# The loader in ROOTFS finds each dlopen() library and all it needs.
for soname in "${sonames[@]}"; do
    out=$(chroot "$rootfs" "$first_interp" --preload "$soname" --list "${progs[0]}" 2>&1) || true
    if ! awk -v n="$soname" '$1 == n && $2 == "=>" && $3 ~ /^\// { f = 1 } END { exit !f }' <<<"$out" ||
        grep -q 'not found' <<<"$out"; then
        echo "$out" >&2
        die "$soname, or a library it needs, is not found in $rootfs"
    fi
done
echo "image-rootfs.sh: $(find "$rootfs" -type f | wc -l) files," \
    "$(du -sk "$rootfs" | cut -f1) KiB in $rootfs" >&2
