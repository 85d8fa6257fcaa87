#!/bin/sh
# bpf-conformance-plugin.sh: schedsim as a plugin of the BPF conformance
# suite's runner (github.com/Alan-Jowett/bpf_conformance). The runner
# starts its plugin as PLUGIN [MEM] [PLUGIN_OPTIONS...] and writes the
# program to its standard input; this passes all of it to
# "schedsim exec --plugin" (docs/isa-conformance.md). Pass the engine in
# the runner's --plugin_options, e.g. --plugin_options "--engine interp".
#
#   SCHEDSIM   the schedsim binary (default: schedsim on PATH)
exec "${SCHEDSIM:-schedsim}" exec --plugin "$@"
