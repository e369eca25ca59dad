package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "512": 512, "150MiB": 150 << 20, "1.5GiB": 3 << 29, "200MB": 200e6,
		"2g": 2 << 30, "64 KiB": 64 << 10, "10B": 10,
	}
	for in, want := range good {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1e400", "ten", "5XB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): no error", in)
		}
	}
	if got := formatSize(150 << 20); got != "150MiB" {
		t.Errorf("formatSize = %q", got)
	}
}

// The governor follows the live heap past its base (so a huge input never
// makes the collector thrash against a fixed limit) and restores the
// previous limit when stopped.
func TestMemoryGovernorFollowsLiveHeap(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	stop := startMemoryGovernor(1 << 20)
	if got := debug.SetMemoryLimit(-1); got != 1<<20 {
		t.Fatalf("limit %d after start, want the base %d", got, 1<<20)
	}
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20) // 64 MiB reachable
	}
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) < 64<<20*5/4 && time.Now().Before(deadline) {
		runtime.GC() // the finalizer adjusts the limit after a collection
		time.Sleep(10 * time.Millisecond)
	}
	if got := debug.SetMemoryLimit(-1); got < 64<<20*5/4 {
		t.Errorf("limit %d MiB with 64 MiB live, want at least 80 MiB", got>>20)
	}
	runtime.KeepAlive(live)
	stop()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit %d after stop, want the previous %d", got, before)
	}
}
