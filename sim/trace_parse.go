package sim

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// This file reads the scheduler events of a kernel trace in text form:
//
//   - the tracing "trace" file (and trace_pipe, trace-cmd report, whose
//     lines have the same shape with or without the irq-info column):
//     <comm>-<pid> [cpu] [flags] secs.frac: event: fields
//   - perf sched script / perf script:
//     <comm> <pid>[/<tid>] [cpu] secs.frac: [sched:]event: fields
//
// with event fields either as the kernel's TP_printk prints them
// (include/trace/events/sched.h: "prev_comm=... ==> next_comm=...") or
// as libtraceevent's sched plugin does (trace-cmd report, perf:
// "comm:pid [prio] S ==> comm:pid [prio]"). Events other than the sched
// events replay uses are skipped; a malformed line is an error at its
// file:line:col.

type schedKind uint8

const (
	kSwitch schedKind = iota + 1
	kWaking
	kWakeup
	kWakeupNew
	kExit
	kFork
)

var schedEvents = map[string]schedKind{
	"sched_switch": kSwitch, "sched_waking": kWaking, "sched_wakeup": kWakeup,
	"sched_wakeup_new": kWakeupNew, "sched_process_exit": kExit, "sched_process_fork": kFork,
}

// schedEvent is one sched event of a trace.
type schedEvent struct {
	line   int
	kind   schedKind
	ts     uint64 // ns
	cpu    int
	curPID int32 // the task current on the CPU (the event's context)
	// switch: prev and next; waking/wakeup/exit: pid, comm; fork: parent
	// (prev) and child (next)
	prevPID, nextPID   int32
	prevComm, nextComm string
	prevPrio, nextPrio int
	prevState          string
	target             int  // wakeups: target_cpu
	irq                bool // in hard or soft interrupt context (irq-info flags)
}

// lineRE matches the context of an event line: comm and pid (ftrace
// "comm-pid", perf "comm pid" or "comm pid/tid"), an optional tgid column
// "(  123)", the CPU, optional irq flags, the timestamp and the event.
var lineRE = regexp.MustCompile(`^\s*(.*?)[- ](\d+)(?:/(\d+))?\s+(?:\(\s*[-\d]+\)\s+)?\[(\d{1,5})\]\s+(?:([^\s\[\]:]{4,5})\s+)?(\d+)\.(\d+):\s+(?:\w+:)?(\w+):\s*(.*)$`)

// parseSchedTrace reads the sched events of a trace text; name is the file
// name errors give.
func parseSchedTrace(name string, r io.Reader) ([]schedEvent, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var evs []schedEvent
	ln := 0
	errAt := func(col int, format string, args ...any) error {
		return &ConfigError{Pos: Pos{File: name, Line: ln, Col: col}, Msg: fmt.Sprintf(format, args...)}
	}
	for sc.Scan() {
		ln++
		s := sc.Text()
		t := strings.TrimSpace(s)
		if t == "" || t[0] == '#' || strings.HasPrefix(t, "cpus=") || strings.HasPrefix(t, "version =") ||
			strings.HasPrefix(t, "CPU ") && strings.Contains(t, "is empty") ||
			strings.Contains(t, "LOST") && strings.Contains(t, "EVENTS") {
			// headers, comments and trace-cmd's notes ("CPU:2 [LOST 17
			// EVENTS]"): a lost stretch is read as if nothing happened
			continue
		}
		m := lineRE.FindStringSubmatchIndex(s)
		if m == nil {
			return nil, errAt(1, "not a trace line: expected <comm>-<pid> [cpu] <secs>.<usecs>: <event>: <fields> (ftrace) or <comm> <pid> [cpu] <secs>.<usecs>: <event>: <fields> (perf script)")
		}
		sub := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		kind, ok := schedEvents[sub(8)]
		if !ok {
			continue
		}
		e := schedEvent{line: ln, kind: kind}
		pidStr := sub(2)
		if sub(3) != "" { // perf's pid/tid: the tid is the task
			pidStr = sub(3)
		}
		cur, err := strconv.ParseInt(pidStr, 10, 32)
		if err != nil {
			return nil, errAt(m[4]+1, "bad pid %q", pidStr)
		}
		e.curPID = int32(cur)
		cpu, _ := strconv.Atoi(sub(4))
		e.cpu = cpu
		if fl := sub(5); len(fl) >= 3 && strings.ContainsRune("hHszZ", rune(fl[2])) {
			e.irq = true
		}
		secs, err1 := strconv.ParseUint(sub(6), 10, 64)
		frac := sub(7)
		fr, err2 := strconv.ParseUint(frac, 10, 64)
		if err1 != nil || err2 != nil || len(frac) > 9 || secs > 1<<33 {
			return nil, errAt(m[12]+1, "bad timestamp %s.%s", sub(6), frac)
		}
		for i := len(frac); i < 9; i++ {
			fr *= 10
		}
		e.ts = secs*1e9 + fr
		body, bcol := sub(9), m[18]+1
		if err := e.fields(body); err != nil {
			if fe, ok := err.(*fieldError); ok {
				bcol += fe.at
			}
			return nil, errAt(bcol, "%s: %v (in %q)", sub(8), err, body)
		}
		evs = append(evs, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return evs, nil
}

// Field layouts of the kernel's TP_printk formats.
var (
	switchKeys = []string{"prev_comm", "prev_pid", "prev_prio", "prev_state", "next_comm", "next_pid", "next_prio"}
	wakeKeys   = []string{"comm", "pid", "prio", "target_cpu"}
	exitKeys   = []string{"comm", "pid", "prio"}
	forkKeys   = []string{"comm", "pid", "child_comm", "child_pid"}
	// libtraceevent's sched plugin
	switchShortRE = regexp.MustCompile(`^(.*):(\d+) \[(-?\d+)\] (\S+) ==> (.*):(\d+) \[(-?\d+)\]$`)
	wakeShortRE   = regexp.MustCompile(`^(.*):(\d+) \[(-?\d+)\](?: success=\d+)? CPU:(\d+)$`)
)

// fieldError is a problem at byte offset at of an event's fields.
type fieldError struct {
	at  int
	msg string
}

func (e *fieldError) Error() string { return e.msg }

// keyValues splits "k1=v1 k2=v2 ..." with the keys in the given order;
// values may hold spaces (comms do), and "==>" separates switch halves.
func keyValues(body string, keys []string) (map[string]string, error) {
	vals := make(map[string]string, len(keys))
	rest := body
	for i, k := range keys {
		if !strings.HasPrefix(rest, k+"=") {
			return nil, &fieldError{at: len(body) - len(rest), msg: "expected " + k + "="}
		}
		rest = rest[len(k)+1:]
		end := len(rest)
		if i+1 < len(keys) {
			next := " " + keys[i+1] + "="
			if keys[i+1] == "next_comm" {
				next = " ==> next_comm="
			}
			j := strings.Index(rest, next)
			if j < 0 {
				return nil, &fieldError{at: len(body) - len(rest), msg: fmt.Sprintf("expected %s= after %s", keys[i+1], k)}
			}
			end = j
			vals[k] = rest[:end]
			rest = strings.TrimPrefix(rest[end+1:], "==> ")
			continue
		}
		// The last value ends at a space (sched_process_exit has had a
		// group_dead field added after prio since Linux 6.16).
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			end = j
		}
		vals[k] = rest[:end]
	}
	return vals, nil
}

// atoi32 reads the value s of field what in body.
func atoi32(body, s, what string) (int32, error) {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		at := strings.Index(body, what+"="+s)
		if at >= 0 {
			at += len(what) + 1
		} else {
			at = max(strings.Index(body, s), 0)
		}
		return 0, &fieldError{at: at, msg: fmt.Sprintf("%s %q is not an integer", what, s)}
	}
	return int32(v), nil
}

func (e *schedEvent) fields(body string) error {
	var err error
	ints := func(dst *int32, s, what string) {
		if err == nil {
			*dst, err = atoi32(body, s, what)
		}
	}
	var p1, p2 int32
	switch e.kind {
	case kSwitch:
		if m := switchShortRE.FindStringSubmatch(body); m != nil && !strings.Contains(body, "prev_comm=") {
			e.prevComm, e.prevState, e.nextComm = m[1], m[4], m[5]
			ints(&e.prevPID, m[2], "prev pid")
			ints(&p1, m[3], "prev prio")
			ints(&e.nextPID, m[6], "next pid")
			ints(&p2, m[7], "next prio")
			break
		}
		v, kerr := keyValues(body, switchKeys)
		if kerr != nil {
			return kerr
		}
		e.prevComm, e.prevState, e.nextComm = v["prev_comm"], v["prev_state"], v["next_comm"]
		ints(&e.prevPID, v["prev_pid"], "prev_pid")
		ints(&p1, v["prev_prio"], "prev_prio")
		ints(&e.nextPID, v["next_pid"], "next_pid")
		ints(&p2, v["next_prio"], "next_prio")
	case kWaking, kWakeup, kWakeupNew:
		var tgt int32
		if m := wakeShortRE.FindStringSubmatch(body); m != nil && !strings.Contains(body, "comm=") {
			e.prevComm = m[1]
			ints(&e.prevPID, m[2], "pid")
			ints(&p1, m[3], "prio")
			ints(&tgt, m[4], "CPU")
		} else {
			keys := wakeKeys
			if strings.Contains(body, " success=") { // kernels before 4.3
				keys = []string{"comm", "pid", "prio", "success", "target_cpu"}
			}
			v, kerr := keyValues(body, keys)
			if kerr != nil {
				return kerr
			}
			e.prevComm = v["comm"]
			ints(&e.prevPID, v["pid"], "pid")
			ints(&p1, v["prio"], "prio")
			ints(&tgt, v["target_cpu"], "target_cpu")
		}
		e.target = int(tgt)
	case kExit:
		v, kerr := keyValues(body, exitKeys)
		if kerr != nil {
			return kerr
		}
		e.prevComm = v["comm"]
		ints(&e.prevPID, v["pid"], "pid")
		ints(&p1, v["prio"], "prio")
	case kFork:
		v, kerr := keyValues(body, forkKeys)
		if kerr != nil {
			return kerr
		}
		e.prevComm, e.nextComm = v["comm"], v["child_comm"]
		ints(&e.prevPID, v["pid"], "pid")
		ints(&e.nextPID, v["child_pid"], "child_pid")
	}
	e.prevPrio, e.nextPrio = int(p1), int(p2)
	return err
}
