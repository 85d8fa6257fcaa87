package sim

import (
	"testing"
	"unsafe"
)

var layoutSink []any

// TestCacheLayout: the hot structs keep the cache-line layout their
// comments describe (task.go, machine.go, ktypes.go, dsq.go,
// workload_periodic.go): sizes in size classes of 64-byte aligned objects,
// and the fields an event touches together on one line.
func TestCacheLayout(t *testing.T) {
	line := func(off uintptr) uintptr { return off / 64 }
	var tk Task
	var ts TaskStruct
	var c CPU
	sizes := []struct {
		name     string
		size, lo uintptr // size in (lo, class]
		class    uintptr
	}{
		{"Task", unsafe.Sizeof(tk), 639, 640},
		{"CPU", unsafe.Sizeof(c), 352, 384},
		{"DSQ", unsafe.Sizeof(DSQ{}), 112, 128},
		{"periodicTask", unsafe.Sizeof(periodicTask{}), 240, 256},
		{"TaskStruct", unsafe.Sizeof(ts), 0, 432},
	}
	for _, s := range sizes {
		if s.size <= s.lo || s.size > s.class {
			t.Errorf("%s is %d bytes, not in (%d, %d]: another size class, or its lines moved", s.name, s.size, s.lo, s.class)
		}
	}
	same := func(what string, offs ...uintptr) {
		t.Helper()
		for _, o := range offs[1:] {
			if line(o) != line(offs[0]) {
				t.Errorf("%s: offsets %v are not on one cache line", what, offs)
				return
			}
		}
	}
	same("Task line 0", unsafe.Offsetof(tk.K), unsafe.Offsetof(tk.state), unsafe.Offsetof(tk.runGen), unsafe.Offsetof(tk.work), unsafe.Offsetof(tk.lastAcct))
	same("Task line 1", unsafe.Offsetof(tk.penalty), unsafe.Offsetof(tk.runStart), unsafe.Offsetof(tk.arm), unsafe.Offsetof(tk.held), unsafe.Offsetof(tk.onSince), unsafe.Offsetof(tk.gpsGroup), unsafe.Offsetof(tk.rqCPU))
	same("Task line 2", unsafe.Offsetof(tk.Nice), unsafe.Offsetof(tk.gpsRef), unsafe.Offsetof(tk.rqIdeal),
		unsafe.Offsetof(tk.Stats)+unsafe.Offsetof(tk.Stats.Runtime), unsafe.Offsetof(tk.Stats)+unsafe.Offsetof(tk.Stats.MaxRqLag))
	same("Task line 3", unsafe.Offsetof(tk.Stats)+unsafe.Offsetof(tk.Stats.Switches), unsafe.Offsetof(tk.Stats)+unsafe.Offsetof(tk.Stats.WakeLatSum))
	same("Task line 4", unsafe.Offsetof(tk.runnableSince), unsafe.Offsetof(tk.wokeAt), unsafe.Offsetof(tk.qseq), unsafe.Offsetof(tk.dsq))
	same("Task line 5", unsafe.Offsetof(tk.behavior), unsafe.Offsetof(tk.prev), unsafe.Offsetof(tk.next), unsafe.Offsetof(tk.trWakeLat))
	se := unsafe.Offsetof(ts.Se)
	same("task_struct accounting", unsafe.Offsetof(ts.Scx)+unsafe.Offsetof(ts.Scx.Slice), unsafe.Offsetof(ts.Scx)+unsafe.Offsetof(ts.Scx.DsqVtime),
		unsafe.Offsetof(ts.Utime), unsafe.Offsetof(ts.Nvcsw), se+unsafe.Offsetof(ts.Se.ExecStart), se+unsafe.Offsetof(ts.Se.SumExecRuntime), se+unsafe.Offsetof(ts.Se.PrevSumExecRuntime))
	same("CPU line 0", unsafe.Offsetof(c.curr), unsafe.Offsetof(c.local), unsafe.Offsetof(c.tickGen), unsafe.Offsetof(c.kicks), unsafe.Offsetof(c.core))
	if off := unsafe.Offsetof(c.Stats); off%64 != 0 {
		t.Errorf("CPU.Stats at %d, not on a line of its own", off)
	}
	same("CPU line 2", unsafe.Offsetof(c.rtq), unsafe.Offsetof(c.fairq), unsafe.Offsetof(c.pntSeq), unsafe.Offsetof(c.cursor))
	var q DSQ
	same("DSQ line 0", unsafe.Offsetof(q.ID), unsafe.Offsetof(q.nr), unsafe.Offsetof(q.priq), unsafe.Offsetof(q.head), unsafe.Offsetof(q.tail), unsafe.Offsetof(q.NrInserted))
	var pt periodicTask
	if off := unsafe.Offsetof(pt.run); off != 64 || unsafe.Offsetof(pt.run.d) != 64 {
		t.Errorf("periodicTask.run at %d, its Dist at %d: want the sampler's hot fields on line 1", off, unsafe.Offsetof(pt.run.d))
	}

	// The heap gives these sizes 64-byte aligned objects (no allocation
	// header: 512 bytes at most); newTask gives aligned Tasks.
	var m Machine
	for i := 0; i < 2*taskSlabLen; i++ {
		c, q, pt := new(CPU), new(DSQ), new(periodicTask)
		layoutSink = append(layoutSink, c, q, pt) // on the heap
		for _, p := range []unsafe.Pointer{unsafe.Pointer(m.newTask()), unsafe.Pointer(c), unsafe.Pointer(q), unsafe.Pointer(pt)} {
			if uintptr(p)%64 != 0 {
				t.Fatalf("object at %p is not 64-byte aligned", p)
			}
		}
	}
	layoutSink = nil
}

// TestCPUCore: the cores of Machine.cpuCore and CPU.core are Topo's.
func TestCPUCore(t *testing.T) {
	p := testParams(0)
	p.Topology = TopologySpec{Nodes: 2, LLCsPerNode: 2, CoresPerLLC: 3, ThreadsPerCore: 2}
	m, err := NewMachine(p, &FIFO{})
	if err != nil {
		t.Fatal(err)
	}
	for a := range m.Topo.NumCPUs() {
		if got, want := int(m.cpuCore[a]), m.Topo.CPUs[a].Core; got != want || int(m.cpus[a].core) != want {
			t.Errorf("cpu %d: core %d (CPU.core %d), want %d", a, got, m.cpus[a].core, want)
		}
	}
}
