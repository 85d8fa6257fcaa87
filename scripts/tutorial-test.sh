#!/usr/bin/env bash
# Runs docs/tutorial.md's commands, in order, from an empty temporary
# directory, and checks what they print. The block after
# "<!-- tutorial:install -->" (go install ...@latest) is replaced by
# installing this checkout (go install ./cmd/schedsim with GOBIN in the
# temporary directory); every block after "<!-- tutorial -->" runs as
# written. Needs Go, clang 19+ and libbpf-dev (.ci/run installs them).
#
#   scripts/tutorial-test.sh            # from anywhere in the checkout
#   KEEP=1 scripts/tutorial-test.sh     # keep the temporary directory
#
# Optionally, also build the tutorial's policy for a real kernel, as the
# tutorial's section 7 says, and run that object in schedsim:
#   SCX_DIR=~/scx LIBBPF_DIR=~/libbpf VMLINUX_H=/path/to/vmlinux.h scripts/tutorial-test.sh
# (a checkout of github.com/sched-ext/scx, one of github.com/libbpf/libbpf,
# and a real kernel's vmlinux.h, e.g. scx's scheds/vmlinux/arch/x86/*.h).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
doc="$repo/docs/tutorial.md"
work=$(mktemp -d "${TMPDIR:-/tmp}/schedsim-tutorial.XXXXXX")
if [ -z "${KEEP:-}" ]; then
  trap 'rm -rf "$work"' EXIT
fi
echo "tutorial-test: working in $work"

# The tutorial's blocks, in order, as one script.
script="$work/.tutorial.sh"
awk '
  /<!-- tutorial:install -->/ { install = 1; next }
  /<!-- tutorial -->/         { want = 1; next }
  /^```sh/ && (want || install) { inblock = 1; skip = install; want = 0; install = 0; next }
  /^```/ && inblock            { inblock = 0; if (skip) print "__INSTALL__"; skip = 0; next }
  inblock && !skip             { print }
' "$doc" > "$script.body"
grep -q "__INSTALL__" "$script.body" || { echo "tutorial-test: no tutorial:install block in $doc" >&2; exit 1; }
grep -q "schedsim build" "$script.body" || { echo "tutorial-test: no tutorial blocks in $doc" >&2; exit 1; }
# Stamp the commit (schedsim --version) when the checkout is a plain git
# clone: go finds no repository in a git worktree (.git is a file there).
vcs=""
if [ -d "$repo/.git" ]; then vcs="-buildvcs=true"; fi
install="(cd \"$repo\" && GOBIN=\"$work/bin\" go install $vcs ./cmd/schedsim)"
{
  echo "set -euxo pipefail"
  echo "export PATH=\"$work/bin:\$PATH\""
  echo "cd \"$work\""
  body=$(cat "$script.body")
  printf "%s\n" "${body//__INSTALL__/"$install"}"
} > "$script"

export XDG_CACHE_HOME="$work/.cache" # schedsim build's header cache
log="$work/.tutorial.log"
if ! bash "$script" > "$log" 2>&1; then
  cat "$log"
  echo "tutorial-test: a command of docs/tutorial.md failed (see above)" >&2
  exit 1
fi

# What the tutorial says the reader sees.
fail=0
expect() {
  if ! grep -qF -- "$1" "$log"; then
    echo "tutorial-test: the output lacks: $1" >&2
    fail=1
  fi
}
expect "schedsim "                                   # --version
expect " commit "
if [ -n "$vcs" ]; then
  expect " commit $(git -C "$repo" rev-parse HEAD)"
fi
expect "mysched/mysched.bpf.c"                       # init
expect "mysched.bpf.o"                               # build
expect "policy         mysched"                      # run
expect "EXIT: unregistered from user space"
expect "map stats: percpu_array"                     # --maps
expect '"dispatched": '
expect '"reason": "unregistered from user space"'
expect "mysched: init: slice 3000000 ns"             # printk
expect "mysched: exit: kind 64: unregistered from user space"
expect "mysched: enqueue "                           # verbose, step 5
expect "mysched.bpf.o: accepted"                     # verify
expect "mysched.bpf.o             eevdf"             # side by side
expect "rpc latency p99"
if [ "$fail" != 0 ]; then
  cat "$log"
  exit 1
fi
if [ -n "${SCX_DIR:-}" ]; then
  kinc="$work/kernel-include"
  stubs="$work/stubs"
  mkdir -p "$kinc" "$stubs/gnu"
  cp "$VMLINUX_H" "$kinc/vmlinux.h"
  touch "$stubs/gnu/stubs-32.h" # glibc's <gnu/stubs.h> asks for it outside x86-64
  mkdir -p "$kinc/bpf" && cp "$LIBBPF_DIR"/src/*.h "$kinc/bpf/"
  sys=$(clang-19 -v -E - </dev/null 2>&1 | sed -n '/search starts/,/End of search/{/^ /s/^ */-idirafter /p}')
  (
    set -x
    cd "$work/mysched"
    # shellcheck disable=SC2086
    clang-19 -O2 -g -target bpf -mcpu=v4 -Wall -D__TARGET_ARCH_x86 \
      -I "$kinc" -I "$SCX_DIR/scheds/include" $sys -idirafter "$stubs" \
      -c mysched.bpf.c -o mysched.kernel.bpf.o
    "$work/bin/schedsim" run config.toml --policy mysched.kernel.bpf.o --duration 100ms
  ) > "$work/.kernel.log" 2>&1 || { cat "$work/.kernel.log"; echo "tutorial-test: the build against upstream scx headers failed" >&2; exit 1; }
  grep -q "EXIT: unregistered from user space" "$work/.kernel.log" || { cat "$work/.kernel.log"; exit 1; }
  echo "tutorial-test: built against upstream scx headers and ran in schedsim"
fi
echo "tutorial-test: ok ($(grep -c '^+ ' "$log") commands)"
