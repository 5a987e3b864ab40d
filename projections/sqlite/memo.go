package sqlite

import "github.com/kaohe/kaohe/events"

// memo remembers, between batches, facts and entries this handle has read
// or written, so that applying an event rarely needs a look-up query (the
// look-ups were half the cost of a rebuild). It is only a cache of rows in
// the file: a miss falls back to the query. It is trusted only while the
// file's checkpoint is the one this handle last committed — any other
// writer moves the checkpoint — and it is dropped when a transaction rolls
// back, on a one-year rebuild, or when it grows past memoLimit entries.
type memo struct {
	valid   bool
	seq     uint64 // the checkpoint the maps agree with
	facts   map[factKey]string
	entries map[string]entry
	heads   map[string]events.Head // chain_heads rows (quarantine.go)
}

// memoLimit bounds each map (~150 bytes an entry).
const memoLimit = 200_000

type factKey struct {
	year                                 int
	kind, subject, fact, indicator, part string
}

// referred are the event types a later event refers to by id.
var referred = map[string]bool{
	events.TypeScoreRecorded: true, events.TypeCadreScoreRecorded: true, events.TypeScoreCorrected: true,
	events.TypeVetoImposed: true, events.TypeAppealFiled: true,
}

// begin checks the memo against the checkpoint a batch starts from.
func (m *memo) begin(cp uint64) {
	if !m.valid || m.seq != cp || len(m.facts) > memoLimit || len(m.entries) > memoLimit || len(m.heads) > memoLimit {
		m.reset()
		m.valid, m.seq = true, cp
	}
}

// commit records the checkpoint a batch committed.
func (m *memo) commit(cp uint64) { m.seq = cp }

// reset forgets everything (a rollback, another writer).
func (m *memo) reset() {
	m.valid = false
	m.facts = map[factKey]string{}
	m.entries = map[string]entry{}
	m.heads = map[string]events.Head{}
}
