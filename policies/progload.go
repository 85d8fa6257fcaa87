package policies

import (
	"fmt"
	"strings"

	"github.com/schedsim/schedsim/bpfvm"
)

// Which of an object's programs besides its struct_ops callbacks are
// loaded, as libbpf and a scheduler's user space decide:
//
//   - SEC("?...") programs have autoload off (libbpf's section prefix "?",
//     bpf_program__set_autoload(false)): they are neither loaded nor
//     verified unless the recipe turns them on (autoload = ["name"], user
//     space's set_autoload(true)); a recipe cannot run one that is off;
//   - tracing programs (fentry/fexit, tp_btf, kprobe, tracepoint,
//     raw_tracepoint, perf_event, lsm) have nothing to attach to in
//     schedsim: they are skipped (not verified, never run), with a note.
//
// Everything else (SEC("syscall") programs) is loaded and verified.
func (b *BPFPolicy) classifyPrograms() {
	b.unloaded = map[string]string{}
	var off, skipped []string
	for _, p := range b.inst.Programs {
		if p.StructOpsMember != "" {
			continue
		}
		if strings.HasPrefix(p.Section, "?") && !b.recipe.autoloads(p.Name) {
			b.unloaded[p.Name] = fmt.Sprintf("its section %q starts with \"?\" (autoload off); a recipe turns it on with autoload = [%q]", p.Section, p.Name)
			off = append(off, p.Name)
			continue
		}
		if notAttached(ProgramType(p.Section)) {
			b.unloaded[p.Name] = fmt.Sprintf("%s programs (SEC(%q)) are not attached in schedsim", ProgramType(p.Section), p.Section)
			skipped = append(skipped, p.Name+" ("+strings.TrimPrefix(p.Section, "?")+")")
		}
	}
	var parts []string
	if len(off) > 0 {
		parts = append(parts, "not loaded (SEC(\"?...\"), autoload off): "+strings.Join(off, ", "))
	}
	if len(skipped) > 0 {
		parts = append(parts, "skipped (tracing programs are not attached): "+strings.Join(skipped, ", "))
	}
	b.ProgramNote = strings.Join(parts, "; ")
}

// notAttached: program types schedsim has no attach point for.
func notAttached(typ string) bool {
	switch typ {
	case "tracing", "kprobe", "tracepoint", "raw_tracepoint", "perf_event", "lsm":
		return true
	}
	return false
}

// autoloads reports whether the recipe turns program name's autoload on.
func (r *Recipe) autoloads(name string) bool {
	if r == nil {
		return false
	}
	for _, n := range r.Autoload {
		if n == name {
			return true
		}
	}
	return false
}

// program returns the loaded program name, for a recipe to run.
func (b *BPFPolicy) program(r *Recipe, name string) (*bpfvm.Program, error) {
	if why, ok := b.unloaded[name]; ok {
		return nil, fmt.Errorf("recipe %s: program %s is not loaded: %s", r.file, name, why)
	}
	p := b.inst.Program(name)
	if p == nil {
		return nil, fmt.Errorf("recipe %s: syscall program %s is not in the object", r.file, name)
	}
	return p, nil
}
