package analyzer

import (
	"testing"
	"unsafe"
)

// A log with many rare classes holds one class per statement class (and,
// with -j, one per chunk that saw it): keep it inside Go's 896-byte size
// class, the next one up is 1024.
func TestClassFitsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(class{}); n > 896 {
		t.Errorf("class is %d bytes, over the 896-byte allocation size class", n)
	}
}
