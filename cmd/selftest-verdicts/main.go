// Command selftest-verdicts compares schedsim's verifier with the expected
// verdicts of the kernel's BPF verifier selftests
// (tools/testing/selftests/bpf/progs/verifier_*.c and friends, compiled by
// scripts/selftests-verdicts.sh from a local kernel checkout).
//
//	selftest-verdicts [-v] [-list=disagree|all] OBJ.bpf.o...
//
// Each program carries its expectations as BTF decl tags on its function
// (bpf_misc.h: __success, __failure, __msg, __flag, __arch, __auxiliary,
// ...), which test_loader.c reads. A program is a test when it has
// __success or __failure; it is compared in privileged mode (the mode of
// sched_ext's loader). Not comparable: programs for another architecture,
// with BPF_F_STRICT_ALIGNMENT, or whose verdict schedsim gives "not
// modelled" (an unmodelled program-type context, helper or kfunc).
// For agreed rejections it checks that every __msg is in our log.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cilium/ebpf/btf"
	"github.com/schedsim/schedsim/bpfvm"
	"github.com/schedsim/schedsim/policies"
	"github.com/schedsim/schedsim/verifier"
)

type expect struct {
	success, failure, aux bool
	msgs                  []string
	flags                 []string
	arch                  []string
}

func annotations(obj *bpfvm.Object, name string) expect {
	var e expect
	if obj.BTF == nil {
		return e
	}
	var fn *btf.Func
	if err := obj.BTF.TypeByName(name, &fn); err != nil {
		return e
	}
	for _, t := range fn.Tags {
		t, ok := strings.CutPrefix(t, "comment:")
		if !ok {
			continue
		}
		switch {
		case t == "test_expect_success":
			e.success = true
		case t == "test_expect_failure":
			e.failure = true
		case t == "test_auxiliary":
			e.aux = true
		case strings.HasPrefix(t, "test_expect_msg="):
			// test_expect_msg=<counter>=<msg>
			m := strings.TrimPrefix(t, "test_expect_msg=")
			if i := strings.IndexByte(m, '='); i >= 0 {
				m = m[i+1:]
			}
			e.msgs = append(e.msgs, m)
		case strings.HasPrefix(t, "test_prog_flags="):
			e.flags = append(e.flags, strings.TrimPrefix(t, "test_prog_flags="))
		case strings.HasPrefix(t, "test_arch="):
			e.arch = append(e.arch, strings.TrimPrefix(t, "test_arch="))
		}
	}
	return e
}

type outcome struct {
	name, verdict, note string
}

func main() {
	verbose := flag.Bool("v", false, "print our error for each disagreement")
	list := flag.String("list", "disagree", "which programs to list: disagree, all or none")
	flag.Parse()
	var (
		tests, comparable, agree, falseAccept, falseReject   int
		agreedRejects, msgOK, notModelled, skipped, loadFail int
		outs                                                 []outcome
	)
	notModelledWhy := map[string]int{}
	for _, path := range flag.Args() {
		base := strings.TrimSuffix(filepath.Base(path), ".bpf.o")
		obj, err := bpfvm.LoadObject(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", base, err)
			loadFail++
			continue
		}
		exps := map[string]expect{}
		for _, p := range obj.Programs {
			exps[p.Name] = annotations(obj, p.Name)
		}
		verdicts, err := policies.VerifyObject(obj, policies.VerifyObjectOptions{Filter: func(n string) bool {
			e := exps[n]
			return (e.success || e.failure) && !e.aux
		}})
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", base, err)
			for _, e := range exps {
				if (e.success || e.failure) && !e.aux {
					loadFail++
				}
			}
			continue
		}
		for _, v := range verdicts {
			name := base + "/" + v.Program.Name
			e := exps[v.Program.Name]
			tests++
			why := ""
			for _, a := range e.arch {
				if a != "X86_64" {
					why = "arch " + a
				}
			}
			for _, f := range e.flags {
				if strings.Contains(f, "BPF_F_STRICT_ALIGNMENT") {
					why = "BPF_F_STRICT_ALIGNMENT"
				}
			}
			if why != "" {
				skipped++
				outs = append(outs, outcome{name, "skip", why})
				continue
			}
			if v.NotModelled() {
				notModelled++
				var ve *verifier.Error
				errors.As(v.Err, &ve)
				key := ve.Msg
				if i := strings.Index(key, ":"); i > 0 && strings.HasPrefix(key, "program type") {
					key = key[:i]
				}
				notModelledWhy[key]++
				outs = append(outs, outcome{name, "not modelled", ve.Msg})
				continue
			}
			comparable++
			accepted := v.Err == nil
			var msg string
			var ve *verifier.Error
			if errors.As(v.Err, &ve) {
				msg = ve.Msg
			} else if v.Err != nil {
				msg = v.Err.Error()
			}
			switch {
			case accepted && e.success:
				agree++
				outs = append(outs, outcome{name, "agree accept", ""})
			case !accepted && e.failure:
				agree++
				agreedRejects++
				log := msg
				if ve != nil {
					log = ve.Log
				}
				missing := ""
				for _, m := range e.msgs {
					if !strings.Contains(log, m) && !strings.Contains(msg, m) {
						missing = m
						break
					}
				}
				if missing == "" {
					msgOK++
					outs = append(outs, outcome{name, "agree reject", msg})
				} else {
					outs = append(outs, outcome{name, "agree reject, other message", fmt.Sprintf("want %q, ours %q", missing, msg)})
				}
			case accepted:
				falseAccept++
				outs = append(outs, outcome{name, "FALSE ACCEPT", fmt.Sprintf("want %q", strings.Join(e.msgs, "; "))})
			default:
				falseReject++
				outs = append(outs, outcome{name, "false reject", msg})
			}
		}
	}
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].verdict < outs[j].verdict })
	for _, o := range outs {
		show := *list == "all" || *list == "disagree" && (strings.HasPrefix(o.verdict, "FALSE") || strings.HasPrefix(o.verdict, "false") || strings.Contains(o.verdict, "other message"))
		if !show {
			continue
		}
		if *verbose || o.note == "" {
			fmt.Printf("%-28s %s %s\n", o.verdict, o.name, o.note)
		} else {
			n := o.note
			if len(n) > 160 {
				n = n[:160] + "..."
			}
			fmt.Printf("%-28s %s %s\n", o.verdict, o.name, n)
		}
	}
	fmt.Printf("\ntests %d: comparable %d, not modelled %d, skipped %d (arch, strict alignment), in objects that did not load %d\n",
		tests+loadFail, comparable, notModelled, skipped, loadFail)
	if comparable > 0 {
		fmt.Printf("agree %d/%d (%.1f%%): false accepts %d, false rejects %d\n", agree, comparable, 100*float64(agree)/float64(comparable), falseAccept, falseReject)
	}
	if agreedRejects > 0 {
		fmt.Printf("agreed rejections with the kernel's message: %d/%d (%.1f%%)\n", msgOK, agreedRejects, 100*float64(msgOK)/float64(agreedRejects))
	}
	var keys []string
	for k := range notModelledWhy {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return notModelledWhy[keys[i]] > notModelledWhy[keys[j]] })
	for _, k := range keys {
		fmt.Printf("  not modelled %4d  %s\n", notModelledWhy[k], k)
	}
}
