package bpfvm

// Map is a BPF map living in a VM's linear memory.
type Map interface {
	// Name is the map's name in the object (or the section for globals).
	Name() string
	// Addr is what LD_IMM64 with PseudoMapIdx yields: the address of the
	// map's descriptor in linear memory. Helpers map it back to the Map.
	Addr() uint64
	// ValueAddr is what LD_IMM64 with PseudoMapIdxValue yields for offset
	// off: the address of the single value of an array map with one entry
	// (global sections). ok is false for other maps.
	ValueAddr(off uint32) (addr uint64, ok bool)
}
