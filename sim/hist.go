package sim

import (
	"math"
	"math/bits"
)

// Histogram records non-negative durations (ns) in log-linear buckets: 64
// sub-buckets per power of two, so a reported percentile is within 1.6% of
// the true sample (values below 64 are exact). Mean, min and max are exact.
type Histogram struct {
	counts []uint64
	n      uint64
	sum    float64
	min    uint64
	max    uint64
}

const histSub = 64

func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - 7 // v >> e is in [64, 128)
	return (e+1)*histSub + int(v>>uint(e)) - histSub
}

func histLow(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	e := i/histSub - 1
	return uint64(i%histSub+histSub) << uint(e)
}

// Record adds one sample.
func (h *Histogram) Record(v uint64) {
	i := histIndex(v)
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]uint64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Mean is the exact mean, or 0 without samples.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Max is the largest sample.
func (h *Histogram) Max() uint64 { return h.max }

// Min is the smallest sample.
func (h *Histogram) Min() uint64 { return h.min }

// Quantile returns the q-quantile (0..1): the midpoint of the bucket holding
// the sample of rank ceil(q*n), clamped to [min, max].
func (h *Histogram) Quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo := histLow(i)
			hi := histLow(i + 1)
			v := lo + (hi-lo)/2
			if hi-lo <= 1 {
				v = lo
			}
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// Merge adds the samples of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint64, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}
