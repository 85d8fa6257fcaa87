package sim

import (
	"testing"
)

// counter checks the observer stream against the machine's own counts.
type counter struct {
	BaseObserver
	m                         *Machine
	forks, wakings, wakeups   int
	newWakeups, exits         int
	switches, migrations      uint64
	cbOpen                    map[int]int // open callbacks per CPU
	cbStarts, cbEnds          int
	cbNs                      uint64
	dsqDepth                  map[*DSQ]int
	lastAt                    uint64
	outOfOrder, badDepth      int
	switchedIn                map[*Task]uint64
	prevStateBad, migrateSame int
}

func (c *counter) at(t uint64) {
	if t < c.lastAt {
		c.outOfOrder++
	}
	c.lastAt = t
}

func (c *counter) Fork(at uint64, t *Task)          { c.at(at); c.forks++ }
func (c *counter) Waking(at uint64, t *Task, w int) { c.at(at); c.wakings++ }
func (c *counter) Exit(at uint64, t *Task)          { c.at(at); c.exits++ }
func (c *counter) Migrate(at uint64, t *Task, from, to int) {
	c.at(at)
	c.migrations++
	if from == to {
		c.migrateSame++
	}
}
func (c *counter) Wakeup(at uint64, t *Task, cpu int, isNew bool) {
	c.at(at)
	c.wakeups++
	if isNew {
		c.newWakeups++
	}
}
func (c *counter) Switch(at uint64, cpu int, prev, next *Task) {
	c.at(at)
	c.switches++
	if prev != nil {
		switch prev.State() {
		case TaskRunnable, TaskSleeping, TaskExited:
		default:
			c.prevStateBad++
		}
	}
	if next != nil {
		c.switchedIn[next]++
	}
}
func (c *counter) CallbackStart(at uint64, cpu int, cb Callback, t *Task) {
	c.at(at)
	c.cbStarts++
	c.cbOpen[cpu]++
}
func (c *counter) CallbackEnd(at uint64, cpu int, cb Callback, t *Task, e CallbackEnd) {
	c.at(at)
	c.cbEnds++
	c.cbOpen[cpu]--
	c.cbNs += e.Ns
}
func (c *counter) DSQ(at uint64, q *DSQ, t *Task, ins bool) {
	c.at(at)
	if ins {
		c.dsqDepth[q]++
	} else {
		c.dsqDepth[q]--
	}
	if c.dsqDepth[q] != q.Len() {
		c.badDepth++
	}
}

func TestObserverSeesEveryEvent(t *testing.T) {
	p := testParams(4)
	p.CallbackCost = 100
	c := &counter{cbOpen: map[int]int{}, dsqDepth: map[*DSQ]int{}, switchedIn: map[*Task]uint64{}}
	p.Observers = []Observer{c}
	m, err := NewMachine(p, &FIFO{})
	if err != nil {
		t.Fatal(err)
	}
	c.m = m
	var exits int
	for i := 0; i < 12; i++ {
		i := i
		n := 0
		if _, err := m.Spawn(TaskSpec{Comm: "w", Behavior: BehaviorFunc(func(*Machine, *Task) Action {
			n++
			switch {
			case i%3 == 0 && n > 40:
				exits++
				return Exit()
			case n%2 == 0:
				return Sleep(uint64(200_000 + 10_000*i))
			}
			return Run(uint64(300_000 + 7_000*i))
		})}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = m.Run()
	if err != nil {
		t.Fatal(err)
	}
	if c.outOfOrder != 0 {
		t.Errorf("%d events out of time order", c.outOfOrder)
	}
	if c.forks != 12 || c.newWakeups != 12 {
		t.Errorf("forks %d, wakeup_new %d, want 12", c.forks, c.newWakeups)
	}
	if c.exits != exits || exits == 0 {
		t.Errorf("exits observed %d, behaviours exited %d", c.exits, exits)
	}
	var wakeups, migrations uint64
	for _, tk := range m.Tasks() {
		wakeups += tk.Stats.Wakeups
		migrations += tk.Stats.Migrations
		if c.switchedIn[tk] != tk.Stats.Switches {
			t.Errorf("task %d switched in %d times, observed %d", tk.PID, tk.Stats.Switches, c.switchedIn[tk])
		}
	}
	if uint64(c.wakings) != wakeups || uint64(c.wakeups) != wakeups+12 {
		t.Errorf("wakings %d, wakeups %d; tasks counted %d wakeups", c.wakings, c.wakeups, wakeups)
	}
	if c.migrations != migrations || c.migrateSame != 0 {
		t.Errorf("migrations observed %d (%d to the same CPU), counted %d", c.migrations, c.migrateSame, migrations)
	}
	if c.switches != m.Switches() || c.switches == 0 {
		t.Errorf("switches observed %d, machine %d", c.switches, m.Switches())
	}
	if c.prevStateBad != 0 {
		t.Errorf("%d switches with prev in a state other than runnable/sleeping/exited", c.prevStateBad)
	}
	if c.cbStarts != c.cbEnds || c.cbStarts == 0 {
		t.Errorf("callback starts %d, ends %d", c.cbStarts, c.cbEnds)
	}
	if c.cbNs != uint64(c.cbEnds)*100 {
		t.Errorf("callback cost %d ns over %d callbacks of 100 ns", c.cbNs, c.cbEnds)
	}
	if c.badDepth != 0 {
		t.Errorf("%d DSQ events where the observed depth differs from Len()", c.badDepth)
	}
}

// An observer must not change the schedule.
func TestObserverKeepsSchedule(t *testing.T) {
	run := func(observe bool) uint64 {
		p := testParams(3)
		if observe {
			p.Observers = []Observer{BaseObserver{}, &counter{cbOpen: map[int]int{}, dsqDepth: map[*DSQ]int{}, switchedIn: map[*Task]uint64{}}}
		}
		m, err := NewMachine(p, &FIFO{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 7; i++ {
			d := uint64(100_000 * (i + 1))
			n := 0
			m.Spawn(TaskSpec{Comm: "t", Behavior: BehaviorFunc(func(*Machine, *Task) Action {
				n++
				if n%2 == 0 {
					return Sleep(d)
				}
				return Run(2 * d)
			})})
		}
		m.Run()
		return m.ScheduleHash()
	}
	if a, b := run(false), run(true); a != b {
		t.Errorf("schedule hash %x without observers, %x with", a, b)
	}
}

type requests struct {
	BaseObserver
	n     map[int]uint64
	sum   map[int]uint64
	early int
	m     *Machine
}

func (r *requests) Request(at uint64, group int, d uint64) {
	r.n[group]++
	r.sum[group] += d
	if at < r.m.P.Warmup {
		r.early++
	}
}

// Request reports every sample of each workload's request latency.
func TestObserverRequests(t *testing.T) {
	cfg, err := ParseConfig("web.toml", []byte(`
[run]
duration = "300ms"
warmup = "50ms"
[machine]
cores_per_llc = 4
[[workload]]
name = "web"
kind = "server"
workers = 8
rate = 2000
service = { dist = "exp", mean = "400us" }
[[workload]]
name = "soak"
kind = "batch"
tasks = 2
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &requests{n: map[int]uint64{}, sum: map[int]uint64{}}
	scn, err := cfg.Build(&FIFO{}, Overrides{Observers: []Observer{r}})
	if err != nil {
		t.Fatal(err)
	}
	r.m = scn.Machine
	res, err := scn.Run()
	if err != nil {
		t.Fatal(err)
	}
	web := res.Workloads[0]
	if web.Latency == nil || web.Latency.Count == 0 || r.n[0] != web.Latency.Count {
		t.Fatalf("observed %d requests of web, result %+v", r.n[0], web.Latency)
	}
	if mean := float64(r.sum[0]) / float64(r.n[0]); mean < web.Latency.Mean-1 || mean > web.Latency.Mean+1 {
		t.Errorf("observed mean %.1f, result mean %.1f", mean, web.Latency.Mean)
	}
	if r.n[1] != 0 || r.early != 0 {
		t.Errorf("%d requests for the batch workload, %d before the warmup", r.n[1], r.early)
	}
	if !scn.Machine.Done() {
		t.Errorf("Done() false after Run")
	}
}

type picky struct {
	BaseObserver
	kinds []PolicyEventKind
}

func (p picky) WantsPolicy(k PolicyEventKind) bool {
	for _, x := range p.kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Kernel.Wants is the union of what the observers want; observers without
// PolicyInterest want everything, OnSwitch nothing.
func TestPolicyInterest(t *testing.T) {
	m, err := NewMachine(testParams(2), &FIFO{})
	if err != nil {
		t.Fatal(err)
	}
	k := m.Kernel()
	all := []PolicyEventKind{PolicyLockWait, PolicyLockAcquire, PolicyLockRelease, PolicyPrintk, PolicyDeadlock, PolicyCounter}
	check := func(want ...PolicyEventKind) {
		t.Helper()
		for _, kind := range all {
			w := false
			for _, x := range want {
				w = w || x == kind
			}
			if k.Wants(kind) != w {
				t.Errorf("Wants(%v) = %v, want %v", kind, k.Wants(kind), w)
			}
		}
	}
	check()
	m.OnSwitch(func(uint64, int, *Task, *Task) {})
	check()
	m.Observe(picky{kinds: []PolicyEventKind{PolicyPrintk}})
	check(PolicyPrintk)
	m.Observe(picky{kinds: []PolicyEventKind{PolicyLockWait, PolicyPrintk}})
	check(PolicyPrintk, PolicyLockWait)
	m.Observe(BaseObserver{})
	check(all...)
}
