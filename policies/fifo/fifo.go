// Package fifo holds schedsim's default BPF policy: a single shared FIFO
// dispatch queue (fifo.bpf.c). The compiled object is committed and
// embedded, so building and running need no clang; `go generate` rebuilds
// it with clang-19.
package fifo

import _ "embed"

//go:generate sh -c "clang-19 -O2 -g -target bpf -mcpu=v4 -fdebug-compilation-dir=. -I../include -c fifo.bpf.c -o fifo.bpf.o && llvm-strip-19 -g fifo.bpf.o"

// Object is the compiled fifo.bpf.c.
//
//go:embed fifo.bpf.o
var Object []byte
