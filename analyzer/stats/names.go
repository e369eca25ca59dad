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
	// The names: one[:k] while there is at most one (most classes see one
	// database, user and host: no allocation), then items.
	one   [1]nameCount
	items *[]nameCount // a pointer: most classes never need it
	Other int64
	last  int32 // index of the name counted last
	k     uint8
	full  bool // some name was dropped: Distinct is an estimate
}

// list returns the names counted (aliasing n).
func (n *Names) list() []nameCount {
	if n.items != nil {
		return *n.items
	}
	return n.one[:n.k]
}

func (n *Names) push(nc nameCount) {
	switch {
	case n.items != nil:
		*n.items = append(*n.items, nc)
	case n.k == 0:
		n.one[0], n.k = nc, 1
	default:
		items := append(make([]nameCount, 0, 4), n.one[0], nc)
		n.items = &items
		n.one[0], n.k = nameCount{}, 0
	}
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
	if items := n.list(); int(n.last) < len(items) && items[n.last].name == name {
		items[n.last].count++
		return
	}
	n.add(hashName(name), name, 1)
}

func (n *Names) add(h uint64, name string, c int64) {
	items := n.list()
	for i := range items {
		if items[i].hash == h && items[i].name == name {
			items[i].count += c
			n.last = int32(i)
			return
		}
	}
	if len(items) < NamesCap {
		n.last = int32(len(items))
		n.push(nameCount{h, name, c})
		return
	}
	n.full = true
	// Evict the largest hash if the newcomer's is smaller.
	maxI := 0
	for i := range items {
		if items[i].hash > items[maxI].hash {
			maxI = i
		}
	}
	if h < items[maxI].hash {
		n.Other += items[maxI].count
		items[maxI] = nameCount{h, name, c}
		return
	}
	n.Other += c
}

// Merge adds o's counts into n.
func (n *Names) Merge(o *Names) {
	n.Other += o.Other
	n.full = n.full || o.full
	for _, it := range o.list() {
		n.add(it.hash, it.name, it.count)
	}
}

// Top returns the counted names, most frequent first (ties by name).
func (n *Names) Top() []NameCount {
	items := n.list()
	out := make([]NameCount, 0, len(items))
	for _, it := range items {
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
		return int64(len(n.list())), true
	}
	var maxH uint64
	for _, it := range n.list() {
		maxH = max(maxH, it.hash)
	}
	if maxH == 0 {
		return int64(len(n.list())), false
	}
	est := float64(NamesCap-1) / (float64(maxH) / 18446744073709551616.0)
	return int64(est + 0.5), false
}
