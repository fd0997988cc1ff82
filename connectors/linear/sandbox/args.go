package sandbox

import (
	"fmt"
	"time"

	"github.com/tandem-sync/tandem/connectors/linear/sandbox/gql"
)

// Helpers reading coerced GraphQL arguments and input objects. Values come
// from JSON variables (float64, string, []any, map[string]any) or document
// literals (int64, float64, string).

func argStr(m map[string]any, k string) (string, bool) {
	s, ok := m[k].(string)
	return s, ok
}

func argMap(m map[string]any, k string) map[string]any {
	x, _ := m[k].(map[string]any)
	return x
}

func argInt(m map[string]any, k string) (int, bool) {
	f, ok := gql.AsFloat(m[k])
	return int(f), ok
}

func argFloat(m map[string]any, k string) (float64, bool) {
	return gql.AsFloat(m[k])
}

func argBool(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func argStrings(m map[string]any, k string) ([]string, bool) {
	v, ok := m[k]
	if !ok || v == nil {
		return nil, ok
	}
	list, ok := v.([]any)
	if !ok {
		if ss, ok := v.([]string); ok {
			return ss, true
		}
		if s, ok := v.(string); ok { // GraphQL input coercion: a single value is a list of one
			return []string{s}, true
		}
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func has(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// parseTime reads a DateTime: RFC 3339 with or without fractions, a date, a
// year ("2021"), or an ISO 8601 duration relative to now ("-P2W1D").
func parseTime(v any, now time.Time) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("invalid date %v", v)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly, "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if d, err := parseDuration(s, now); err == nil {
		return d, nil
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

// parseDuration applies an ISO 8601 duration such as -P2W1D or PT5M to now.
func parseDuration(s string, now time.Time) (time.Time, error) {
	sign := 1
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	if len(s) < 2 || s[0] != 'P' {
		return time.Time{}, fmt.Errorf("not a duration")
	}
	s = s[1:]
	var y, mo, d int
	var dur time.Duration
	inTime := false
	n, digits := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if n > 1e6 {
				return time.Time{}, fmt.Errorf("duration too large")
			}
			n = n*10 + int(c-'0')
			digits++
			continue
		case c == 'T':
			if inTime || digits > 0 {
				return time.Time{}, fmt.Errorf("bad duration")
			}
			inTime = true
			continue
		}
		if digits == 0 {
			return time.Time{}, fmt.Errorf("bad duration")
		}
		switch {
		case !inTime && c == 'Y':
			y += n
		case !inTime && c == 'M':
			mo += n
		case !inTime && c == 'W':
			d += 7 * n
		case !inTime && c == 'D':
			d += n
		case inTime && c == 'H':
			dur += time.Duration(n) * time.Hour
		case inTime && c == 'M':
			dur += time.Duration(n) * time.Minute
		case inTime && c == 'S':
			dur += time.Duration(n) * time.Second
		default:
			return time.Time{}, fmt.Errorf("bad duration")
		}
		n, digits = 0, 0
	}
	if digits > 0 {
		return time.Time{}, fmt.Errorf("bad duration")
	}
	return now.AddDate(sign*y, sign*mo, sign*d).Add(time.Duration(sign) * dur), nil
}
