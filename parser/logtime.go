package parser

import "time"

// ParseTime reads the timestamp shapes MySQL-family logs write:
//
//	140101 12:00:00              (%y%m%d %H:%M:%S, zone-less server time)
//	131128  1:05:31              (space-padded hour)
//	130601  8:01:06.058915       (Percona microtime)
//	2016-07-20T18:13:25.698433Z  (log_timestamps=UTC)
//	2018-09-07T18:45:40.098124+08:00 (log_timestamps=SYSTEM)
//
// It returns the instant in UTC, the offset the log wrote (seconds east of
// UTC), whether the shape had no zone (read as UTC), and the number of bytes
// consumed. n == 0 means b does not start with a timestamp. Hand-written
// rather than time.Parse: it runs once per entry and allocates nothing.
func ParseTime(b []byte) (t time.Time, offset int32, local bool, n int) {
	if len(b) >= 19 && b[4] == '-' && b[7] == '-' && (b[10] == 'T' || b[10] == ' ') && b[13] == ':' && b[16] == ':' {
		y, ok1 := digits(b[0:4])
		mo, ok2 := digits(b[5:7])
		d, ok3 := digits(b[8:10])
		h, ok4 := digits(b[11:13])
		mi, ok5 := digits(b[14:16])
		s, ok6 := digits(b[17:19])
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
			return time.Time{}, 0, false, 0
		}
		i := 19
		ns, i := fraction(b, i)
		local = true
		if i < len(b) {
			switch b[i] {
			case 'Z':
				local = false
				i++
			case '+', '-':
				if i+6 <= len(b) && b[i+3] == ':' {
					oh, okh := digits(b[i+1 : i+3])
					om, okm := digits(b[i+4 : i+6])
					if okh && okm {
						offset = int32(oh*3600 + om*60)
						if b[i] == '-' {
							offset = -offset
						}
						local = false
						i += 6
					}
				}
			}
		}
		if !valid(mo, d, h, mi, s) {
			return time.Time{}, 0, false, 0
		}
		t = time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC).Add(-time.Duration(offset) * time.Second)
		return t, offset, local, i
	}
	// %y%m%d then one or two spaces then %H (maybe space-padded).
	if len(b) >= 14 && b[6] == ' ' {
		y, ok1 := digits(b[0:2])
		mo, ok2 := digits(b[2:4])
		d, ok3 := digits(b[4:6])
		if !(ok1 && ok2 && ok3) {
			return time.Time{}, 0, false, 0
		}
		i := 7
		if b[i] == ' ' {
			i++
		}
		// hour: one or two digits
		h, j := 0, i
		for j < len(b) && j < i+2 && b[j] >= '0' && b[j] <= '9' {
			h = h*10 + int(b[j]-'0')
			j++
		}
		if j == i || j+6 > len(b) || b[j] != ':' || b[j+3] != ':' {
			return time.Time{}, 0, false, 0
		}
		mi, ok4 := digits(b[j+1 : j+3])
		s, ok5 := digits(b[j+4 : j+6])
		if !(ok4 && ok5) || !valid(mo, d, h, mi, s) {
			return time.Time{}, 0, false, 0
		}
		ns, k := fraction(b, j+6)
		t = time.Date(2000+y, time.Month(mo), d, h, mi, s, ns, time.UTC)
		return t, 0, true, k
	}
	return time.Time{}, 0, false, 0
}

func valid(mo, d, h, mi, s int) bool {
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// fraction reads an optional .dddddd at b[i:] and returns nanoseconds.
func fraction(b []byte, i int) (int, int) {
	if i >= len(b) || b[i] != '.' {
		return 0, i
	}
	i++
	ns, scale := 0, 100000000
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		ns += int(b[i]-'0') * scale
		scale /= 10
		i++
	}
	return ns, i
}

// ParseMicros reads a decimal number of seconds such as "0.000228" or "12"
// into microseconds, exactly (no float rounding). Digits beyond the sixth
// decimal are truncated. ok is false when b is not a plain non-negative
// decimal.
func ParseMicros(b []byte) (us int64, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		us = us*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 && (len(b) < 2 || b[0] != '.') {
		return 0, false
	}
	us *= 1000000
	if i < len(b) {
		if b[i] != '.' {
			return 0, false
		}
		i++
		scale := int64(100000)
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			us += int64(c-'0') * scale
			scale /= 10
		}
	}
	return us, true
}
