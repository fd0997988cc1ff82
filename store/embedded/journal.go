package embedded

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"time"

	"github.com/tandem-sync/tandem/backlog"
)

// Record ops. Each line of the journal is one record; replaying the records
// in order rebuilds the state.
const (
	opMeta     = "meta"     // Meta: counters that must never go back
	opLink     = "link"     // Link: SaveLink
	opUnlink   = "unlink"   // Key: DeleteLink
	opUnindex  = "unindex"  // Key (a Jira id): no link is found by it (compaction only)
	opBase     = "base"     // Key, Base: SaveBase
	opCursor   = "cursor"   // Key, Value: SaveCursor
	opConflict = "conflict" // Conflict, Seq (insertion order): AddConflict, UpdateConflict
	opDropConf = "dropconf" // Key: a conflict dropped by PruneConflicts
	opSeen     = "seen"     // Key, Until: SeenDelivery
	opForget   = "forget"   // Key: ForgetDelivery
	opDirty    = "dirty"    // Key, Seq: MarkDirty
	opClean    = "clean"    // Key, Seq: ClearDirty that removed the mark
)

type record struct {
	Op       string            `json:"op"`
	Key      string            `json:"key,omitempty"`
	Value    string            `json:"value,omitempty"`
	Seq      int64             `json:"seq,omitempty"`
	Until    time.Time         `json:"until,omitzero"`
	Link     *backlog.Link     `json:"link,omitempty"`
	Base     backlog.Snapshot  `json:"base,omitempty"`
	Conflict *backlog.Conflict `json:"conflict,omitempty"`
	Meta     *meta             `json:"meta,omitempty"`
}

// meta carries the counters. Replay keeps the maximum of every field, so a
// meta record never moves a counter back.
type meta struct {
	// Epoch is bumped and made durable at every Open; it forms the high
	// bits of fencing tokens, which therefore grow across restarts
	// without a write per Lock.
	Epoch       int64 `json:"epoch"`
	DirtySeq    int64 `json:"dirtySeq"`
	ConflictSeq int64 `json:"conflictSeq"`
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// encode appends one journal line: 8 hex digits of the CRC-32C of the JSON,
// a space, the JSON, a newline.
func encode(buf []byte, r record) ([]byte, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return buf, fmt.Errorf("encoding %s record: %w", r.Op, err)
	}
	buf = fmt.Appendf(buf, "%08x ", crc32.Checksum(js, crcTable))
	buf = append(buf, js...)
	return append(buf, '\n'), nil
}

// errTorn marks a line that is not a complete, intact record.
var errTorn = errors.New("torn or damaged record")

// decode parses one line (without its newline).
func decode(line []byte) (record, error) {
	var r record
	if len(line) < 10 || line[8] != ' ' {
		return r, fmt.Errorf("%w: too short or no checksum", errTorn)
	}
	sum, err := strconv.ParseUint(string(line[:8]), 16, 32)
	if err != nil {
		return r, fmt.Errorf("%w: bad checksum field", errTorn)
	}
	js := line[9:]
	if crc32.Checksum(js, crcTable) != uint32(sum) {
		return r, fmt.Errorf("%w: checksum mismatch", errTorn)
	}
	// The checksum matched, so the bytes are what was written: from here
	// on an error is a format problem, not damage.
	if err := json.Unmarshal(js, &r); err != nil {
		return r, fmt.Errorf("decoding record: %w", err)
	}
	if !knownOp(r.Op) {
		return r, fmt.Errorf("unknown record op %q (written by a newer version?)", r.Op)
	}
	return r, nil
}

func knownOp(op string) bool {
	switch op {
	case opMeta, opLink, opUnlink, opUnindex, opBase, opCursor, opConflict, opDropConf, opSeen, opForget, opDirty, opClean:
		return true
	}
	return false
}

// replayResult says how much of a journal was good.
type replayResult struct {
	records int   // intact records applied
	good    int64 // offset just past the last intact record
	torn    int64 // bytes after good that were a torn tail (to be cut)
}

// replay reads journal lines from r and applies each intact record. A
// damaged line is accepted only as the journal's tail (what a crash during
// an append leaves); an intact record after a damaged one means the damage
// is not a torn write, and replay fails rather than drop that record.
func replay(r io.Reader, apply func(record) error) (replayResult, error) {
	var res replayResult
	br := bufio.NewReaderSize(r, 1<<16)
	line := 0
	var damaged error
	damagedAt := int64(-1)
	var off int64
	for {
		b, err := br.ReadBytes('\n')
		if len(b) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return res, fmt.Errorf("reading journal: %w", err)
		}
		line++
		start := off
		off += int64(len(b))
		complete := len(b) > 0 && b[len(b)-1] == '\n'
		var rec record
		var derr error
		if !complete {
			derr = fmt.Errorf("%w: no newline at end of file", errTorn)
		} else {
			rec, derr = decode(bytes.TrimSuffix(b, []byte{'\n'}))
		}
		if derr != nil && !errors.Is(derr, errTorn) {
			return res, fmt.Errorf("journal line %d: %w", line, derr)
		}
		if derr != nil {
			if damagedAt < 0 {
				damaged, damagedAt = fmt.Errorf("journal line %d (offset %d): %w", line, start, derr), start
			}
			continue
		}
		if damagedAt >= 0 {
			return res, fmt.Errorf("%w; an intact record follows at line %d, so this is not a torn write: refusing to drop it", damaged, line)
		}
		if err := apply(rec); err != nil {
			return res, fmt.Errorf("journal line %d: %w", line, err)
		}
		res.records++
		res.good = off
	}
	if damagedAt >= 0 {
		res.torn = off - res.good
	}
	return res, nil
}
