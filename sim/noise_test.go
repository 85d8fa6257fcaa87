package sim

import (
	"math"
	"strings"
	"testing"
)

// With a fraction f of a CPU taken by noise, a CPU-bound task alone on it
// gets 1-f of it, within 1%: each source alone and all three together
// (f = 2% + 2% + 2%: 20 us at every 1 ms tick; 2000 interrupts a second
// of exp(10 us); kworker bursts of uniform(100, 300) us every 10 ms on
// average).
func TestNoiseTakesItsFraction(t *testing.T) {
	timer := Noise{TimerCost: 20_000}
	irq := Noise{IRQRate: 2000, IRQ: Exp(10_000)}
	kw := Noise{KworkerEvery: 10e6, Kworker: Uniform(100_000, 300_000)}
	all := Noise{TimerCost: 20_000, IRQRate: 2000, IRQ: Exp(10_000), KworkerEvery: 10e6, Kworker: Uniform(100_000, 300_000)}
	for _, c := range []struct {
		name string
		n    Noise
	}{{"timer", timer}, {"irq", irq}, {"kworker", kw}, {"all", all}} {
		p := testParams(1)
		p.Duration = 10e9
		p.Noise = &c.n
		f := c.n.Fraction(p.HZ)
		m := mustMachine(t, p, &FIFO{})
		task, _ := m.Spawn(TaskSpec{Comm: "batch", Behavior: loop(1e8)})
		r, _ := m.Run()
		got := float64(task.Stats.Runtime) / float64(p.Duration)
		if want := 1 - f; math.Abs(got-want)/want > 0.01 {
			t.Errorf("%s: f = %.4f; the task got %.4f of the CPU, want %.4f", c.name, f, got, want)
		}
		if math.Abs(r.NoiseTime-f)/f > 0.05 {
			t.Errorf("%s: noise time %.4f, want about %.4f", c.name, r.NoiseTime, f)
		}
	}
}

// Noise on other CPUs does not touch a task's CPU.
func TestNoiseOnlyOnItsCPUs(t *testing.T) {
	p := testParams(2)
	p.Noise = &Noise{CPUs: []int{1}, TimerCost: 100_000}
	m := mustMachine(t, p, &FIFO{})
	task, _ := m.Spawn(TaskSpec{Comm: "batch", Affinity: []int{0}, Behavior: loop(1e8)})
	r, _ := m.Run()
	if task.Stats.Runtime != p.Duration {
		t.Errorf("the task on CPU 0 ran %d ns of %d", task.Stats.Runtime, p.Duration)
	}
	if r.PerCPU[1].Noise < 0.099 || r.PerCPU[0].Noise != 0 {
		t.Errorf("per-CPU noise %+v", r.PerCPU)
	}
}

func TestNoiseConfig(t *testing.T) {
	c, err := ParseConfig("n.toml", []byte(`
[machine]
hz = 250
[machine.noise]
cpus = "0-1"
timer = "4us"
irq_rate = 1000
irq = {dist = "exp", mean = "5us"}
kworker_every = "10ms"
kworker = {dist = "uniform", min = "50us", max = "150us"}
`))
	if err != nil {
		t.Fatal(err)
	}
	n := c.Machine.Noise
	if n == nil || len(n.CPUs) != 2 || n.TimerCost != 4000 || n.IRQRate != 1000 || n.IRQ.MeanNs() != 5000 || n.KworkerEvery != 10e6 {
		t.Fatalf("noise %+v", n)
	}
	// 4us*250 + 1000*5us + 100us/10ms = 0.1% + 0.5% + 1%
	if f := n.Fraction(250); math.Abs(f-0.016) > 1e-12 {
		t.Errorf("fraction %g", f)
	}
	_, err = ParseConfig("n.toml", []byte("[machine.noise]\nirq_rate = 10\n"))
	if err == nil || !strings.Contains(err.Error(), "machine.noise.irq: missing key") {
		t.Errorf("irq_rate without irq: %v", err)
	}
}
