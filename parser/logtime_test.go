package parser

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	cases := []struct {
		in     string
		want   string
		offset int32
		local  bool
		n      int
	}{
		{"140101 12:00:00", "2014-01-01T12:00:00Z", 0, true, 15},
		{"131128  1:05:31", "2013-11-28T01:05:31Z", 0, true, 15},
		{"130601  8:01:06.058915 rest", "2013-06-01T08:01:06.058915Z", 0, true, 22},
		{"261127 14:47:25", "2026-11-27T14:47:25Z", 0, true, 15},
		{"2016-07-20T18:13:25.698433Z", "2016-07-20T18:13:25.698433Z", 0, false, 27},
		{"2018-09-07T18:45:40.098124+08:00\t257426", "2018-09-07T10:45:40.098124Z", 8 * 3600, false, 32},
		{"2018-09-07T18:45:40-05:30", "2018-09-08T00:15:40Z", -(5*3600 + 30*60), false, 25},
		{"2019-03-24T14:04:51.082107Z", "2019-03-24T14:04:51.082107Z", 0, false, 27},
	}
	for _, c := range cases {
		got, off, local, n := ParseTime([]byte(c.in))
		if n != c.n || got.Format(time.RFC3339Nano) != c.want || off != c.offset || local != c.local {
			t.Errorf("ParseTime(%q) = %s, %d, %v, %d; want %s, %d, %v, %d", c.in, got.Format(time.RFC3339Nano), off, local, n, c.want, c.offset, c.local, c.n)
		}
	}
	for _, bad := range []string{"", "# Time", "2019-13-24T14:04:51Z", "14010a 12:00:00", "140101 1200:00", "hello world 123"} {
		if _, _, _, n := ParseTime([]byte(bad)); n != 0 {
			t.Errorf("ParseTime(%q) accepted %d bytes", bad, n)
		}
	}
}

func TestParseMicros(t *testing.T) {
	cases := map[string]int64{"0.000228": 228, "12": 12000000, "2.631844": 2631844, "0.1": 100000, ".5": 500000, "1.0000009": 1000000}
	for in, want := range cases {
		if got, ok := ParseMicros([]byte(in)); !ok || got != want {
			t.Errorf("ParseMicros(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.2.3", "abc", "."} {
		if _, ok := ParseMicros([]byte(bad)); ok {
			t.Errorf("ParseMicros(%q) accepted", bad)
		}
	}
}
