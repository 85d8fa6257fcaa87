package sim

import "strconv"

// System noise: time that interrupts, softirqs and kernel threads take
// from the tasks of a CPU, which the sched_ext policy does not schedule.
// Each source runs on every CPU of its set, with its own random stream:
//
//   - Timer: the periodic timer interrupt, TimerCost at every tick
//     (Params.HZ), whether the CPU is busy or idle.
//   - IRQ: device interrupts arriving as a Poisson process of IRQRate per
//     second per CPU, each lasting a sample of IRQ.
//   - Kworker: bursts of kernel-thread work, separated by exponential
//     gaps of mean KworkerEvery, each lasting a sample of Kworker (run as
//     a kthread of a higher class would: the policy never sees it).
//
// While noise runs, the CPU's task makes no progress and its slice does
// not shrink (IRQ_TIME_ACCOUNTING: clock_task excludes it); the time is
// counted as the CPU's Noise. With a fraction f of a CPU taken, a
// CPU-bound task on it gets 1-f of it (TestNoiseTakesItsFraction).
type Noise struct {
	// CPUs the sources run on; empty means all.
	CPUs         []int
	TimerCost    uint64
	IRQRate      float64
	IRQ          Dist
	KworkerEvery uint64
	Kworker      Dist
}

// Fraction is the expected share of a CPU the sources take.
func (n *Noise) Fraction(hz int) float64 {
	f := float64(n.TimerCost) * float64(hz) / 1e9
	f += n.IRQRate * n.IRQ.MeanNs() / 1e9
	if n.KworkerEvery > 0 {
		f += n.Kworker.MeanNs() / float64(n.KworkerEvery)
	}
	return f
}

func (n *Noise) active() bool {
	return n != nil && (n.TimerCost > 0 || n.IRQRate > 0 || n.KworkerEvery > 0)
}

// armNoise starts every noise source on every CPU of its set.
func (m *Machine) armNoise() {
	n := m.P.Noise
	if !n.active() {
		return
	}
	cpus := n.CPUs
	if len(cpus) == 0 {
		for i := range m.cpus {
			cpus = append(cpus, i)
		}
	}
	period := uint64(1e9 / m.P.HZ)
	for _, cpu := range cpus {
		if cpu < 0 || cpu >= len(m.cpus) {
			continue
		}
		cpu := cpu
		if n.TimerCost > 0 {
			var tick func()
			tick = func() {
				m.steal(cpu, n.TimerCost)
				m.AtOn(m.now+period, cpu, tick)
			}
			m.AtOn(period, cpu, tick)
		}
		if n.IRQRate > 0 {
			gap := m.Rand("noise/irq/gap/" + strconv.Itoa(cpu))
			dur := n.IRQ.NewSampler(m.Rand("noise/irq/len/" + strconv.Itoa(cpu)))
			mean := 1e9 / n.IRQRate
			var irq func()
			irq = func() {
				m.steal(cpu, dur.Sample())
				m.AtOn(m.now+uint64(gap.ExpFloat64()*mean)+1, cpu, irq)
			}
			m.AtOn(uint64(gap.ExpFloat64()*mean)+1, cpu, irq)
		}
		if n.KworkerEvery > 0 {
			gap := m.Rand("noise/kworker/gap/" + strconv.Itoa(cpu))
			dur := n.Kworker.NewSampler(m.Rand("noise/kworker/len/" + strconv.Itoa(cpu)))
			mean := float64(n.KworkerEvery)
			var kw func()
			kw = func() {
				m.steal(cpu, dur.Sample())
				m.AtOn(m.now+uint64(gap.ExpFloat64()*mean)+1, cpu, kw)
			}
			m.AtOn(uint64(gap.ExpFloat64()*mean)+1, cpu, kw)
		}
	}
}

// steal takes ns of cpu's time for noise: its task (running, or being
// switched in) progresses that much later. Noise that arrives while
// earlier noise is still running waits for it.
func (m *Machine) steal(cpu int, ns uint64) {
	if ns == 0 {
		return
	}
	c := m.cpus[cpu]
	from := max(c.noiseUntil, m.now)
	c.noiseUntil = from + ns
	c.Stats.Noise += ns
	if t := c.curr; t != nil {
		m.account(c)
		t.runStart = max(t.runStart, from) + ns
		t.lastAcct = max(t.lastAcct, t.runStart)
		m.armCompletion(c)
	}
}
