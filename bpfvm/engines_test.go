package bpfvm

import "testing"

// testEngines are the engines every interpreter test runs on, through one
// table (as wazero runs its spec tests on both its engines): the
// interpreter, and the JIT, which engines_jit_test.go registers (package
// bpfvm_test may import package jit; this package may not).
var testEngines = []testEngineEntry{{"interp", func() Engine { return NewInterpreter() }}}

type testEngineEntry struct {
	name string
	new  func() Engine
}

// testEngine makes the engine of the contexts newTestContext returns: the
// one onEngines is running.
var testEngine = func() Engine { return NewInterpreter() }

// RegisterTestEngine adds an engine to the tests (test binaries only).
func RegisterTestEngine(name string, f func() Engine) {
	testEngines = append(testEngines, testEngineEntry{name, f})
}

// onEngines runs f once per engine as a subtest named after it.
func onEngines(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, e := range testEngines {
		t.Run(e.name, func(t *testing.T) {
			prev := testEngine
			testEngine = e.new
			defer func() { testEngine = prev }()
			f(t)
		})
	}
}
