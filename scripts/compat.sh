#!/usr/bin/env bash
# compat.sh: build upstream sched_ext schedulers from local checkouts,
# unmodified, and run each in schedsim; print the docs/compat.md table.
#
#   scripts/compat.sh --scx DIR [--scx-c DIR] [--kernel DIR] --libbpf DIR \
#       [--vmlinux FILE] [--out DIR] [--duration D] [--verify] [NAME...]
#
#   --scx DIR     a checkout of github.com/sched-ext/scx (the Rust-hosted
#                 schedulers: scheds/rust/scx_*/src/bpf, lib/, scheds/include;
#                 scx_rustland: rust/scx_rustland_core/assets/bpf)
#   --scx-c DIR   a checkout of scx before the C schedulers were removed
#                 (the parent of d1810e621, "sched: remove C schedulers",
#                 Jan 2026): scheds/c/scx_*.bpf.c
#   --kernel DIR  a Linux tree (tools/sched_ext/scx_*.bpf.c and its
#                 include/); its examples take precedence over --scx-c's
#   --libbpf DIR  a checkout of github.com/libbpf/libbpf >= 1.5 (headers,
#                 and its linker for the schedulers built from several files)
#   --vmlinux F   an x86 vmlinux.h (default: the newest
#                 scheds/vmlinux/arch/x86/vmlinux-*.h of --scx)
#   --verify      run the verifier (default: --no-verify, runtime only)
#
# Nothing here is committed: the sources are upstream's, built in --out
# (default /tmp/schedsim-compat). Needs clang-19, cc, libelf, zlib, go.
set -euo pipefail

SCX= SCXC= KERNEL= LIBBPF= VMLINUX= OUT=/tmp/schedsim-compat DURATION=2s VERIFY=--no-verify
NAMES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--scx) SCX=$2; shift 2 ;;
	--scx-c) SCXC=$2; shift 2 ;;
	--kernel) KERNEL=$2; shift 2 ;;
	--libbpf) LIBBPF=$2; shift 2 ;;
	--vmlinux) VMLINUX=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--verify) VERIFY=; shift ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	-*) echo "compat.sh: unknown option $1" >&2; exit 2 ;;
	*) NAMES+=("$1"); shift ;;
	esac
done
[ -n "$LIBBPF" ] || { echo "compat.sh: --libbpf DIR is required" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/.." && pwd)
. "$REPO/scripts/lib/bpfbuild.sh"
CLANG=${CLANG:-clang-19}
mkdir -p "$OUT/inc/bpf" "$OUT/obj" "$OUT/run"

# libbpf: headers, and a static linker (bpftool gen object's bpf_linker).
for h in bpf_helpers.h bpf_helper_defs.h bpf_tracing.h bpf_core_read.h bpf_endian.h; do
	cp "$LIBBPF/src/$h" "$OUT/inc/bpf/"
done
if [ ! -x "$OUT/bpflink" ]; then
	make -s -C "$LIBBPF/src" BUILD_STATIC_ONLY=1 OBJDIR="$OUT/libbpf" DESTDIR="$OUT/libbpf-root" install >/dev/null
	cat > "$OUT/bpflink.c" <<'C'
#include <stdio.h>
#include <bpf/libbpf.h>
int main(int argc, char **argv)
{
	struct bpf_linker *l = bpf_linker__new(argv[1], NULL);
	if (!l) return 1;
	for (int i = 2; i < argc; i++)
		if (bpf_linker__add_file(l, argv[i], NULL)) return 1;
	return bpf_linker__finalize(l) ? 1 : 0;
}
C
	inc=$(find "$OUT/libbpf-root" -name libbpf.h -path '*bpf/libbpf.h' | head -1)
	lib=$(find "$OUT/libbpf-root" -name libbpf.a | head -1)
	cc -O2 -I"$(dirname "$(dirname "$inc")")" "$OUT/bpflink.c" "$lib" -lelf -lz -o "$OUT/bpflink"
fi

if [ -z "$VMLINUX" ] && [ -n "$SCX" ]; then
	VMLINUX=$(ls "$SCX"/scheds/vmlinux/arch/x86/vmlinux-v*.h | sort -V | tail -1)
fi
[ -f "$VMLINUX" ] || { echo "compat.sh: no vmlinux.h (--vmlinux FILE)" >&2; exit 2; }
mkdir -p "$OUT/vmlinux" && cp "$VMLINUX" "$OUT/vmlinux/vmlinux.h"

SYS=$(clang_sys_includes "$CLANG")
CFLAGS="-g -O2 -Wall -Wno-compare-distinct-pointer-types -D__TARGET_ARCH_x86 -D__SCX_TARGET_ARCH_x86 -mcpu=v3 -mlittle-endian -target bpf -I$OUT/inc -I$OUT/vmlinux"

go build -o "$OUT/schedsim" "$REPO/cmd/schedsim"

# build NAME INCLUDES SOURCES...: compile each source, link if several.
build() {
	local name=$1 incs=$2; shift 2
	local objs=() i=0
	for src in "$@"; do
		local o="$OUT/obj/$name.$i.o"
		if ! $CLANG $CFLAGS $incs $SYS -c "$src" -o "$o" 2>"$OUT/obj/$name.build.log"; then
			echo "build failed"; return 1
		fi
		objs+=("$o"); i=$((i+1))
	done
	if [ ${#objs[@]} -eq 1 ]; then
		cp "${objs[0]}" "$OUT/obj/$name.bpf.o"
	elif ! "$OUT/bpflink" "$OUT/obj/$name.bpf.o" "${objs[@]}" 2>>"$OUT/obj/$name.build.log"; then
		echo "link failed"; return 1
	fi
}

declare -A SRC INC
for s in simple qmap central flatcg nest pair prev userland sdt cpu0; do
	if [ -n "$KERNEL" ] && [ -f "$KERNEL/tools/sched_ext/scx_$s.bpf.c" ]; then
		SRC[$s]="$KERNEL/tools/sched_ext/scx_$s.bpf.c"
		INC[$s]="-I$KERNEL/tools/sched_ext/include -I$KERNEL/tools/sched_ext/include/bpf-compat -I$KERNEL/tools/sched_ext"
	elif [ -n "$SCXC" ] && [ -f "$SCXC/scheds/c/scx_$s.bpf.c" ]; then
		SRC[$s]="$SCXC/scheds/c/scx_$s.bpf.c"
		INC[$s]="-I$SCXC/scheds/include -I$SCXC/scheds/include/bpf-compat -I$SCXC/scheds/include/lib -I$SCXC/scheds/c"
		if [ "$s" = sdt ]; then # linked with scx's lib (sdt_alloc, sdt_task)
			SRC[$s]="${SRC[$s]} $SCXC/lib/sdt_alloc.bpf.c $SCXC/lib/sdt_task.bpf.c"
		fi
	fi
done
if [ -n "$SCX" ]; then
	for d in "$SCX"/scheds/rust/scx_*/; do
		s=$(basename "$d"); s=${s#scx_}
		# the skeleton's source: main.bpf.c, else the file build.rs names in
		# .enable_skel("src/bpf/X.bpf.c", ...) (scx_mitosis: mitosis.bpf.c)
		main="src/bpf/main.bpf.c"
		if [ ! -f "$d/$main" ]; then
			main=$(grep -o 'enable_skel("[^"]*\.bpf\.c"' "$d/build.rs" 2>/dev/null | head -1 | sed 's/enable_skel("\(.*\)"/\1/') || true
		fi
		extra_inc=
		# scx_rustland: build.rs runs scx_rustland_core's RustLandBuilder,
		# which copies rust/scx_rustland_core/assets/bpf/main.bpf.c
		if grep -q RustLandBuilder "$d/build.rs" 2>/dev/null; then
			d_core="$SCX/rust/scx_rustland_core/assets/bpf"
			main=$(realpath --relative-to="$d" "$d_core/main.bpf.c"); extra_inc="-I$d_core"
		fi
		[ -n "$main" ] && [ -f "$d/$main" ] || continue
		srcs="$d/$main"
		for extra in $(grep -o 'add_source("[^"]*")' "$d/build.rs" 2>/dev/null | sed 's/add_source("\(.*\)")/\1/'); do
			srcs="$srcs $d/$extra"
		done
		SRC[$s]=$srcs
		INC[$s]="-I$SCX/scheds/include -I$SCX/scheds/include/bpf-compat -I$SCX/scheds/include/scx -I$SCX/lib -I$d/src/bpf $extra_inc"
	done
fi
if [ ${#NAMES[@]} -eq 0 ]; then
	mapfile -t NAMES < <(printf '%s\n' "${!SRC[@]}" | sort)
fi

# run NAME CONFIG: "ok (utilisation, p99 wakeup latency)", or the first
# error line (an ejection is one).
run() {
	local name=$1 cfg=$2
	local log="$OUT/run/$name.$(basename "$cfg" .toml).log"
	if "$OUT/schedsim" run "$REPO/configs/$cfg" --policy "$OUT/obj/$name.bpf.o" --duration "$DURATION" $VERIFY \
		--json "$OUT/run/$name.$(basename "$cfg" .toml).json" >"$log" 2>&1; then
		local util p99
		util=$(awk '/^utilisation/ {print $2; exit}' "$log")
		p99=$(awk '/^  wakeup latency/ {print $7; exit}' "$log")
		echo "ok ($util, p99 wakeup $p99)"
	else
		grep -v -E '^(warning|note):' "$log" | grep -m1 -E 'schedsim run:|verifier|ejected' | sed 's/|/\\|/g' | cut -c1-160
	fi
}

echo "| scheduler | build | web | mixed | hackbench |"
echo "| --- | --- | --- | --- | --- |"
for s in "${NAMES[@]}"; do
	[ -n "${SRC[$s]:-}" ] || { echo "| $s | no source | | | |"; continue; }
	# shellcheck disable=SC2086
	if ! b=$(build "$s" "${INC[$s]}" ${SRC[$s]}); then
		echo "| $s | $b | | | |"; continue
	fi
	echo "| $s | ok | $(run "$s" web.toml) | $(run "$s" mixed.toml) | $(run "$s" hackbench.toml) |"
done
