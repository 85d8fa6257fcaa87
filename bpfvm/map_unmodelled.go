package bpfvm

// unmodelledMap stands for a map of a type schedsim does not simulate
// (program arrays, sockmaps, stack traces, bloom filters, socket
// storage...): the object loads, so that its other programs can be
// verified and run, but the map holds nothing. The verifier rejects every
// program that references one ("not modelled", MapTypeModelled); should an
// unverified program pass its address to a helper anyway, lookups find
// nothing and updates fail.
type unmodelledMap struct{ mapBase }

// MapTypeModelled reports whether schedsim simulates maps of type t (a map
// of another type loads as an empty placeholder).
func MapTypeModelled(t MapType) bool {
	switch t {
	case MapArray, MapPerfEventArray, MapPercpuArray, MapHash, MapLRUHash, MapPercpuHash,
		MapLRUPercpuHash, MapQueue, MapStack, MapArrayOfMaps, MapArena, MapRingbuf, MapUserRingbuf,
		MapTaskStorage, MapCgrpStorage, MapStructOps:
		return true
	}
	return false
}

func newUnmodelledMap(vm *VM, spec *MapSpec) (*unmodelledMap, error) {
	m := &unmodelledMap{}
	if err := m.init(vm, spec); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *unmodelledMap) ValueAddr(uint32) (uint64, bool) { return 0, false }
func (m *unmodelledMap) Lookup([]byte) ([]byte, error) {
	return nil, m.errf(ErrNotSupported, "lookup in a %s map (not modelled)", mapTypeName(m.spec.Type))
}
func (m *unmodelledMap) Update([]byte, []byte, uint64) error {
	return m.errf(ErrNotSupported, "update of a %s map (not modelled)", mapTypeName(m.spec.Type))
}
func (m *unmodelledMap) Delete([]byte) error {
	return m.errf(ErrNotSupported, "delete in a %s map (not modelled)", mapTypeName(m.spec.Type))
}
func (m *unmodelledMap) Iterate(func(key, value []byte) bool) {}
func (m *unmodelledMap) Len() int                             { return 0 }
func (m *unmodelledMap) lookupElem(int, []byte) uint64        { return 0 }
func (m *unmodelledMap) updateElem(int, []byte, []byte, uint64) error {
	return m.Update(nil, nil, 0)
}
func (m *unmodelledMap) deleteElem([]byte) error { return m.Delete(nil) }
