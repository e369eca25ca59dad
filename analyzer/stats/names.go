package stats

import (
	"hash/maphash"
	"slices"
	"strings"
)

// NamesCap bounds how many distinct names (databases, users, hosts) a
// class counts exactly.
const NamesCap = 32

var nameSeed = maphash.MakeSeed()

// Names counts occurrences of names with bounded memory. Up to NamesCap
// names are counted exactly; past that it keeps the NamesCap names with the
// smallest hashes (a bottom-K set) and counts the rest as Other. Which names
// survive therefore depends only on the set of names seen, never on their
// order or on how chunks were merged, and the bottom-K threshold gives a
// distinct-count estimate.
type Names struct {
	items []nameCount
	last  int // index of the name counted last
	Other int64
	full  bool // some name was dropped: Distinct is an estimate
}

type nameCount struct {
	hash  uint64
	name  string
	count int64
}

// NameCount is one name with its count.
type NameCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

func hashName(s string) uint64 { return maphash.String(nameSeed, s) }

// Add counts one occurrence of name. Readers intern names, so the common
// case (the same name as last time) is one string comparison that the
// runtime short-cuts on equal pointers; no hashing.
func (n *Names) Add(name string) {
	if n.last < len(n.items) && n.items[n.last].name == name {
		n.items[n.last].count++
		return
	}
	n.add(hashName(name), name, 1)
}

func (n *Names) add(h uint64, name string, c int64) {
	for i := range n.items {
		if n.items[i].hash == h && n.items[i].name == name {
			n.items[i].count += c
			n.last = i
			return
		}
	}
	if len(n.items) < NamesCap {
		n.last = len(n.items)
		n.items = append(n.items, nameCount{h, name, c})
		return
	}
	n.full = true
	// Evict the largest hash if the newcomer's is smaller.
	maxI := 0
	for i := range n.items {
		if n.items[i].hash > n.items[maxI].hash {
			maxI = i
		}
	}
	if h < n.items[maxI].hash {
		n.Other += n.items[maxI].count
		n.items[maxI] = nameCount{h, name, c}
		return
	}
	n.Other += c
}

// Merge adds o's counts into n.
func (n *Names) Merge(o *Names) {
	n.Other += o.Other
	n.full = n.full || o.full
	for _, it := range o.items {
		n.add(it.hash, it.name, it.count)
	}
}

// Top returns the counted names, most frequent first (ties by name).
func (n *Names) Top() []NameCount {
	out := make([]NameCount, 0, len(n.items))
	for _, it := range n.items {
		out = append(out, NameCount{it.name, it.count})
	}
	slices.SortFunc(out, func(a, b NameCount) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Distinct returns the number of distinct names and whether it is exact.
// Past NamesCap it estimates from the bottom-K threshold (KMV estimator).
func (n *Names) Distinct() (int64, bool) {
	if !n.full {
		return int64(len(n.items)), true
	}
	var maxH uint64
	for _, it := range n.items {
		maxH = max(maxH, it.hash)
	}
	if maxH == 0 {
		return int64(len(n.items)), false
	}
	est := float64(NamesCap-1) / (float64(maxH) / 18446744073709551616.0)
	return int64(est + 0.5), false
}
