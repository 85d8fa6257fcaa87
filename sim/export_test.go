package sim

// SetEagerArms makes m push every armed completion at once (the behaviour
// before Machine.flushArms), for tests that compare the two.
func SetEagerArms(m *Machine) { m.eagerArms = true }
