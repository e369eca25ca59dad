package live

import "strings"

// Mask is what a password is replaced with wherever sqlsift prints a DSN.
const Mask = "***"

// passwordSpan returns the byte range of the password in a
// go-sql-driver/mysql DSN ([user[:password]@][net[(addr)]]/dbname[?params]),
// found the way the driver's ParseDSN finds it: the last '/' ends the
// address part, the last '@' before it ends the credentials, the first ':'
// in the credentials starts the password. ok is false when there is none.
func passwordSpan(dsn string) (start, end int, ok bool) {
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		// Not a valid DSN, but it may still hold user:pass@host: mask
		// whatever sits between the first ':' and the last '@'.
		slash = len(dsn)
	}
	at := strings.LastIndexByte(dsn[:slash], '@')
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.IndexByte(dsn[:at], ':')
	if colon < 0 || colon+1 == at {
		return 0, 0, false
	}
	return colon + 1, at, true
}

// MaskDSN returns dsn with its password replaced by Mask. It works on
// strings the driver would reject, so a malformed DSN echoed in an error
// is masked too.
func MaskDSN(dsn string) string {
	s, e, ok := passwordSpan(dsn)
	if !ok {
		return dsn
	}
	return dsn[:s] + Mask + dsn[e:]
}

// Password returns the password part of dsn ("" when there is none).
func Password(dsn string) string {
	s, e, ok := passwordSpan(dsn)
	if !ok {
		return ""
	}
	return dsn[s:e]
}

// Scrubber removes known secrets from text that is about to be printed.
// Structured masking (MaskDSN) is the first line of defence; this is the
// second, for messages that might quote a secret in an unexpected place
// (a DSN echoed inside a driver error, say).
type Scrubber struct{ secrets []string }

// NewScrubber returns a Scrubber for the passwords of the given DSNs.
// Passwords shorter than 4 bytes are not scrubbed by substring: replacing
// every "app" in a message (often the user name too) would make it
// unreadable while protecting little; their DSNs are still masked
// structurally.
func NewScrubber(dsns ...string) *Scrubber {
	s := &Scrubber{}
	for _, d := range dsns {
		if p := Password(d); len(p) >= 4 {
			s.secrets = append(s.secrets, p)
		}
	}
	return s
}

// String returns msg with every DSN masked and every secret replaced.
func (s *Scrubber) String(msg string) string {
	if s == nil {
		return msg
	}
	for _, p := range s.secrets {
		msg = strings.ReplaceAll(msg, p, Mask)
	}
	return msg
}
