package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

// heapProfile writes a heap profile to $SQLSIFT_HEAPPROFILE.<tag> when that
// variable is set (for developers measuring memory: "ingest" is written
// once every input is read, "report" once the report is built).
func heapProfile(tag string) {
	p := os.Getenv("SQLSIFT_HEAPPROFILE")
	if p == "" {
		return
	}
	runtime.GC()
	f, err := os.Create(p + "." + tag)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.WriteHeapProfile(f)
}
