package gate

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
)

// BaselineVersion is the version of the baseline file format.
const BaselineVersion = 1

// Baseline is the set of known results: check fails only on results whose
// key is not in it. The file holds no timestamps, counts or literals, so
// the same findings give a byte-identical file on every run and machine.
type Baseline struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// Entry is one known result. Only Key matters for matching; the other
// fields tell a reviewer what was accepted.
type Entry struct {
	Rule        string `json:"rule"`
	Key         string `json:"key"`
	Route       string `json:"route,omitempty"`
	ClassID     string `json:"class_id,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// NewBaseline records every current result (new and already baselined).
func NewBaseline(res *Result) *Baseline {
	b := &Baseline{Version: BaselineVersion, Entries: []Entry{}}
	for _, vs := range [][]Violation{res.Results, res.Baselined} {
		for _, v := range vs {
			b.Entries = append(b.Entries, entryOf(v))
		}
	}
	b.sort()
	return b
}

// Prune keeps the entries of b that still occur in res: the baseline
// shrinks as problems are fixed, and nothing new is accepted.
func (b *Baseline) Prune(res *Result) *Baseline {
	stale := map[string]bool{}
	for _, e := range res.Stale {
		stale[e.Key] = true
	}
	out := &Baseline{Version: BaselineVersion, Entries: []Entry{}}
	for _, e := range b.Entries {
		if !stale[e.Key] {
			out.Entries = append(out.Entries, e)
		}
	}
	out.sort()
	return out
}

func entryOf(v Violation) Entry {
	return Entry{Rule: v.Rule, Key: v.Key, Route: v.Route, ClassID: v.ClassID, Fingerprint: v.Fingerprint}
}

func (b *Baseline) sort() {
	slices.SortFunc(b.Entries, func(x, y Entry) int {
		return cmp.Or(cmp.Compare(x.Rule, y.Rule), cmp.Compare(x.Key, y.Key))
	})
	b.Entries = slices.CompactFunc(b.Entries, func(x, y Entry) bool { return x.Key == y.Key })
}

// Encode writes the baseline as indented JSON.
func (b *Baseline) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(b)
}

// ParseBaseline reads a baseline file; errors are located as file:line:col.
func ParseBaseline(data []byte, file string) (*Baseline, error) {
	var b Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s: %v", offsetPos(data, file, se.Offset-1), err)
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "baseline"
			}
			return nil, fmt.Errorf("%s: %s: want %s, got %s", offsetPos(data, file, te.Offset-1), field, kindName(te.Type.Kind()), te.Value)
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%s:1:1: empty file (want a baseline written by `sqlsift baseline`)", file)
		}
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if b.Version != BaselineVersion {
		return nil, fmt.Errorf("%s: unsupported baseline version %d (want %d; rewrite it with `sqlsift baseline`)", file, b.Version, BaselineVersion)
	}
	for i, e := range b.Entries {
		if e.Key == "" {
			return nil, fmt.Errorf("%s: entries[%d]: missing key", file, i)
		}
	}
	if b.Entries == nil {
		b.Entries = []Entry{}
	}
	return &b, nil
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

// offsetPos turns the index of a byte into file:line:col.
func offsetPos(data []byte, file string, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n') // 1-based
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}
