package traces

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of Perfetto's trace protos (github.com/google/perfetto,
// protos/perfetto/..., Apache-2.0; read at commit ec5d16b1, Aug 2026). We
// encode these fields by hand with protowire rather than generate code
// from the .proto files: a writer needs a few dozen fields out of
// thousands of messages (docs/architecture.md, RATIONALE).
const (
	// trace/trace.proto: Trace
	fTracePacket = 1 // repeated TracePacket packet

	// trace/trace_packet.proto: TracePacket
	fPacketFtraceEvents     = 1  // FtraceEventBundle ftrace_events
	fPacketTimestamp        = 8  // uint64 timestamp
	fPacketSeqID            = 10 // uint32 trusted_packet_sequence_id
	fPacketTrackEvent       = 11 // TrackEvent track_event
	fPacketInternedData     = 12 // InternedData interned_data
	fPacketSequenceFlags    = 13 // uint32 sequence_flags
	fPacketSystemInfo       = 45 // SystemInfo system_info
	fPacketTrackDescriptor  = 60 // TrackDescriptor track_descriptor
	fPacketFirstOnSequence  = 87 // bool first_packet_on_sequence
	seqIncrementalCleared   = 1  // SEQ_INCREMENTAL_STATE_CLEARED
	seqNeedsIncrementalStat = 2  // SEQ_NEEDS_INCREMENTAL_STATE

	// common/system_info.proto: SystemInfo.utsname = 1; Utsname
	fSysInfoUtsname = 1
	fUtsSysname     = 1
	fUtsRelease     = 3
	fUtsMachine     = 4

	// trace/ftrace/ftrace_event_bundle.proto: FtraceEventBundle
	fBundleCPU   = 1 // uint32 cpu
	fBundleEvent = 2 // repeated FtraceEvent event

	// trace/ftrace/ftrace_event.proto: FtraceEvent
	fFtraceTimestamp   = 1 // uint64 timestamp
	fFtracePid         = 2 // uint32 pid (the current task)
	fFtraceCommonFlags = 5 // uint32 common_flags
	// common_flags bits (the kernel's enum trace_flag_type)
	traceFlagIrqsOff        = 0x01
	traceFlagHardirq        = 0x08
	fFtraceSchedSwitch      = 4   // SchedSwitchFtraceEvent
	fFtraceSchedWakeup      = 17  // SchedWakeupFtraceEvent
	fFtraceSchedWaking      = 20  // SchedWakingFtraceEvent
	fFtraceSchedWakeupNew   = 114 // SchedWakeupNewFtraceEvent
	fFtraceSchedProcessExit = 238 // SchedProcessExitFtraceEvent

	// trace/ftrace/sched.proto: SchedSwitchFtraceEvent
	fSwPrevComm  = 1
	fSwPrevPid   = 2
	fSwPrevPrio  = 3
	fSwPrevState = 4 // int64
	fSwNextComm  = 5
	fSwNextPid   = 6
	fSwNextPrio  = 7
	// SchedWaking/SchedWakeup/SchedWakeupNewFtraceEvent
	fWkComm      = 1
	fWkPid       = 2
	fWkPrio      = 3
	fWkSuccess   = 4
	fWkTargetCPU = 5
	// SchedProcessExitFtraceEvent
	fExComm = 1
	fExPid  = 2
	fExTgid = 3
	fExPrio = 4

	// trace/track_event/track_descriptor.proto: TrackDescriptor
	fTdUUID    = 1
	fTdName    = 2
	fTdProcess = 3
	fTdThread  = 4
	fTdParent  = 5
	fTdCounter = 8
	// process_descriptor.proto: ProcessDescriptor
	fPdPid  = 1
	fPdName = 6
	// thread_descriptor.proto: ThreadDescriptor
	fThPid  = 1
	fThTid  = 2
	fThName = 5
	// counter_descriptor.proto: CounterDescriptor.unit, UNIT_COUNT
	fCdUnit    = 3
	unitTimeNs = 1
	unitCount  = 2

	// trace/track_event/track_event.proto: TrackEvent
	fTeDebugAnnotations = 4
	fTeType             = 9
	fTeTrackUUID        = 11
	fTeName             = 23
	fTeCounterValue     = 30 // int64
	fTeDoubleCounter    = 44 // double
	teSliceBegin        = 1
	teSliceEnd          = 2
	teInstant           = 3
	teCounter           = 4
	fTeNameIID          = 10 // uint64 name_iid
	// debug_annotation.proto: DebugAnnotation
	fDaNameIID        = 1
	fDaUintValue      = 3
	fDaIntValue       = 4
	fDaStringValue    = 6
	fDaName           = 10
	fDaStringValueIID = 17

	// trace/interned_data/interned_data.proto: InternedData; its entries
	// (EventName, DebugAnnotationName, InternedString) all have iid = 1
	// and name (or str) = 2.
	fInternEventNames = 2
	fInternAnnNames   = 3
	fInternAnnStrings = 29
	fInternedIID      = 1
	fInternedName     = 2
)

// msg appends protobuf fields to a buffer.
type msg []byte

func (m msg) uint(num protowire.Number, v uint64) msg {
	m = protowire.AppendTag(m, num, protowire.VarintType)
	return protowire.AppendVarint(m, v)
}

func (m msg) int(num protowire.Number, v int64) msg { return m.uint(num, uint64(v)) }

func (m msg) double(num protowire.Number, v float64) msg {
	m = protowire.AppendTag(m, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(m, math.Float64bits(v))
}

func (m msg) str(num protowire.Number, s string) msg {
	m = protowire.AppendTag(m, num, protowire.BytesType)
	return protowire.AppendString(m, s)
}

func (m msg) bytes(num protowire.Number, b []byte) msg {
	m = protowire.AppendTag(m, num, protowire.BytesType)
	return protowire.AppendBytes(m, b)
}
