#!/usr/bin/env bash
# install-deps.sh - install the Debian packages the build, tests and tools need.
#
#   hack/install-deps.sh [--check] [--image]
#
# Idempotent: with --check it only installs when something is missing.
# --image: what `make image` and `make image-test` need instead (podman,
# runc, debootstrap for the base image, kubectl and PyYAML to read
# manifests/); the C toolchain and libraries are then the build stage's.
set -euo pipefail

check=0 image=0
for arg in "$@"; do
    case $arg in
    --check) check=1 ;;
    --image) image=1 ;;
    *)
        echo "install-deps.sh: unknown argument $arg (usage: hack/install-deps.sh [--check] [--image])" >&2
        exit 2
        ;;
    esac
done

pkgs=(build-essential pkg-config clang clang-format
      libmicrohttpd-dev libjansson-dev libyaml-dev libcmocka-dev
      libssl-dev libgnutls28-dev libcurl4-openssl-dev
      openssl curl wrk python3 python3-yaml valgrind)
# kubectl renders manifests/ (kubectl kustomize). It is usually there
# already (a newer one than Debian's): only when none is found is Debian's
# kubernetes-client installed, since both ship /usr/bin/kubectl.
command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)
# promtool checks the /metrics text (tests/metrics_test.py); Debian ships it
# in the prometheus package, installed only when no promtool is found.
command -v promtool >/dev/null 2>&1 || pkgs+=(prometheus)

missing() {
    local lib
    for lib in libmicrohttpd jansson yaml-0.1 cmocka openssl gnutls libcurl; do
        pkg-config --exists "$lib" 2>/dev/null || return 0
    done
    local cmd
    for cmd in cc clang clang-format openssl curl wrk python3 valgrind kubectl \
        promtool; do
        command -v "$cmd" >/dev/null 2>&1 || return 0
    done
    # PyYAML for tests/manifests_test.py: the python3 on PATH, or Debian's.
    python3 -c 'import yaml' 2>/dev/null ||
        /usr/bin/python3 -c 'import yaml' 2>/dev/null || return 0
    return 1
}

# --image: the container tools. podman runs its containers with runc
# (hack/containers.conf); debootstrap makes the Debian base where no
# registry answers (hack/base-image.sh).
if [ "$image" -eq 1 ]; then
    pkgs=(podman runc debootstrap debian-archive-keyring python3 python3-yaml)
    command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)
    missing() {
        local cmd
        for cmd in podman runc debootstrap python3 kubectl; do
            command -v "$cmd" >/dev/null 2>&1 || return 0
        done
        [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || return 0
        python3 -c 'import yaml' 2>/dev/null || return 0
        return 1
    }
fi

if [ "$check" -eq 1 ] && ! missing; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run as root (apt-get install)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${pkgs[@]}"
