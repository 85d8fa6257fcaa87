package main

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/schedsim/schedsim/policies/eevdf"
)

//go:embed skel/*.tmpl
var skelFS embed.FS

// initStarts are the policies `schedsim init --from` starts from.
var initStarts = []string{"fifo", "vtime", "eevdf"}

// skelData fills the templates of a new project.
type skelData struct {
	Name, Source, Object string
	Vtime, EEVDF         bool
}

// cmdInit implements `schedsim init DIR [--from fifo|vtime|eevdf]`: a new
// policy project in DIR: NAME.bpf.c (NAME from DIR), the headers it
// includes under DIR/include, a Makefile and a config.toml that runs it.
// Existing files are not overwritten unless --force.
func cmdInit(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("init", args, stdout, stderr)
	from := fs.String("from", "fifo", "start from `POLICY`: fifo (shared FIFO queue), vtime (weighted virtual time) or eevdf (schedsim's EEVDF)")
	force := fs.Bool("force", false, "overwrite existing files")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: schedsim init DIR [--from fifo|vtime|eevdf] [--force]\n\n"+
			"Creates a policy project in DIR: DIR/NAME.bpf.c (NAME is DIR's base name), the\n"+
			"headers it includes (DIR/include: vmlinux.h, scx/common.bpf.h), a Makefile and\n"+
			"DIR/config.toml, a scenario that runs it. Then:\n\n"+
			"  cd DIR && schedsim build NAME.bpf.c && schedsim run config.toml --maps\n\n"+
			"See docs/tutorial.md.\n\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "schedsim init: want one directory, got %d arguments\n", len(pos))
		fs.Usage()
		return exitUsage
	}
	dir := pos[0]
	d := skelData{Name: policyName(dir)}
	switch *from {
	case "fifo":
	case "vtime":
		d.Vtime = true
	case "eevdf":
		d.EEVDF = true
	default:
		fmt.Fprintf(stderr, "schedsim init: --from %q: expected one of %s\n", *from, strings.Join(initStarts, ", "))
		return exitUsage
	}
	d.Source, d.Object = d.Name+".bpf.c", d.Name+".bpf.o"
	files, err := skelFiles(d)
	if err != nil {
		fmt.Fprintf(stderr, "schedsim init: %v\n", err)
		return exitFailure
	}
	if !*force {
		var exist []string
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(dir, f.name)); err == nil {
				exist = append(exist, filepath.Join(dir, f.name))
			}
		}
		if len(exist) > 0 {
			fmt.Fprintf(stderr, "schedsim init: %s already exist; use --force to overwrite\n", strings.Join(exist, ", "))
			return exitUsage
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "schedsim init: %v\n", err)
		return exitFailure
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			fmt.Fprintf(stderr, "schedsim init: %v\n", err)
			return exitFailure
		}
	}
	hs, err := writeHeaders(filepath.Join(dir, "include"))
	if err != nil {
		fmt.Fprintf(stderr, "schedsim init: headers: %v\n", err)
		return exitFailure
	}
	for _, f := range files {
		fmt.Fprintln(stdout, filepath.Join(dir, f.name))
	}
	for _, h := range hs {
		fmt.Fprintln(stdout, h)
	}
	fmt.Fprintf(stdout, "\nnext:\n  cd %s\n  schedsim build %s\n  schedsim run config.toml --maps --printk printk.txt\n", dir, d.Source)
	return exitOK
}

type skelFile struct {
	name string
	data []byte
}

// skelFiles renders the project's files (headers apart).
func skelFiles(d skelData) ([]skelFile, error) {
	var out []skelFile
	render := func(tmpl, name string) error {
		src, err := skelFS.ReadFile("skel/" + tmpl)
		if err != nil {
			return err
		}
		t, err := template.New(tmpl).Parse(string(src))
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return err
		}
		out = append(out, skelFile{name, b.Bytes()})
		return nil
	}
	if d.EEVDF {
		out = append(out, skelFile{d.Source, eevdfSource(d.Name)})
	} else if err := render("policy.bpf.c.tmpl", d.Source); err != nil {
		return nil, err
	}
	if err := render("Makefile.tmpl", "Makefile"); err != nil {
		return nil, err
	}
	if err := render("config.toml.tmpl", "config.toml"); err != nil {
		return nil, err
	}
	return out, nil
}

// eevdfSource is eevdf.bpf.c for a project called name: without its Go
// build constraint, and with the scheduler named name.
func eevdfSource(name string) []byte {
	src := string(eevdf.Source)
	if rest, ok := strings.CutPrefix(src, "//go:build ignore\n"); ok {
		src = strings.TrimLeft(rest, "\n")
	}
	src = strings.Replace(src, `.name = "eevdf");`, `.name = "`+name+`");`, 1)
	return []byte(src)
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// policyName turns a directory into a C identifier for the policy's
// functions and name: "my-sched" -> "my_sched".
func policyName(dir string) string {
	n := nonIdent.ReplaceAllString(filepath.Base(filepath.Clean(dir)), "_")
	n = strings.Trim(n, "_")
	if n == "" {
		n = "mysched"
	}
	if n[0] >= '0' && n[0] <= '9' {
		n = "p" + n
	}
	return n
}
