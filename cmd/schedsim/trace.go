package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/schedsim/schedsim/sim"
	"github.com/schedsim/schedsim/traces"
)

// traceFlags are schedsim run's --trace options.
type traceFlags struct {
	file, format, from, to string
}

func (tf *traceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.file, "trace", "", "write the run as a trace to `FILE` (.pftrace/.perfetto-trace: Perfetto, .json: Chrome JSON, .txt: ftrace text)")
	fs.StringVar(&tf.format, "trace-format", "", "trace `FORMAT`: perfetto, json, ftrace or ftrace-ns (default: from the file's extension)")
	fs.StringVar(&tf.from, "trace-from", "", "trace only from simulated `TIME` on (e.g. 200ms)")
	fs.StringVar(&tf.to, "trace-to", "", "trace only up to simulated `TIME`")
}

// set reports whether any trace option was given.
func (tf *traceFlags) set() bool {
	return tf.file != "" || tf.format != "" || tf.from != "" || tf.to != ""
}

// traceOut is an open trace: its writer and file.
type traceOut struct {
	w    traces.Writer
	f    *os.File
	name string
}

// open creates the trace file and its writer for a machine of ncpu CPUs.
func (tf *traceFlags) open(ncpu int) (*traceOut, error) {
	if tf.file == "" {
		return nil, fmt.Errorf("--trace-format, --trace-from and --trace-to need --trace FILE")
	}
	format, err := traces.FormatFor(tf.file, tf.format)
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	o := traces.Options{CPUs: ncpu}
	for _, x := range []struct {
		flag, val string
		dst       *uint64
	}{{"--trace-from", tf.from, &o.From}, {"--trace-to", tf.to, &o.To}} {
		if x.val == "" {
			continue
		}
		d, err := sim.ParseDuration(x.val)
		if err != nil {
			return nil, fmt.Errorf("%s %q: expected a time such as 200ms or 1s", x.flag, x.val)
		}
		*x.dst = d
	}
	if o.To != 0 && o.To < o.From {
		return nil, fmt.Errorf("--trace-to %s is before --trace-from %s", tf.to, tf.from)
	}
	f, err := os.Create(tf.file)
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	w, err := traces.New(f, format, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &traceOut{w: w, f: f, name: tf.file}, nil
}

// close flushes the writer and closes the file.
func (t *traceOut) close() error {
	err := t.w.Close()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing trace %s: %w", t.name, err)
	}
	return nil
}
