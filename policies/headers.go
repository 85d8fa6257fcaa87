package policies

import (
	"embed"
	"io/fs"
	"sort"
)

// includeFS holds the headers of policies/include/scx that a policy
// includes besides vmlinux.h (which VmlinuxHeader generates).
//
//go:embed include/scx/*.h
var includeFS embed.FS

// Headers returns every header a policy needs, by path relative to an
// include directory (-I DIR): "vmlinux.h", "scx/common.bpf.h", ... in path
// order. The same set `schedsim vmlinux --dir` writes and `schedsim build`
// compiles against.
func Headers() (map[string][]byte, []string, error) {
	out := map[string][]byte{}
	vm, err := VmlinuxHeader()
	if err != nil {
		return nil, nil, err
	}
	out["vmlinux.h"] = vm
	err = fs.WalkDir(includeFS, "include", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := includeFS.ReadFile(path)
		if err != nil {
			return err
		}
		out[path[len("include/"):]] = data
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	return out, names, nil
}
