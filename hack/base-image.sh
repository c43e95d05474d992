#!/usr/bin/env bash
# base-image.sh - put the Containerfile's base image into local storage, made from Debian's packages when it cannot be pulled.
#
#   hack/base-image.sh [--rebuild] [CONTAINERFILE]
#
# The base is the image the Containerfile's stages start FROM (scratch
# aside): docker.io/library/debian:12. When local storage has it, nothing
# is done (--rebuild makes it anew). Else it is pulled; where no registry
# answers, it is made with `debootstrap --variant=minbase bookworm` from the
# mirror this machine's apt uses (the URIs of the bookworm entry in
# /etc/apt/sources.list.d/debian.sources, or of /etc/apt/sources.list),
# with that same sources file inside and no package lists, imported with
# `podman import` and tagged with the Containerfile's name, so that
# `podman build --pull=never` builds the Containerfile unchanged. About a
# minute; root only (debootstrap). Set CONTAINERS_CONF as for podman.
set -euo pipefail

die() {
    echo "base-image.sh: $1" >&2
    exit "${2:-1}"
}

rebuild=0
if [ "${1:-}" = "--rebuild" ]; then
    rebuild=1
    shift
fi
[ $# -le 1 ] || die "usage: hack/base-image.sh [--rebuild] [CONTAINERFILE]" 2
containerfile=${1:-$(dirname "$0")/../Containerfile}
[ -f "$containerfile" ] || die "$containerfile: no such file" 2
command -v podman >/dev/null 2>&1 || die "podman not found (hack/install-deps.sh --image)" 2

# The images named by FROM, neither scratch nor an earlier stage.
bases=$(awk 'toupper($1) == "FROM" {
        img = $2; for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break }
        if (img != "scratch" && !(img in stage)) print img
        for (i = 1; i < NF; i++) if (toupper($i) == "AS") stage[$(i + 1)] = 1
    }' "$containerfile" | sort -u)
[ -n "$bases" ] || die "$containerfile: no base image (FROM) found" 2
for base in $bases; do
    case $base in
    docker.io/library/debian:12 | debian:12 | library/debian:12) ;;
    *) die "$containerfile: base $base: only debian:12 (bookworm) can be made here" 2 ;;
    esac
done

have() { podman image exists "$1"; }

missing=
for base in $bases; do
    if [ "$rebuild" -eq 1 ] || ! have "$base"; then
        missing="$missing $base"
    fi
done
[ -n "$missing" ] || exit 0

if [ "$rebuild" -eq 0 ]; then
    for base in $missing; do
        if timeout 300 podman pull -q "$base" >/dev/null 2>&1; then
            echo "base-image.sh: pulled $base" >&2
            missing=${missing/ $base/}
        fi
    done
    [ -n "$missing" ] || exit 0
fi

# No registry: debootstrap from the configured mirror.
[ "$(id -u)" -eq 0 ] || die "making the base image needs root (debootstrap)" 2
command -v debootstrap >/dev/null 2>&1 ||
    die "debootstrap not found (hack/install-deps.sh --image)" 2
suite=bookworm
sources=/etc/apt/sources.list.d/debian.sources
mirror='' keyring='' inside=$sources
if [ -f "$sources" ]; then
    # deb822: the first stanza of type deb whose Suites has exactly $suite.
    read -r mirror keyring < <(awk -v suite="$suite" '
        function flush() {
            if (!found && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ")) {
                split(uris, u, " "); print u[1], signed; found = 1
            }
            types = suites = uris = signed = ""
        }
        /^[ \t]*$/ { flush(); next }
        /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
        /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
        /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
        /^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); signed = $0 }
        END { flush() }' "$sources") || true
else
    sources=/etc/apt/sources.list
    inside=$sources
    [ -f "$sources" ] || die "no apt sources (/etc/apt/sources.list.d/debian.sources or $sources)"
    mirror=$(sed -n 's/^deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?//p' "$sources" |
        awk -v suite="$suite" '$2 == suite { print $1; exit }')
fi
[ -n "$mirror" ] || die "$sources: no deb entry for $suite: cannot tell which mirror to use"
keyopt=()
if [ -n "${keyring:-}" ] && [ -f "$keyring" ]; then
    keyopt=(--keyring="$keyring")
fi

rootfs=$(mktemp -d /var/tmp/ipw-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
t0=$SECONDS
echo "base-image.sh: debootstrap --variant=minbase $suite from $mirror" >&2
if ! debootstrap --variant=minbase "${keyopt[@]}" "$suite" "$rootfs/root" "$mirror" \
    >"$rootfs/debootstrap.log" 2>&1; then
    tail -n 20 "$rootfs/debootstrap.log" >&2
    die "debootstrap failed"
fi
r=$rootfs/root
# The machine's sources (updates and security too), no package lists: the
# build stage runs apt-get update as it would on Docker Hub's image.
rm -f "$r/etc/apt/sources.list"
cp "$sources" "$r$inside"
rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin \
    "$r"/var/cache/apt/archives/*.deb "$r"/var/log/* "$r"/tmp/*
tag=localhost/debian:$suite
tar --numeric-owner -C "$r" -c . |
    podman import -q --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
for base in $missing; do
    podman tag "$tag" "$base"
done
echo "base-image.sh: made$missing from $suite in $((SECONDS - t0)) s" >&2
