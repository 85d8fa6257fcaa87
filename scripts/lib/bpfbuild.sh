# bpfbuild.sh: shell functions shared by the scripts that build upstream
# BPF sources from local checkouts (compat.sh, selftests-verdicts.sh,
# scx-selftests.sh). Source it; it defines functions only.

# clang_sys_includes CLANG: clang's own include directories as -idirafter
# flags, as the kernel's BPF Makefiles pass them (get_sys_includes), so
# -target bpf finds asm/types.h and friends.
clang_sys_includes() {
	"$1" -v -E - </dev/null 2>&1 |
		sed -n '/<...> search starts here/,/End of search list/p' | grep '^ ' |
		sed 's/^ */-idirafter /' | tr '\n' ' '
}

# kernel_libbpf_headers KSRC DIR: libbpf's headers from a kernel tree
# (tools/lib/bpf/*.h) into DIR/bpf, with bpf_helper_defs.h generated from
# the tree's uapi bpf.h (as libbpf's Makefile does).
kernel_libbpf_headers() {
	local ksrc=$1 dir=$2
	mkdir -p "$dir/bpf"
	cp "$ksrc"/tools/lib/bpf/*.h "$dir/bpf/"
	if [ ! -s "$dir/bpf/bpf_helper_defs.h" ]; then
		python3 "$ksrc/scripts/bpf_doc.py" --header --file "$ksrc/include/uapi/linux/bpf.h" > "$dir/bpf/bpf_helper_defs.h"
	fi
}
