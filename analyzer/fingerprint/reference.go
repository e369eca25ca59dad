package fingerprint

import (
	tidbparser "github.com/pingcap/tidb/pkg/parser"
)

// Reference is the oracle the fast path is tested against: TiDB's
// Normalize followed by the fix-ups F1-F6 (canon.run), repeated until the
// text no longer changes (at most maxIterations rounds), so that a
// fingerprint is its own fingerprint. It allocates and is about ten times
// slower than Fingerprint; Fingerprint uses it for the rare statements
// its scanner does not model.
func Reference(q string) string {
	x := q
	for i := 0; i < maxIterations; i++ {
		y := referenceStep(x)
		if y == x {
			return y
		}
		x = y
	}
	return x
}

func referenceStep(x string) string {
	var c canon
	c.src = append(c.src, tidbparser.Normalize(x, "ON")...)
	return string(c.run(splitText(c.src, nil), nil))
}
