package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// helpRequested reports whether args ask for a command's help (-h, -help,
// --help before any "--"): help is then printed to stdout, as the output
// the user asked for; usage after a mistake goes to stderr.
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// newFlagSet is a flag set for command name whose messages go to stderr,
// or to stdout when args ask for help.
func newFlagSet(name string, args []string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if helpRequested(args) {
		fs.SetOutput(stdout)
	}
	return fs
}

// buildInfo is what `schedsim --version` prints: the module version and
// the commit it was built from, as recorded by the go command.
func buildInfo(bi *debug.BuildInfo, ok bool) (version, commit string, modified bool) {
	version, commit = "unknown", "unknown"
	if !ok || bi == nil {
		return
	}
	if v := bi.Main.Version; v != "" {
		version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit == "unknown" {
		// `go install ...@version` builds from the module proxy without
		// VCS stamps; a pseudo-version ends in the commit's first 12
		// hex digits (v0.0.0-20261207150405-abcdef123456).
		if i := strings.LastIndexByte(version, '-'); i > 0 && len(version)-i-1 == 12 {
			commit = version[i+1:]
		}
	}
	return
}

func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	v, c, mod := buildInfo(bi, ok)
	if mod {
		c += " (modified)"
	}
	goV := "unknown"
	if ok {
		goV = bi.GoVersion
	}
	return fmt.Sprintf("schedsim %s commit %s %s\n", v, c, goV)
}
