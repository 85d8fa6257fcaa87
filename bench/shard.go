package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseShard parses "i/n": the i-th (from 0) of n shards.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("invalid shard %q: expected i/n with 0 <= i < n, such as 0/4", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// ShardFromEnv reads the shard from a batch system's environment (getenv
// is os.Getenv in the CLI):
//
//   - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (set by Kubernetes)
//     and JOB_COMPLETIONS, the Job's .spec.completions, which Kubernetes
//     does not pass to the pod: the manifest sets it (docs/bench.md);
//   - a Slurm job array: SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and
//     SLURM_ARRAY_TASK_MIN (an array 1-4 is shards 0/4 to 3/4).
//
// It returns ok false when neither is set, and a description of where the
// shard came from.
func ShardFromEnv(getenv func(string) string) (sh Shard, from string, ok bool, err error) {
	num := func(k string) (int, error) {
		v := getenv(k)
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s=%q: expected a non-negative integer", k, v)
		}
		return n, nil
	}
	if getenv("JOB_COMPLETION_INDEX") != "" {
		if getenv("JOB_COMPLETIONS") == "" {
			return Shard{}, "", false, fmt.Errorf("JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set it in the Job's pod template to the Job's completions (docs/bench.md), or pass --shard i/n")
		}
		i, err := num("JOB_COMPLETION_INDEX")
		if err != nil {
			return Shard{}, "", false, err
		}
		n, err := num("JOB_COMPLETIONS")
		if err != nil {
			return Shard{}, "", false, err
		}
		sh, err := ParseShard(fmt.Sprintf("%d/%d", i, n))
		return sh, fmt.Sprintf("JOB_COMPLETION_INDEX=%d, JOB_COMPLETIONS=%d", i, n), err == nil, err
	}
	if getenv("SLURM_ARRAY_TASK_ID") != "" {
		id, err := num("SLURM_ARRAY_TASK_ID")
		if err != nil {
			return Shard{}, "", false, err
		}
		if getenv("SLURM_ARRAY_TASK_COUNT") == "" {
			return Shard{}, "", false, fmt.Errorf("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard i/n")
		}
		n, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return Shard{}, "", false, err
		}
		lo := 0
		if getenv("SLURM_ARRAY_TASK_MIN") != "" {
			if lo, err = num("SLURM_ARRAY_TASK_MIN"); err != nil {
				return Shard{}, "", false, err
			}
		}
		if id < lo || id-lo >= n {
			return Shard{}, "", false, fmt.Errorf("SLURM_ARRAY_TASK_ID=%d is not in the array %d-%d: use a contiguous array (--array=0-%d) or pass --shard i/n",
				id, lo, lo+n-1, n-1)
		}
		return Shard{Index: id - lo, Count: n}, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d, SLURM_ARRAY_TASK_MIN=%d, SLURM_ARRAY_TASK_COUNT=%d", id, lo, n), true, nil
	}
	return Shard{}, "", false, nil
}
