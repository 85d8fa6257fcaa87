package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/sim"
)

// output is a results file opened before a run (or stdout for "-").
type output struct {
	w      io.Writer
	f      *os.File
	closed bool
}

// openOutput opens path for writing (flag names it in errors); "" gives
// nil, "-" gives stdout.
func openOutput(flag, path string, stdout io.Writer) (*output, error) {
	switch path {
	case "":
		return nil, nil
	case "-":
		return &output{w: stdout}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return &output{w: f, f: f}, nil
}

func (o *output) Write(p []byte) (int, error) { return o.w.Write(p) }

// Close closes the file once; nil and stdout outputs need nothing.
func (o *output) Close() error {
	if o == nil || o.f == nil || o.closed {
		return nil
	}
	o.closed = true
	return o.f.Close()
}

// keepMaps asks a BPF policy to keep its maps as they are when it stops
// scheduling, before the unload's ops.exit_task calls (--maps).
func keepMaps(sched sim.Scheduler) {
	if b, ok := sched.(*policies.BPFPolicy); ok {
		b.KeepMapsAtEnd()
	}
}

// writeMaps prints every map of a BPF policy decoded by its BTF (--maps)
// and adds them to the result's JSON as extra.maps.
func writeMaps(w io.Writer, sched sim.Scheduler, res *sim.Result) error {
	b, ok := sched.(*policies.BPFPolicy)
	if !ok {
		fmt.Fprintf(w, "\nmaps: none (%s is not a BPF policy)\n", res.Policy)
		return nil
	}
	dumps, err := b.MapsAtEnd()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nmaps of %s at the end of the run:\n", res.Policy)
	if err := policies.FormatMaps(w, dumps); err != nil {
		return err
	}
	if res.Extra == nil {
		res.Extra = map[string]any{}
	}
	res.Extra["maps"] = dumps
	return nil
}
