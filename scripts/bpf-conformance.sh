#!/usr/bin/env bash
# bpf-conformance.sh: run the BPF ISA conformance suite
# (github.com/Alan-Jowett/bpf_conformance) on schedsim's engines and print
# pass/fail counts per engine and the tests that did not pass.
#
#   scripts/bpf-conformance.sh --suite DIR [--engine jit|interp|both]
#       [--runner PATH | --build-runner | --driver] [--all-groups] [--elf]
#
#   --suite DIR      a checkout of the suite (its tests/*.data are run)
#   --engine E       jit, interp or both (default both)
#   --runner PATH    the suite's bpf_conformance_runner (default:
#                    DIR/build/bin/bpf_conformance_runner when it exists)
#   --build-runner   configure and build the runner in DIR/build first
#                    (cmake, a C++20 compiler, libboost-dev,
#                    libboost-{filesystem,program-options}-dev, and the
#                    external/elfio submodule)
#   --driver         use our Go driver (cmd/bpf-conformance) even when a
#                    runner exists; it is used anyway when none does
#   --all-groups     include the suite's non-default groups (callx,
#                    packet), which the runner otherwise skips and our
#                    driver reports as not applicable
#   --elf            (runner only) pass each program as an ELF object
#                    (the runner's --elf true; the plugin runs "main")
#
# Either way every test goes through "schedsim exec --plugin" in a
# process of its own (scripts/bpf-conformance-plugin.sh), the plugin
# contract of the suite. The runner runs CPU version v4 tests (RFC 9669:
# v4 adds sdiv/smod, movsx, ldxs*, bswap, ja32). Nothing of the suite is
# committed; results go in docs/isa-conformance.md.
set -euo pipefail

SUITE= ENGINE=both RUNNER= BUILD=0 DRIVER=0 ALL=0 ELF=0
while [ $# -gt 0 ]; do
	case "$1" in
	--suite) SUITE=$2; shift 2 ;;
	--engine) ENGINE=$2; shift 2 ;;
	--runner) RUNNER=$2; shift 2 ;;
	--build-runner) BUILD=1; shift ;;
	--driver) DRIVER=1; shift ;;
	--all-groups) ALL=1; shift ;;
	--elf) ELF=1; shift ;;
	-h|--help) sed -n '2,29p' "$0"; exit 0 ;;
	*) echo "bpf-conformance.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
[ -n "$SUITE" ] || { echo "bpf-conformance.sh: --suite DIR is required" >&2; exit 2; }
[ -d "$SUITE/tests" ] || { echo "bpf-conformance.sh: $SUITE/tests: no such directory (expected a bpf_conformance checkout)" >&2; exit 2; }
case "$ENGINE" in
both) ENGINES="interp jit" ;;
jit|interp) ENGINES=$ENGINE ;;
*) echo "bpf-conformance.sh: --engine $ENGINE: expected jit, interp or both" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUITE=$(cd "$SUITE" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ "$BUILD" = 1 ]; then
	cmake -S "$SUITE" -B "$SUITE/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$SUITE/build" --target bpf_conformance_runner -j2 >/dev/null
fi
if [ -z "$RUNNER" ] && [ -x "$SUITE/build/bin/bpf_conformance_runner" ]; then
	RUNNER=$SUITE/build/bin/bpf_conformance_runner
fi
[ "$DRIVER" = 1 ] && RUNNER=
if [ "$ELF" = 1 ] && [ -z "$RUNNER" ]; then
	echo "bpf-conformance.sh: --elf needs the suite's runner (--runner PATH or --build-runner)" >&2
	exit 2
fi

(cd "$ROOT" && go build -o "$TMP/schedsim" ./cmd/schedsim)
export SCHEDSIM=$TMP/schedsim
PLUGIN=$ROOT/scripts/bpf-conformance-plugin.sh
echo "suite: $SUITE (commit $(git -C "$SUITE" rev-parse --short=12 HEAD 2>/dev/null || echo unknown))"
echo "schedsim: commit $(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"

status=0
for e in $ENGINES; do
	if [ -n "$RUNNER" ]; then
		groups=()
		[ "$ALL" = 1 ] && groups=(--include_groups callx packet)
		[ "$ELF" = 1 ] && groups+=(--elf true)
		out=$TMP/runner-$e.txt
		"$RUNNER" --test_file_directory "$SUITE/tests" --plugin_path "$PLUGIN" \
			--plugin_options "--engine $e" --cpu_version v4 "${groups[@]}" >"$out" 2>&1 || true
		grep -E '^(FAIL|ERROR|UNKNOWN|SKIP): ' "$out" || true
		pass=$(grep -c '^PASS: ' "$out" || true)
		fail=$(grep -c -E '^(FAIL|UNKNOWN): ' "$out" || true)
		errs=$(grep -c '^ERROR: ' "$out" || true)
		skip=$(grep -c '^SKIP: ' "$out" || true)
		echo "engine $e (upstream runner): $pass passed, $fail failed, $errs errors, $skip skipped ($(grep '^Passed ' "$out" || echo 'no summary'))"
		[ $((fail + errs)) -eq 0 ] || status=1
	else
		(cd "$ROOT" && go build -o "$TMP/bpf-conformance" ./cmd/bpf-conformance)
		"$TMP/bpf-conformance" --suite "$SUITE" --plugin "$PLUGIN --engine $e" || status=1
	fi
done
exit $status
