package backlog

import "strings"

// LexoRankPosition reads a Jira LexoRank ("0|i0000f:" or "0|hzzzzz:i",
// bucket, six base-36 digits, then more after the colon) as a number that
// grows with the rank: the bucket plus the digits as a base-36 fraction.
// Ranks compare bytewise in Jira; for ranks of the same form (what Jira
// hands out: six digits before the colon) the numbers compare the same
// way, as far as float64 tells them apart (about ten digits; deeper ranks
// may come out equal). ok is false for anything else. It is a hint for
// placing a new twin where its source stands, not an order: the order
// pass stays what mirrors order.
func LexoRankPosition(rank string) (pos float64, ok bool) {
	bucket, digits, found := strings.Cut(rank, "|")
	if !found || len(bucket) != 1 || bucket[0] < '0' || bucket[0] > '9' || digits == "" {
		return 0, false
	}
	pos = float64(bucket[0] - '0')
	scale := 1.0
	for k := 0; k < len(digits); k++ {
		c := digits[k]
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 10
		case c == ':':
			continue
		default:
			return 0, false
		}
		scale /= 36
		pos += float64(d) * scale
	}
	return pos, true
}
