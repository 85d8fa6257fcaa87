#!/usr/bin/env bash
# selftests-verdicts.sh KSRC [OUT]
#
# Compares schedsim's verifier with the kernel's expected verdicts on the
# kernel's own verifier selftests. KSRC is a local Linux source tree (e.g.
# Debian's linux-source-6.12 unpacked; only tools/, scripts/bpf_doc.py and
# include/uapi are used); nothing from it is copied into this repository.
# OUT (default /tmp/schedsim-selftests) receives the generated headers, the
# compiled objects and the report.
#
# Each tools/testing/selftests/bpf/progs/verifier_*.c (and the iterator,
# dynptr-free "friends" listed in FRIENDS) is compiled as the selftests'
# Makefile does (clang -O2 --target=bpf -mcpu=v4, -DENABLE_ATOMICS_TESTS,
# -D__TARGET_ARCH_x86, against a vmlinux.h dumped from this machine's kernel
# BTF and bpf_helper_defs.h generated from KSRC's uapi bpf.h); then
# `go run ./verifier/cmd/selftests` loads each object, reads each program's
# annotations (__success, __failure, __msg, __failure_unpriv, __flag, ...:
# BTF decl tags "comment:test_*", as test_loader.c does), verifies it in
# privileged mode (the mode sched_ext's loader runs in) and prints the
# agreement. See docs/verifier.md.
set -euo pipefail
KSRC=${1:?usage: $0 KSRC [OUT]}
OUT=${2:-/tmp/schedsim-selftests}
CLANG=${CLANG:-clang-19}
BPFTOOL=${BPFTOOL:-bpftool}
PROGS=$KSRC/tools/testing/selftests/bpf/progs
FRIENDS=${FRIENDS:-"iters.c iters_state_safety.c iters_looping.c iters_num.c cpumask_failure.c cpumask_success.c rcu_read_lock.c arena_list.c arena_htab.c verifier_arena.c"}
[ -d "$PROGS" ] || { echo "$PROGS: no such directory" >&2; exit 2; }
mkdir -p "$OUT/include/bpf" "$OUT/obj"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib/bpfbuild.sh"

# headers: vmlinux.h from the running kernel's BTF, libbpf's headers from
# KSRC with bpf_helper_defs.h generated from the uapi header
if [ ! -s "$OUT/include/vmlinux.h" ]; then
	"$BPFTOOL" btf dump file "${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}" format c > "$OUT/include/vmlinux.h"
fi
kernel_libbpf_headers "$KSRC" "$OUT/include"

fail=0 ok=0
: > "$OUT/compile.log"
for src in "$PROGS"/verifier_*.c; do
	files+=("$src")
done
for f in $FRIENDS; do
	[ -f "$PROGS/$f" ] && files+=("$PROGS/$f")
done
for src in "${files[@]}"; do
	name=$(basename "$src" .c)
	obj=$OUT/obj/$name.bpf.o
	if [ -s "$obj" ] && [ "$obj" -nt "$src" ]; then ok=$((ok+1)); continue; fi
	if "$CLANG" -g -O2 --target=bpf -mcpu=v4 -mlittle-endian -D__TARGET_ARCH_x86 -DENABLE_ATOMICS_TESTS \
		-Wno-compare-distinct-pointer-types -Wno-error \
		-I"$OUT/include" -I"$PROGS" -I"$PROGS/.." -I"$KSRC/tools/include" -I"$KSRC/tools/include/uapi" -idirafter /usr/include/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu) \
		-c "$src" -o "$obj" >> "$OUT/compile.log" 2>&1; then
		ok=$((ok+1))
	else
		echo "compile failed: $name" >> "$OUT/compile.log"
		rm -f "$obj"
		fail=$((fail+1))
	fi
done
echo "compiled $ok objects ($fail failed to compile: $OUT/compile.log)" >&2
cd "$here"
go run ./cmd/selftest-verdicts ${VERDICT_FLAGS:-} "$OUT"/obj/*.bpf.o | tee "$OUT/report.txt"
