package sim

import (
	"fmt"
	"strconv"
)

// Messaging is hackbench: Groups groups of Senders senders and Receivers
// receivers. Each sender sends Messages rounds (0: forever); in a round it
// sends one message to every receiver of its group, in order. A send costs
// SendCost of CPU and wakes the receiver if it waits; a receiver consumes
// each message with RecvCost of CPU. With Capacity > 0 each receiver's
// queue (a pipe or socket) holds at most Capacity messages and a sender
// finding it full blocks until the receiver drains one.
//
// Tasks are numbered group by group, senders first: name-0 ... name-(S-1)
// are group 0's senders, name-S ... its receivers, and so on.
//
// It measures each message's latency (from the end of its send to the end
// of its consumption), messages per second, and, for a bounded run, the
// time all receivers took to get every message.
type Messaging struct {
	WorkloadSpec
	Groups, Senders, Receivers int
	Messages                   int
	SendCost, RecvCost         Dist
	Capacity                   int
}

func (w *Messaging) Kind() string  { return "messaging" }
func (w *Messaging) NumTasks() int { return w.Groups * (w.Senders + w.Receivers) }

func (w *Messaging) Validate() error {
	if err := w.validate(); err != nil {
		return err
	}
	if w.Groups < 1 || w.Senders < 1 || w.Receivers < 1 {
		return fmt.Errorf("messaging %s: groups, senders and receivers must be at least 1", w.Name)
	}
	if w.Messages < 0 || w.Capacity < 0 {
		return fmt.Errorf("messaging %s: messages and capacity must be >= 0", w.Name)
	}
	if err := w.SendCost.Validate(); err != nil {
		return fmt.Errorf("messaging %s: send_cost: %w", w.Name, err)
	}
	if err := w.RecvCost.Validate(); err != nil {
		return fmt.Errorf("messaging %s: recv_cost: %w", w.Name, err)
	}
	return nil
}

type msgQueue struct {
	sent     []uint64 // send times of queued messages; head at head
	head     int
	reserved int // slots taken by sends in progress
	rcv      *msgReceiver
	writers  []*msgSender // senders blocked on a full queue, FIFO
}

func (q *msgQueue) len() int { return len(q.sent) - q.head }

type messagingState struct {
	w          *Messaging
	lat        Histogram
	received   uint64 // after the warmup
	total      uint64 // all
	expected   uint64
	finishedAt uint64
	start      uint64
	tr         tracker
}

type msgSender struct {
	st      *messagingState
	queues  []*msgQueue
	cost    *Sampler
	t       *Task
	round   int
	r       int
	sending bool
	blocked bool
}

type msgReceiver struct {
	st        *messagingState
	q         *msgQueue
	cost      *Sampler
	t         *Task
	got       int
	want      int // 0: forever
	sentAt    uint64
	consuming bool
	waiting   bool
}

func (s *msgSender) Next(m *Machine, t *Task) Action {
	if s.sending {
		s.sending = false
		q := s.queues[s.r]
		q.reserved--
		q.sent = append(q.sent, m.Now())
		if rc := q.rcv; rc.waiting {
			rc.waiting = false
			m.Wake(rc.t)
		}
		s.r++
		if s.r == len(s.queues) {
			s.r = 0
			s.round++
		}
	}
	if n := s.st.w.Messages; n > 0 && s.round == n {
		return Exit()
	}
	q := s.queues[s.r]
	if c := s.st.w.Capacity; c > 0 && q.len()+q.reserved >= c {
		if !s.blocked {
			s.blocked = true
			q.writers = append(q.writers, s)
		}
		return Block()
	}
	q.reserved++
	s.sending = true
	return Run(s.cost.Sample())
}

func (r *msgReceiver) Next(m *Machine, t *Task) Action {
	st := r.st
	if r.consuming {
		r.consuming = false
		r.got++
		st.total++
		if m.Now() >= m.P.Warmup {
			st.received++
			m.request(&st.lat, t.Group, m.Now()-r.sentAt)
		}
		if r.want > 0 && r.got == r.want {
			if st.total == st.expected {
				st.finishedAt = m.Now()
			}
			return Exit()
		}
	}
	q := r.q
	if q.len() == 0 {
		r.waiting = true
		return Block()
	}
	r.sentAt = q.sent[q.head]
	q.head++
	if q.head > 1024 && q.head*2 > len(q.sent) {
		q.sent = append(q.sent[:0], q.sent[q.head:]...)
		q.head = 0
	}
	if len(q.writers) > 0 { // a slot is free: wake the first blocked sender
		s := q.writers[0]
		q.writers = q.writers[1:]
		s.blocked = false
		m.Wake(s.t)
	}
	r.consuming = true
	return Run(r.cost.Sample())
}

func (w *Messaging) Install(s *Scenario, group int) error {
	m := s.Machine
	st := &messagingState{w: w}
	if w.Messages > 0 {
		st.expected = uint64(w.Groups) * uint64(w.Senders) * uint64(w.Receivers) * uint64(w.Messages)
	}
	s.startAt(w, func() error {
		st.start = m.Now()
		idx := 0
		for g := 0; g < w.Groups; g++ {
			queues := make([]*msgQueue, w.Receivers)
			rcvs := make([]*msgReceiver, w.Receivers)
			for j := range queues {
				queues[j] = &msgQueue{}
				rcvs[j] = &msgReceiver{st: st, q: queues[j], want: w.Senders * w.Messages}
				queues[j].rcv = rcvs[j]
			}
			for j := 0; j < w.Senders; j++ {
				snd := &msgSender{st: st, queues: queues,
					cost: w.SendCost.NewSampler(m.Rand("workload/" + w.Name + "/task/" + strconv.Itoa(idx)))}
				t, err := s.spawn(w, group, idx, &st.tr, snd)
				if err != nil {
					return err
				}
				snd.t = t
				idx++
			}
			for _, rc := range rcvs {
				rc.cost = w.RecvCost.NewSampler(m.Rand("workload/" + w.Name + "/task/" + strconv.Itoa(idx)))
				t, err := s.spawn(w, group, idx, &st.tr, rc)
				if err != nil {
					return err
				}
				rc.t = t
				idx++
			}
		}
		return nil
	})
	m.AddReporter(reporterFunc(func(m *Machine) WorkloadResult {
		r := baseResult(w, s, group, &st.tr)
		r.Completed = st.received
		secs := measured(m)
		if st.finishedAt > 0 && st.finishedAt > m.P.Warmup {
			secs = float64(st.finishedAt-max(m.P.Warmup, st.start)) / 1e9
		}
		r.Throughput = perSecond(st.received, secs)
		if st.lat.Count() > 0 {
			r.Latency = summary(&st.lat)
		}
		r.Extra = []Stat{stat("messages", float64(st.total), "")}
		if st.expected > 0 {
			done := 0.0
			if st.finishedAt > 0 {
				done = 1
				r.Extra = append(r.Extra, stat("time_to_finish", float64(st.finishedAt-st.start)/1e6, "ms"))
			}
			r.Extra = append(r.Extra, stat("finished", done, ""),
				stat("progress", float64(st.total)/float64(st.expected), ""))
		}
		return r
	}))
	return nil
}
