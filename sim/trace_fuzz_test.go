package sim

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseSchedTrace: any text is either read or refused with a
// positioned error, and what is read can be recorded, never a panic.
func FuzzParseSchedTrace(f *testing.F) {
	for _, s := range traceShapes {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := parseSchedTrace("f.txt", bytes.NewReader(data))
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Pos.Line < 1 || ce.Pos.Col < 1 {
				t.Fatalf("unpositioned error %v", err)
			}
			return
		}
		w := &TraceReplay{WorkloadSpec: WorkloadSpec{Name: "f"}, SwitchCost: 2000}
		w.record(evs)
		for _, rt := range w.Tasks {
			for _, s := range rt.Steps {
				if s.Kind == RecWake && (s.Target < 0 || s.Target >= len(w.Tasks)) {
					t.Fatalf("wake target %d of %d tasks", s.Target, len(w.Tasks))
				}
			}
		}
	})
}

// FuzzJSONPos: the rt-app JSON reader never panics and positions its
// errors.
func FuzzJSONPos(f *testing.F) {
	f.Add([]byte(rtappVideo))
	f.Add([]byte(`{"a": [1, 2.5e3, "x\u00e9", true, null, {}]} // c`))
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := parseJSONPos("f.json", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Pos.Line < 1 || ce.Pos.Col < 1 {
				t.Fatalf("unpositioned error %v", err)
			}
			return
		}
		r := &rtappReader{ncpu: 4}
		r.top(root, &RTApp{})
	})
}
