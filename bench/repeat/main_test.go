package main

import (
	"bufio"
	"bytes"
	"testing"
	"time"
)

func TestShiftLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"# Time: 2026-11-27T16:50:02.123456Z\n", "# Time: 2026-11-28T16:50:02.123456Z\n"},
		{"# Time: 261127 16:50:02\n", "# Time: 261128 16:50:02\n"},
		{"# Time: 261231 23:59:59\n", "# Time: 270101 23:59:59\n"},
		{"SET timestamp=1795798202;\n", "SET timestamp=1795884602;\n"},
		{"SET timestamp=1795798202.123456;\n", "SET timestamp=1795884602.123456;\n"},
		{"SELECT '# Time: 261127 16:50:02';\n", "SELECT '# Time: 261127 16:50:02';\n"},
		{"# Time: garbage\n", "# Time: garbage\n"},
	}
	for _, c := range cases {
		if got := string(shiftLine([]byte(c.in), 24*time.Hour)); got != c.want {
			t.Errorf("shiftLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCopiesFollowEachOther(t *testing.T) {
	src := []byte("# Time: 261127 16:50:02\nSET timestamp=1795798202;\nSELECT 1;\n")
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	for i := 0; i < 3; i++ {
		writeShifted(w, src, time.Duration(i)*time.Hour)
	}
	w.Flush()
	want := "# Time: 261127 16:50:02\nSET timestamp=1795798202;\nSELECT 1;\n" +
		"# Time: 261127 17:50:02\nSET timestamp=1795801802;\nSELECT 1;\n" +
		"# Time: 261127 18:50:02\nSET timestamp=1795805402;\nSELECT 1;\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
