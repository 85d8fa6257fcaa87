package policies

import (
	"fmt"

	"github.com/schedsim/schedsim/bpfvm"
)

const helperSnprintf = 165

// bpfSnprintf is bpf_snprintf(str, str_size, fmt, data, data_len)
// (kernel/bpf/helpers.c): fmt formatted with the u64 arguments at data
// into str, truncated and NUL-terminated within str_size; it returns the
// length the whole output needs, its NUL included.
func bpfSnprintf(c *bpfvm.Context, str, size, f, data, dataLen uint64) (uint64, error) {
	s, err := bstrFormat(c, f, data, dataLen)
	if err != nil {
		return 0, fmt.Errorf("bpf_snprintf: %w", err)
	}
	if size > 0 {
		dst, err := c.VM.Mem.Bytes(str, size)
		if err != nil {
			return 0, fmt.Errorf("bpf_snprintf: %w", err)
		}
		n := copy(dst[:size-1], s)
		dst[n] = 0
	}
	return uint64(len(s)) + 1, nil
}
