package sim

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// runSrc parses a config and runs it under the Go FIFO.
func runSrc(t *testing.T, src string) *Result {
	t.Helper()
	c, err := ParseConfig("test.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Build(&FIFO{}, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run()
	if err != nil {
		t.Fatal(err)
	}
	if r.Ejection != nil {
		t.Fatalf("ejected: %+v", r.Ejection)
	}
	return r
}

func extra(t *testing.T, w WorkloadResult, name string) float64 {
	t.Helper()
	for _, s := range w.Extra {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("workload %s has no stat %q: %+v", w.Name, name, w.Extra)
	return 0
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol*math.Abs(want) }

func TestWorkloadDistSamplers(t *testing.T) {
	m, err := NewMachine(testParams(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	dists := []Dist{
		Const(1500),
		Exp(1e6),
		Uniform(1e5, 3e5),
		LogNormalMeanStd(1e6, 5e5),
		{Kind: DistLogNormal, Mu: math.Log(1e6), Sigma: 0.3},
		{Kind: DistNormal, Mean: 1e6, Stddev: 1e5},
		{Kind: DistPareto, Min: 1e5, Alpha: 3},
		{Kind: DistGamma, Mean: 2e6, Alpha: 2},
	}
	for _, d := range dists {
		if err := d.Validate(); err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		a := d.NewSampler(m.Rand("a"))
		b := d.NewSampler(m.Rand("a"))
		var sum float64
		const n = 40000
		for i := 0; i < n; i++ {
			x, y := a.Sample(), b.Sample()
			if x != y {
				t.Fatalf("%v: two samplers on the same stream differ: %d, %d", d, x, y)
			}
			sum += float64(x)
		}
		if mean := sum / n; !near(mean, d.MeanNs(), 0.03) {
			t.Errorf("%v: sample mean %.0f, want %.0f", d, mean, d.MeanNs())
		}
	}
	// A normal distribution is clamped at 0, and Max caps every family.
	s := Dist{Kind: DistNormal, Mean: 1e5, Stddev: 2e5}.NewSampler(m.Rand("n"))
	zeros := 0
	for i := 0; i < 1000; i++ {
		if s.Sample() == 0 {
			zeros++
		}
	}
	if zeros < 200 || zeros > 400 { // P(N(1, 2) < 0) = 0.31
		t.Errorf("%d of 1000 clamped samples, want ~310", zeros)
	}
	c := Dist{Kind: DistExp, Mean: 1e6, Max: 5e5}.NewSampler(m.Rand("c"))
	for i := 0; i < 1000; i++ {
		if v := c.Sample(); v > 5e5 {
			t.Fatalf("sample %d above max", v)
		}
	}
	for _, bad := range []Dist{{Kind: DistExp}, {Kind: DistGamma, Mean: 1}, {Kind: DistPareto, Alpha: 1}, {Kind: "zipf"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validates", bad)
		}
	}
}

func TestWorkloadServerMM1(t *testing.T) {
	// One CPU, one worker, Poisson arrivals at rho = 0.5 and exponential
	// service with mean 1 ms: M/M/1, E[T] = E[S]/(1-rho) = 2 ms.
	r := runSrc(t, `
[run]
duration = "20s"
[machine]
cores_per_llc = 1
context_switch = 0
ipi = 0
[[workload]]
kind = "server"
rate = 500
workers = 1
service = {dist = "exp", mean = "1ms"}
`)
	w := r.Workloads[0]
	if !near(float64(w.Completed), 10000, 0.05) || !near(w.Throughput, 500, 0.05) {
		t.Errorf("completed %d (%.1f/s), want ~10000 (500/s)", w.Completed, w.Throughput)
	}
	if !near(w.Latency.Mean, 2e6, 0.1) {
		t.Errorf("mean latency %.0f ns, want ~2ms (M/M/1)", w.Latency.Mean)
	}
	if !near(extra(t, w, "offered_cpus"), 0.5, 0.05) {
		t.Errorf("offered load %v", extra(t, w, "offered_cpus"))
	}
}

func TestWorkloadServerIOAndSchedule(t *testing.T) {
	r := runSrc(t, `
[run]
duration = "1s"
[[workload]]
kind = "server"
workers = 8
rate_schedule = [["0s", 0], ["500ms", 2000]]
service = "1ms"
io = "2ms"
split = 0.25
`)
	w := r.Workloads[0]
	arr := extra(t, w, "arrivals")
	if !near(arr, 1000, 0.1) {
		t.Errorf("%v arrivals, want ~1000 (2000/s during the last 500ms)", arr)
	}
	// Every request takes at least 1ms of CPU + 2ms of IO.
	if w.Latency == nil || w.Latency.P50 < 3e6 || w.Latency.P50 > 3.3e6 {
		t.Errorf("latency %+v, want p50 just above 3ms", w.Latency)
	}
	// Each worker sleeps once per request (IO) and blocks when idle.
	var wakeups uint64
	for _, tr := range r.PerTask {
		wakeups += tr.Wakeups
	}
	if wakeups < w.Completed {
		t.Errorf("%d wakeups for %d requests with IO", wakeups, w.Completed)
	}
	if w.WakeLatency == nil || w.WakeLatency.Count+8 < wakeups || w.WakeLatency.Count > wakeups {
		t.Errorf("workload wakeup latency %+v for %d wakeups", w.WakeLatency, wakeups)
	}
}

func TestWorkloadServerQueueLimit(t *testing.T) {
	r := runSrc(t, `
[run]
duration = "200ms"
[machine]
cores_per_llc = 1
[[workload]]
kind = "server"
rate = 5000
workers = 2
service = "1ms"
queue_limit = 10
`)
	w := r.Workloads[0]
	if extra(t, w, "queue_max") != 10 || extra(t, w, "dropped") < 500 {
		t.Errorf("overloaded server with a queue limit: %+v", w.Extra)
	}
}

func TestWorkloadBatchShares(t *testing.T) {
	r := runSrc(t, `
[run]
duration = "1s"
[machine]
cores_per_llc = 2
[[workload]]
kind = "batch"
tasks = 4
burst = "3ms"
`)
	w := r.Workloads[0]
	if !near(extra(t, w, "cpus_used"), 2, 0.01) || !near(extra(t, w, "cpu_time"), 2, 0.01) {
		t.Errorf("4 tasks on 2 CPUs: %+v", w.Extra)
	}
	for i := 0; i < 4; i++ {
		if sh := extra(t, w, "share batch0-"+string(rune('0'+i))); !near(sh, 0.5, 0.1) {
			t.Errorf("task %d share %v, want ~0.5", i, sh)
		}
	}
	if r.FairnessTasks != 4 || r.Fairness < 0.99 {
		t.Errorf("fairness %v over %d tasks", r.Fairness, r.FairnessTasks)
	}
}

func TestWorkloadPeriodic(t *testing.T) {
	src := `
[run]
duration = "1s"
warmup = "100ms"
[machine]
cores_per_llc = 2
[[workload]]
kind = "periodic"
tasks = 2
period = "10ms"
run = "RUN"
jitter = "1ms"
affinity = [0]
`
	light := runSrc(t, strings.Replace(src, "RUN", "2ms", 1)).Workloads[0]
	// Jobs released from 100ms on: 90 per task.
	if light.Completed < 175 || light.Completed > 182 || extra(t, light, "deadline_misses") != 0 {
		t.Errorf("light load: %d jobs, %v misses", light.Completed, extra(t, light, "deadline_misses"))
	}
	if light.Latency.P50 < 2e6 || light.Latency.Max > 6e6 {
		t.Errorf("light load response times %+v", light.Latency)
	}
	// Two tasks needing 6ms every 10ms on one CPU cannot both keep up.
	heavy := runSrc(t, strings.Replace(src, "RUN", "6ms", 1)).Workloads[0]
	if extra(t, heavy, "deadline_misses") == 0 || extra(t, heavy, "lateness_max") == 0 {
		t.Errorf("overload: %+v", heavy.Extra)
	}
}

func TestWorkloadMessaging(t *testing.T) {
	src := `
[run]
duration = "1s"
[machine]
cores_per_llc = 2
[[workload]]
kind = "messaging"
name = "hb"
groups = 2
senders = 3
receivers = 4
messages = 50
capacity = CAP
`
	r := runSrc(t, strings.Replace(src, "CAP", "2", 1))
	w := r.Workloads[0]
	if w.Completed != 2*3*4*50 || extra(t, w, "finished") != 1 || extra(t, w, "time_to_finish") <= 0 {
		t.Errorf("bounded hackbench: %d messages, %+v", w.Completed, w.Extra)
	}
	if w.Tasks != 14 {
		t.Errorf("%d tasks", w.Tasks)
	}
	var senderWakeups uint64
	for _, tr := range r.PerTask {
		if tr.Comm == "hb-0" || tr.Comm == "hb-1" || tr.Comm == "hb-2" {
			senderWakeups += tr.Wakeups
		}
	}
	if senderWakeups == 0 {
		t.Errorf("senders never blocked on full queues of capacity 2")
	}
	// Unbounded queues: senders never block.
	r = runSrc(t, strings.Replace(src, "CAP", "0", 1))
	for _, tr := range r.PerTask {
		if strings.HasPrefix(tr.Comm, "hb-") && (tr.Comm == "hb-0" || tr.Comm == "hb-7") && tr.Wakeups != 0 {
			t.Errorf("sender %s woke %d times with unbounded queues", tr.Comm, tr.Wakeups)
		}
	}
	if r.Workloads[0].Completed != 1200 {
		t.Errorf("unbounded: %d messages", r.Workloads[0].Completed)
	}
}

func TestWorkloadSchbench(t *testing.T) {
	r := runSrc(t, `
[run]
duration = "500ms"
[machine]
cores_per_llc = 4
[[workload]]
kind = "schbench"
groups = 2
workers = 3
sleep = "100us"
work = "1ms"
`)
	w := r.Workloads[0]
	if w.Tasks != 8 || w.Completed < 1500 || w.Latency == nil || w.Latency.P50 < 1.1e6 {
		t.Errorf("schbench: %d tasks, %d requests, latency %+v", w.Tasks, w.Completed, w.Latency)
	}
	if w.WakeLatency == nil || w.WakeLatency.Count < w.Completed {
		t.Errorf("wakeup latency %+v for %d requests", w.WakeLatency, w.Completed)
	}
	// Message threads are name-0 and name-4.
	if r.PerTask[0].Comm != "schbench0-0" || r.PerTask[0].Wakeups == 0 || r.PerTask[4].Wakeups == 0 {
		t.Errorf("message threads: %+v %+v", r.PerTask[0], r.PerTask[4])
	}
}

func TestWorkloadPhasesPingPong(t *testing.T) {
	r := runSrc(t, `
[run]
duration = "1s"
[machine]
cores_per_llc = 2
# no waker-side cost: a wake by "all" then never finds pong still running
# (two wakes of a running task count as one, and pong would miss a pass)
wakeup = 0
[[workload]]
kind = "phases"
name = "ping"
tasks = 2
repeat = 100
steps = [{run = "10us"}, {wake = "pong-{i}"}, {block = true}]
[[workload]]
kind = "phases"
name = "pong"
tasks = 2
repeat = 100
steps = [{block = true}, {run = {dist = "exp", mean = "10us"}}, {wake = "ping-{i}"}]
[[workload]]
kind = "phases"
name = "all"
steps = [{sleep = "1ms"}, {wake = "ping"}]
`)
	ping, pong := r.Workloads[0], r.Workloads[1]
	if ping.Completed != 200 || pong.Completed != 200 {
		t.Errorf("ping %d, pong %d passes; want 200 each", ping.Completed, pong.Completed)
	}
	// A wake that finds its target still running is remembered (its next
	// block returns at once) rather than counted as a wakeup.
	for _, tr := range r.PerTask[:4] {
		if tr.Wakeups == 0 {
			t.Errorf("%s woke %d times", tr.Comm, tr.Wakeups)
		}
	}
	if all := r.Workloads[2]; all.Completed < 900 {
		t.Errorf("sleeper passes %d", all.Completed)
	}
}

func TestWorkloadDeterminism(t *testing.T) {
	c, err := LoadConfig("../configs/mixed.toml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []byte {
		d := uint64(300e6)
		s, err := c.Build(&FIFO{}, Overrides{Seed: &seed, Duration: &d})
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Run()
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, other := run(3), run(3), run(4)
	if string(a) != string(b) {
		t.Error("two runs with the same seed differ")
	}
	var ra, ro Result
	if err := json.Unmarshal(a, &ra); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(other, &ro); err != nil {
		t.Fatal(err)
	}
	if ra.ScheduleHash == ro.ScheduleHash {
		t.Error("another seed gives the same schedule")
	}
}

func TestWorkloadValidation(t *testing.T) {
	p := testParams(2)
	cases := []struct {
		w    Workload
		want string
	}{
		{&Batch{WorkloadSpec: WorkloadSpec{Name: "b"}}, "at least one task"},
		{&Server{WorkloadSpec: WorkloadSpec{Name: "s"}, Workers: 1, Rate: -1}, "rate"},
		{&Phases{WorkloadSpec: WorkloadSpec{Name: "p"}, Tasks: 1, Steps: []Step{{Kind: StepWake, Target: "p"}}}, "never let time pass"},
		{&Phases{WorkloadSpec: WorkloadSpec{Name: "p"}, Tasks: 1, Steps: []Step{{Kind: StepBlock}, {Kind: StepWake, Target: "nobody"}}}, "wake target"},
		{&Batch{WorkloadSpec: WorkloadSpec{Name: "b", Affinity: []int{7}}, Tasks: 1}, "affinity CPU 7"},
	}
	for _, c := range cases {
		_, err := NewScenario(p, &FIFO{}, []Workload{c.w})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%T: error %v, want %q", c.w, err, c.want)
		}
	}
	_, err := NewScenario(p, &FIFO{}, []Workload{&Batch{WorkloadSpec: WorkloadSpec{Name: "x"}, Tasks: 1},
		&Batch{WorkloadSpec: WorkloadSpec{Name: "x"}, Tasks: 1}})
	if err == nil || !strings.Contains(err.Error(), "two workloads") {
		t.Errorf("duplicate names: %v", err)
	}
}

// TestSamplerAsDistuv: the draws Sampler writes out give exactly distuv's
// values from the same stream.
func TestSamplerAsDistuv(t *testing.T) {
	for _, d := range []Dist{
		{Kind: DistExp, Mean: 1e6},
		{Kind: DistUniform, Min: 1e3, Max: 5e5},
		{Kind: DistNormal, Mean: 1e5, Stddev: 3e4},
		{Kind: DistLogNormal, Mu: 11, Sigma: 0.7},
	} {
		fast := d.NewSampler(rand.New(rand.NewPCG(1, 2)))
		if fast.kind == sampleRander {
			t.Fatalf("%s: not written out", d.Kind)
		}
		ref := d.NewSampler(nil)
		ref.kind = sampleRander
		switch r := rand.New(rand.NewPCG(1, 2)); d.Kind {
		case DistExp:
			ref.rnd = distuv.Exponential{Rate: 1 / d.Mean, Src: r}
		case DistUniform:
			ref.rnd = distuv.Uniform{Min: d.Min, Max: d.Max, Src: r}
		case DistNormal:
			ref.rnd = distuv.Normal{Mu: d.Mean, Sigma: d.Stddev, Src: r}
		case DistLogNormal:
			ref.rnd = distuv.LogNormal{Mu: d.Mu, Sigma: d.Sigma, Src: r}
		}
		for i := range 10000 {
			if a, b := fast.Sample(), ref.Sample(); a != b {
				t.Fatalf("%s: draw %d: %d, distuv %d", d.Kind, i, a, b)
			}
		}
	}
}
