# image-policy-webhook - build, test, run.
#
#   make               build bin/image-policy-webhook
#   make test          install missing deps, build, run every test
#   make e2e-cluster   the same binary against a real kube-apiserver (slow once)
#   make image         the container image (podman), IMAGE=localhost/...:VERSION
#   make image-test    that image run as manifests/ runs it
#   make run           install missing deps, build, dev certs, serve on :8443
#   make SANITIZE=address,undefined test   the same under ASan and UBSan
#   make bench, make bench-kube   figures: requests/s, resident memory
#   make soak          10 minutes of load while everything changes (not in test)
#   make format-check  fail on any clang-format difference

CC      ?= cc
SANITIZE ?=

WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wvla
CFLAGS  ?= -O2 -g
CFLAGS  += $(WARN) -D_POSIX_C_SOURCE=200809L -MMD -MP -Ipolicy -Ilib -Iwebhook -Icerts

comma   := ,
ifneq ($(SANITIZE),)
# One tree a set of sanitizers: objects of address and of thread never mix.
BUILD   := build/san-$(subst $(comma),-,$(SANITIZE))
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
BIN     := $(BUILD)/bin/image-policy-webhook
else
BUILD   := build/rel
BIN     := bin/image-policy-webhook
endif

# policy/ sees jansson only: any other include or library there fails to build.
POLICY_CFLAGS := $(shell pkg-config --cflags jansson)
# libcurl and libcrypto give their headers but are not linked: the program
# loads them on first use (below).
LINK_PKGS     := libmicrohttpd jansson yaml-0.1 gnutls
DLOPEN_PKGS   := libcurl libcrypto
APP_CFLAGS    := $(shell pkg-config --cflags $(LINK_PKGS) $(DLOPEN_PKGS) 2>/dev/null)
APP_LIBS      := $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -lpthread
TEST_LIBS     := $(shell pkg-config --libs cmocka 2>/dev/null)

# webhook/curlfn.c (the Kubernetes API client, --kube) and certs/cryptofn.c
# (the certs command) dlopen libcurl and libcrypto the first time they are
# needed, so that serve without --kube never maps them nor what they need.
# They ask for the soname of the development library compiled against, read
# here and written nowhere by hand; $(BIN).dlopen lists them, one a line,
# for hack/image-rootfs.sh to put them in the image.
soname = $(shell readelf -d "$$(pkg-config --variable=libdir $(1))/$(1).so" \
	2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
CURL_SONAME   := $(call soname,libcurl)
CRYPTO_SONAME := $(call soname,libcrypto)
DLOPEN_LIST   := $(BIN).dlopen

POLICY_SRC  := $(wildcard policy/*.c)
# The command line (main.c, cli.c, cmd_*.c) links into the program only.
CMD_SRC     := webhook/main.c webhook/cli.c $(wildcard webhook/cmd_*.c)
APP_SRC     := $(filter-out $(CMD_SRC),$(wildcard lib/*.c webhook/*.c certs/*.c))
TEST_SRC    := $(wildcard tests/test_*.c)

POLICY_OBJ  := $(POLICY_SRC:%.c=$(BUILD)/%.o)
APP_OBJ     := $(APP_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ    := $(CMD_SRC:%.c=$(BUILD)/%.o)
TEST_BIN    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# Tests of webhook/ modules link the process code too; policy tests do not.
APP_TESTS   := $(BUILD)/tests/test_yamljson $(BUILD)/tests/test_review \
               $(BUILD)/tests/test_jsonarena $(BUILD)/tests/test_log \
               $(BUILD)/tests/test_kubeconfig $(BUILD)/tests/test_metrics \
               $(BUILD)/tests/test_record $(BUILD)/tests/test_certgen \
               $(BUILD)/tests/test_lograte $(BUILD)/tests/test_readfile \
               $(BUILD)/tests/test_body $(BUILD)/tests/test_listen \
               $(BUILD)/tests/test_monotime $(BUILD)/tests/test_dynlib
BENCH_SRC   := $(wildcard tests/bench/*.c)
BENCH_BIN   := $(BENCH_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all test unit fixtures cli audit-cli e2e sighup valgrind run deps format format-check clean bench
all: $(BIN) $(DLOPEN_LIST)

deps:
	@hack/install-deps.sh --check

$(BUILD)/policy/%.o: policy/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(POLICY_CFLAGS) -c $< -o $@

$(BUILD)/webhook/%.o $(BUILD)/certs/%.o $(BUILD)/tests/%.o: CFLAGS += $(APP_CFLAGS)

# The version in /metrics (build_info): git describe, else "unknown";
# metrics.o is rebuilt when it changes.
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/version: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/webhook/metrics.o: $(BUILD)/version
$(BUILD)/webhook/metrics.o: CFLAGS += -DIPW_VERSION='"$(VERSION)"'
.PHONY: FORCE
FORCE:
# Rewritten only when a soname changed; the loaders are rebuilt then.
$(DLOPEN_LIST): FORCE
	@mkdir -p $(@D)
	@test -n '$(CURL_SONAME)' -a -n '$(CRYPTO_SONAME)' || { echo \
	    "no soname for libcurl or libcrypto (readelf -d of pkg-config's libdir)" >&2; exit 1; }
	@printf '%s\n' $(CURL_SONAME) $(CRYPTO_SONAME) | cmp -s - $@ || \
	    printf '%s\n' $(CURL_SONAME) $(CRYPTO_SONAME) > $@
$(BUILD)/webhook/curlfn.o $(BUILD)/certs/cryptofn.o: $(DLOPEN_LIST)
$(BUILD)/webhook/curlfn.o: CFLAGS += -DCURLFN_SONAME='"$(CURL_SONAME)"'
$(BUILD)/certs/cryptofn.o: CFLAGS += -DCRYPTOFN_SONAME='"$(CRYPTO_SONAME)"'
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(MAIN_OBJ) $(APP_OBJ) $(POLICY_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(APP_LIBS)

$(APP_TESTS): $(APP_OBJ)
# test_certgen reads what certgen wrote with OpenSSL itself.
$(BUILD)/tests/test_certgen: TEST_LIBS += $(shell pkg-config --libs libcrypto 2>/dev/null)
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(POLICY_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(APP_LIBS) $(TEST_LIBS)

# Benchmarks: each tests/bench/X.c is one program over policy/ and webhook/;
# the floor is libmicrohttpd (over GnuTLS) and jansson alone.
$(BUILD)/tests/bench/floor: $(BUILD)/tests/bench/floor.o
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libmicrohttpd jansson) -lpthread
$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(APP_OBJ) $(POLICY_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(APP_LIBS)

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

# Case directories (tests/fixtures/rbac and configs hold what cases name).
FIXTURE_DIRS := tests/fixtures/cases $(wildcard tests/fixtures/apiserver-*)
fixtures: $(BIN)
	$(BIN) test $(FIXTURE_DIRS)

e2e: $(BIN)
	BIN=$(BIN) tests/e2e.sh

# The end-to-end test with the server under valgrind: no error, no leak.
VALGRIND := valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99
valgrind: $(BIN)
	WRAP="$(VALGRIND)" BIN=$(BIN) tests/e2e.sh

# The soak test, not part of `make test`: SOAK_SECONDS of load on both
# endpoints while the certificate rotates, SIGHUP reloads, the stub API
# server fails and recordings rotate (loopback only, bounded by an alarm).
# Under the sanitizers: `make SANITIZE=address,undefined soak SOAK_SECONDS=60`
# (or BIN=build/san-address-undefined/bin/image-policy-webhook); under valgrind: `make
# soak-valgrind` (120 s at 50 requests a second, which valgrind's one
# thread at a time lets the recording keep up with). A BIN given on the
# command line is run as it is, never rebuilt from other objects.
SOAK_SECONDS ?= 600
SOAK_RATE ?= 400
SOAK_BIN := $(if $(filter command line,$(origin BIN)),,$(BIN))
.PHONY: soak soak-valgrind
soak: $(SOAK_BIN)
	WRAP="$(WRAP)" BIN=$(BIN) SOAK_SECONDS=$(SOAK_SECONDS) SOAK_RATE=$(SOAK_RATE) \
	python3 tests/soak_test.py
soak-valgrind: SOAK_SECONDS = 120
soak-valgrind: SOAK_RATE = 50
soak-valgrind: $(SOAK_BIN)
	WRAP="$(VALGRIND)" BIN=$(BIN) SOAK_SECONDS=$(SOAK_SECONDS) SOAK_RATE=$(SOAK_RATE) \
	python3 tests/soak_test.py

# The command line: exit codes and one-line errors.
cli: $(BIN)
	BIN=$(BIN) tests/cli_test.sh

# audit over tests/fixtures/audit and can-pull over a bindings file.
audit-cli: $(BIN)
	BIN=$(BIN) python3 tests/audit_cli_test.py

# SIGHUP reloads config and bindings under load, no request failing.
sighup: $(BIN)
	BIN=$(BIN) tests/sighup_test.py

# serve --kube against tests/kube_stub.py (loopback only, bounded in time).
.PHONY: kube
kube: $(BIN)
	BIN=$(BIN) python3 tests/kube_test.py

# Operability, loopback only, each bounded in time: /metrics (promtool and
# a strict parser), JSON logs, serve --record-dir then test, SIGTERM under load.
.PHONY: ops metrics-test logs-test record-test shutdown-test
metrics-test: $(BIN)
	BIN=$(BIN) python3 tests/metrics_test.py
logs-test: $(BIN)
	BIN=$(BIN) python3 tests/logs_test.py
record-test: $(BIN)
	BIN=$(BIN) python3 tests/record_test.py
shutdown-test: $(BIN)
	BIN=$(BIN) python3 tests/shutdown_test.py
ops: $(BIN)
	BIN=$(BIN) python3 tests/metrics_test.py
	BIN=$(BIN) python3 tests/logs_test.py
	BIN=$(BIN) python3 tests/record_test.py
	BIN=$(BIN) python3 tests/shutdown_test.py

# Certificates and deployment, loopback only, each bounded in time: the
# certs command checked with openssl, reload under load through a ..data
# swap, mTLS at the handshake, manifests/ rendered by kubectl kustomize.
.PHONY: certs-test
certs-test: $(BIN)
	BIN=$(BIN) tests/certs_test.sh
	BIN=$(BIN) tests/reload_test.sh
	BIN=$(BIN) tests/mtls_test.sh
	BIN=$(BIN) tests/manifests_test.sh

# The container image, built with podman from the Containerfile. Where no
# registry answers, hack/base-image.sh makes its Debian base with debootstrap
# from the mirror apt uses, so the Containerfile builds unchanged
# (--pull=never: the base is local by then). hack/containers.conf holds the
# two settings some VMs need (runc, ulimits) without touching the machine's.
# `make image-test` runs the image as the manifests' Deployment would
# (tests/image_test.py); `make -s image-name` prints the tag.
IMAGE       ?= localhost/image-policy-webhook:$(VERSION)
PODMAN_ENV  := CONTAINERS_CONF=$(CURDIR)/hack/containers.conf
.PHONY: image image-test image-name
image:
	@hack/install-deps.sh --check --image
	$(PODMAN_ENV) hack/base-image.sh Containerfile
	$(PODMAN_ENV) podman build --pull=never --network=host \
		--build-arg VERSION='$(VERSION)' -t '$(IMAGE)' -f Containerfile .
image-test: image
	$(PODMAN_ENV) IMAGE='$(IMAGE)' VERSION='$(VERSION)' python3 tests/image_test.py
image-name:
	@echo '$(IMAGE)'

# A real control plane on loopback (hack/kube-cluster.sh: etcd,
# kube-apiserver and kube-controller-manager v1.20 from Debian's source
# package, built once and cached under /var/cache/image-policy-webhook) and
# tests/cluster_test.py's scenarios through it with kubectl; bounded in time,
# every process stopped by its PID. Not part of `make test`. With
# WEBHOOK_IMAGE=REF (e.g. `make -s image-name`) the webhook runs from that
# image (podman run) instead of the binary.
WEBHOOK_IMAGE ?=
.PHONY: e2e-cluster
e2e-cluster: deps
	hack/kube-cluster.sh install --check
	hack/kube-cluster.sh build >/dev/null
	$(MAKE) all
	$(if $(WEBHOOK_IMAGE),$(PODMAN_ENV) WEBHOOK_IMAGE='$(WEBHOOK_IMAGE)') \
		BIN=$(BIN) python3 tests/cluster_test.py

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) fixtures
	$(MAKE) cli
	$(MAKE) audit-cli
	$(MAKE) e2e
	$(MAKE) ops
	$(MAKE) sighup
	$(MAKE) kube
	$(MAKE) certs-test

run: deps
	$(MAKE) all
	hack/run.sh $(BIN)

bench: deps all $(BENCH_BIN)
	BIN=$(BIN) BUILD=$(BUILD) hack/bench.sh

# Resident memory of serve --kube with 21,000 RBAC objects indexed, from the
# initial list and from watch events (tests/kube_stub.py; about a minute).
.PHONY: bench-kube
bench-kube: deps all
	BIN=$(BIN) python3 tests/bench/kube_memory.py

# libFuzzer targets (clang): tests/fuzz/fuzz_X.c over policy/, the YAML
# reader (with lib/readfile.c, which it calls) and the JSON arena, each run
# FUZZ_SECONDS by `make fuzz`.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_CFLAGS  := -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -Ipolicy -Ilib -Iwebhook \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(POLICY_SRC) webhook/yamljson.c \
                      lib/readfile.c webhook/jsonarena.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(shell pkg-config --cflags jansson yaml-0.1) -o $@ $^ \
		$(shell pkg-config --libs jansson yaml-0.1)
.PHONY: fuzz
fuzz: deps $(FUZZ_BIN)
	hack/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BUILD) $(FUZZ_BIN)

FORMAT_SRC = $(wildcard policy/*.[ch] lib/*.[ch] webhook/*.[ch] certs/*.[ch] tests/*.[ch] tests/*/*.[ch])
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
