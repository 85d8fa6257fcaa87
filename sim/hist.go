package sim

import (
	"math"
	"math/bits"
)

// Histogram records non-negative durations (ns) in log-linear buckets, as
// HdrHistogram does: values below 1024 have a bucket each (exact); above,
// every power of two [2^k, 2^(k+1)) is split into 1024 equal buckets, so a
// bucket's width is at most 1/1024 of its lower bound. A percentile is
// reported as the midpoint of its bucket, clamped to [min, max]: within
// 1/2048 (0.049%) of the true sample of that rank. Mean, min and max are
// exact. (HistRelErr states the bound; TestHistogramRelativeError checks
// it against closed forms.)
type Histogram struct {
	counts []uint64
	n      uint64
	sum    float64
	min    uint64
	max    uint64
}

const (
	histBits = 10
	histSub  = 1 << histBits
	// HistRelErr bounds the relative error of a reported percentile.
	HistRelErr = 1.0 / (2 * histSub)
)

func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - histBits - 1 // v >> e is in [histSub, 2*histSub)
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
		n := max(i+1, 2*len(h.counts))
		h.counts = append(h.counts, make([]uint64, n-len(h.counts))...)
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

// Quantile returns the q-quantile (0..1) by the nearest-rank definition:
// the sample of rank ceil(q*n) in ascending order (rank 1 for q = 0),
// within HistRelErr of it (the midpoint of its bucket, clamped to
// [min, max]; exact below 1024 ns).
func (h *Histogram) Quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo := histLow(i)
			hi := histLow(i + 1)
			v := lo + (hi-lo-1)/2
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
