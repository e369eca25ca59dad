package fingerprint

import (
	"bytes"
	"net/url"
)

// Tag is one key/value pair of request context found in a comment.
type Tag struct{ Key, Value string }

// Tags appends to dst the request-context tags carried by the comments at
// the start or the end of q, and returns the extended slice. It reads
//
//   - sqlcommenter: /*key='value',key2='value2'*/ with URL-encoded keys and
//     values and \' escapes (google.github.io/sqlcommenter/spec), leniently:
//     blanks and newlines between pairs, unquoted values (key=value), and
//     the spec exhibit's typo controller='index,'framework='spring' (a
//     comma inside the quotes instead of after them);
//   - marginalia and Rails' legacy query-log format: /*key:value,key:value*/;
//   - Datadog trace propagation, which is sqlcommenter with dd* keys
//     (dddbs, dde, ddps, ddpv, ddh, ...): returned as written.
//
// For a W3C traceparent ("00-<trace id>-<parent id>-<flags>") it also
// appends trace_id and span_id. Version comments /*!...*/ and optimizer
// hints /*+...*/ are SQL, never tags; comments in the middle of the
// statement are not read. A statement without "/*" costs one byte search.
func Tags(q []byte, dst []Tag) []Tag {
	if bytes.Index(q, commentOpen) < 0 {
		return dst
	}
	s := trimSpace(q)
	// Leading comments.
	for len(s) >= 4 && s[0] == '/' && s[1] == '*' && s[2] != '!' && s[2] != '+' {
		end := bytes.Index(s[2:], commentClose)
		if end < 0 {
			return dst
		}
		dst = parseTagComment(s[2:2+end], dst)
		s = trimSpace(s[4+end:])
	}
	// Trailing comments (the slow log's ";" may follow).
	for {
		for len(s) > 0 && (s[len(s)-1] == ';' || spaceTab[s[len(s)-1]]) {
			s = s[:len(s)-1]
		}
		if len(s) < 4 || s[len(s)-2] != '*' || s[len(s)-1] != '/' {
			return dst
		}
		start := bytes.LastIndex(s[:len(s)-2], commentOpen)
		if start < 0 || start+2 > len(s)-2 {
			return dst
		}
		body := s[start+2 : len(s)-2]
		if len(body) > 0 && (body[0] == '!' || body[0] == '+') {
			return dst
		}
		dst = parseTagComment(body, dst)
		s = s[:start]
	}
}

var (
	commentOpen  = []byte("/*")
	commentClose = []byte("*/")
)

func trimSpace(s []byte) []byte {
	for len(s) > 0 && spaceTab[s[0]] {
		s = s[1:]
	}
	for len(s) > 0 && spaceTab[s[len(s)-1]] {
		s = s[:len(s)-1]
	}
	return s
}

func isTagKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '%'
}

// parseTagComment reads the pairs of one comment body. A body whose first
// pair does not parse is an ordinary comment and yields nothing; parsing
// stops at the first malformed pair after that.
func parseTagComment(b []byte, dst []Tag) []Tag {
	i := 0
	for {
		for i < len(b) && (spaceTab[b[i]] || b[i] == ',') {
			i++
		}
		if i >= len(b) {
			return dst
		}
		k := i
		for i < len(b) && isTagKeyByte(b[i]) {
			i++
		}
		if i == k || i >= len(b) || (b[i] != '=' && b[i] != ':') {
			return dst
		}
		key := b[k:i]
		sep := b[i]
		i++
		var val []byte
		escaped := false
		if sep == '=' && i < len(b) && b[i] == '\'' {
			i++
			v := i
			for i < len(b) && b[i] != '\'' {
				if b[i] == '\\' && i+1 < len(b) {
					escaped = true
					i++
				}
				i++
			}
			if i >= len(b) {
				return dst // unterminated value
			}
			val = b[v:i]
			i++
			// The spec exhibit's typo: 'index,'framework=... — the comma
			// went inside the quotes.
			if i < len(b) && isTagKeyByte(b[i]) && len(val) > 0 && val[len(val)-1] == ',' {
				val = val[:len(val)-1]
			}
		} else {
			v := i
			for i < len(b) && b[i] != ',' {
				i++
			}
			val = bytes.TrimRight(b[v:i], " \t\r\n")
		}
		if escaped {
			val = unescapeQuote(val)
		}
		dst = appendTag(dst, key, val, sep == '=')
	}
}

func unescapeQuote(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		out = append(out, v[i])
	}
	return out
}

func appendTag(dst []Tag, key, val []byte, encoded bool) []Tag {
	k, v := string(key), string(val)
	if encoded {
		k, v = urlDecode(k), urlDecode(v)
	}
	dst = append(dst, Tag{k, v})
	if k == "traceparent" {
		// version-traceid-parentid-flags, lower-case hex (W3C Trace Context).
		if len(v) == 55 && v[2] == '-' && v[35] == '-' && v[52] == '-' && isHex(v[3:35]) && isHex(v[36:52]) {
			dst = append(dst, Tag{"trace_id", v[3:35]}, Tag{"span_id", v[36:52]})
		}
	}
	return dst
}

func urlDecode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !hexTab[s[i]] {
			return false
		}
	}
	return true
}
