package tui

import "math/bits"

// liveHist is the dashboard's latency histogram: log-linear, 16 buckets
// per power of two (a percentile is within 1/32, about 3%, of the true
// sample), in 8 KiB. sim.Histogram is exact to 0.05% but grows to
// hundreds of KiB, which a live view does not need and the simulation's
// caches do not want beside them.
type liveHist struct {
	counts [64 * histSub]uint64
	n, max uint64
}

const (
	histBits = 4
	histSub  = 1 << histBits
)

func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - histBits - 1
	return (e+1)*histSub + int(v>>uint(e)) - histSub
}

// histMid is the middle of bucket i.
func histMid(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	e := i/histSub - 1
	lo := uint64(i%histSub+histSub) << uint(e)
	return lo + (uint64(1)<<uint(e))/2
}

func (h *liveHist) record(v uint64) {
	h.counts[histIndex(v)]++
	h.n++
	h.max = max(h.max, v)
}

// quantile returns the q-quantile (0..1): the middle of the bucket holding
// the sample of rank ceil(q*n), at most the largest sample (which the last
// rank is, exactly).
func (h *liveHist) quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return h.max
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(histMid(i), h.max)
		}
	}
	return h.max
}

// log2 returns the samples by power of two: [b] counts [2^(b-1), 2^b)
// (and [0] the zeros).
func (h *liveHist) log2() [64]uint64 {
	var out [64]uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		b := 0
		if i > 0 {
			b = bits.Len64(histMid(i))
		}
		out[min(b, 63)] += c
	}
	return out
}
