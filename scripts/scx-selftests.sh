#!/usr/bin/env bash
# scx-selftests.sh: the Linux kernel's sched_ext selftests
# (tools/testing/selftests/sched_ext) in schedsim. Each NAME.bpf.c is
# compiled unmodified, as the selftests' Makefile does, and
# cmd/scx-selftests loads, attaches and runs it under its runner's
# workload and checks the runner's assertions (docs/conformance.md).
#
#   scripts/scx-selftests.sh --kernel DIR [--scx DIR] [--newer DIR]
#       [--vmlinux FILE] [--out DIR] [--md] [-run REGEXP]
#
#   --kernel DIR  a Linux 6.12 tree (e.g. Debian's linux-source-6.12,
#                 unpacked): tools/testing/selftests/sched_ext, tools/lib/bpf,
#                 scripts/bpf_doc.py, include/uapi; its tools/sched_ext/include
#                 if it has one
#   --scx DIR     a git checkout of sched-ext/scx, for the scx headers of
#                 6.12 when the kernel tree has no tools/sched_ext (Debian's
#                 does not): scheds/include at bda16f29b (the last commit
#                 before the 6.13 kfunc renames turned the 6.12 names into
#                 build errors), with is_migration_disabled() from b7e16575e,
#                 which 6.12.y's dsp_local_on.bpf.c uses (the same backport)
#   --newer DIR   a newer tree (6.13+) with the same layout: its tests that
#                 are not in 6.12, and those of suite.go's "newer" list, built
#                 against its tools/sched_ext/include
#   --vmlinux F   the vmlinux.h to build against (default: schedsim's own,
#                 policies/include/vmlinux.h; CO-RE relocates either)
#   --newer-vmlinux F  the same for --newer (default: --vmlinux); newer scx
#                 headers need types schedsim's vmlinux.h lacks
#                 (struct bpf_iter_bits): give a real kernel's
#   --out DIR     where objects and logs go (default /tmp/schedsim-scx-selftests)
#   --md, -run R  passed to cmd/scx-selftests (Markdown table; test filter)
#
# Nothing here is committed: the sources are upstream's. Needs clang-19,
# python3, git (for --scx), go.
set -euo pipefail

KERNEL= SCX= NEWER= VMLINUX= NEWVML= OUT=/tmp/schedsim-scx-selftests
TOOLARGS=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KERNEL=$2; shift 2 ;;
	--scx) SCX=$2; shift 2 ;;
	--newer) NEWER=$2; shift 2 ;;
	--vmlinux) VMLINUX=$2; shift 2 ;;
	--newer-vmlinux) NEWVML=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--md) TOOLARGS+=(-md); shift ;;
	-run|--run) TOOLARGS+=(-run "$2"); shift 2 ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "scx-selftests.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$KERNEL" ] || { echo "scx-selftests.sh: --kernel DIR is required" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
. "$REPO/scripts/lib/bpfbuild.sh"
CLANG=${CLANG:-clang-19}
VMLINUX=${VMLINUX:-$REPO/policies/include/vmlinux.h}
NEWVML=${NEWVML:-$VMLINUX}
mkdir -p "$OUT/inc" "$OUT/vmlinux" "$OUT/vmlinux-newer" "$OUT/6.12" "$OUT/newer"
cp "$VMLINUX" "$OUT/vmlinux/vmlinux.h"
cp "$NEWVML" "$OUT/vmlinux-newer/vmlinux.h"
kernel_libbpf_headers "$KERNEL" "$OUT/inc"
SYS=$(clang_sys_includes "$CLANG")
# BPF_CFLAGS of tools/testing/selftests/sched_ext/Makefile (x86)
CFLAGS="-g -D__TARGET_ARCH_x86 -mlittle-endian -Wall -Wno-compare-distinct-pointer-types
	-Wno-incompatible-function-pointer-types -O2 -mcpu=v3 -target bpf"

# scx headers for 6.12: the tree's own, else built from --scx.
scx612=$KERNEL/tools/sched_ext/include
if [ ! -f "$scx612/scx/common.bpf.h" ]; then
	[ -n "$SCX" ] || { echo "scx-selftests.sh: $KERNEL has no tools/sched_ext/include: give --scx DIR" >&2; exit 2; }
	scx612=$OUT/scx612/scheds/include
	if [ ! -f "$scx612/scx/common.bpf.h" ]; then
		rm -rf "$OUT/scx612" && mkdir -p "$OUT/scx612"
		git -C "$SCX" archive bda16f29b scheds/include | tar -x -C "$OUT/scx612"
		git -C "$SCX" show b7e16575e -- scheds/include/scx/common.bpf.h | (cd "$OUT/scx612" && patch -s -p1)
	fi
fi

# build SRCDIR SCXINC VMLINUXDIR OUTDIR NAMES...: compile each NAME.bpf.c.
build() {
	local src=$1 inc=$2 vml=$3 out=$4; shift 4
	for n in "$@"; do
		# shellcheck disable=SC2086
		if ! $CLANG $CFLAGS -I"$src" -I"$src/include" -I"$inc" -I"$inc/bpf-compat" -I"$OUT/inc" -I"$vml" \
			$SYS -c "$src/$n.bpf.c" -o "$out/$n.bpf.o" 2>"$out/$n.build.log"; then
			echo "build failed: $n ($out/$n.build.log)" >&2
			rm -f "$out/$n.bpf.o"
		fi
	done
}

T=$KERNEL/tools/testing/selftests/sched_ext
mapfile -t names < <(cd "$T" && ls *.bpf.c | sed 's/\.bpf\.c$//')
build "$T" "$scx612" "$OUT/vmlinux" "$OUT/6.12" "${names[@]}"
if [ -n "$NEWER" ]; then
	TN=$NEWER/tools/testing/selftests/sched_ext
	mapfile -t names < <(cd "$TN" && ls *.bpf.c | sed 's/\.bpf\.c$//')
	build "$TN" "$NEWER/tools/sched_ext/include" "$OUT/vmlinux-newer" "$OUT/newer" "${names[@]}"
fi

cd "$REPO"
suite=6.12
[ -n "$NEWER" ] && suite=all
go run ./cmd/scx-selftests -suite "$suite" "${TOOLARGS[@]}" "$OUT"
