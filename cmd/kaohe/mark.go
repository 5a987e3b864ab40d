package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kaohe/kaohe/events"
)

// markFile is the stream mark: what a data directory without a projections
// file remembers of the stream it last saw — its last message's sequence
// and hash. The projections remember the stream where they exist, the
// witnesses from the first publication on; a command that answers from
// the stream alone (results, explain or sheet of one year, submit) leaves
// neither, and a stream deleted, purged or cut short after it would read
// as "no ledger here" or as a shorter ledger, not as the loss it is. So
// each such command checks the mark first, then moves it to the stream's
// end.
const markFile = "stream-mark.json"

// streamMark is the content of markFile.
type streamMark struct {
	Stream  string `json:"stream"`
	Seq     uint64 `json:"seq"`     // the stream's last message when it was seen
	Subject string `json:"subject"` // that message's subject
	Hash    string `json:"hash"`    // events.Hash of its bytes
}

func (m *Main) markPath() string { return filepath.Join(m.DataDir, markFile) }

// readMark reads the stream mark (ok false: none). A mark that does not
// parse is reported: it is the memory of a loss check.
func (m *Main) readMark() (streamMark, bool, error) {
	var mk streamMark
	b, err := os.ReadFile(m.markPath())
	if errors.Is(err, os.ErrNotExist) {
		return mk, false, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &mk)
	}
	if err != nil {
		return mk, false, fmt.Errorf("the stream mark %s: %w (remove it if the stream is known to be whole: kaohe verify)", m.markPath(), err)
	}
	return mk, true, nil
}

// checkMark holds the stream against the mark: every sequence up to it is
// there (less the accepted losses) and the message at it has the bytes
// that were seen (accepted: the losses replay --accept-loss recorded). A
// mark at or below applied (the projections' checkpoint, which their own
// check just held) costs nothing: no request per command of a kaohe serve
// whose directory was once used without projections.
func (m *Main) checkMark(ctx context.Context, applied uint64, accepted events.Accepted) error {
	mk, ok, err := m.readMark()
	if err != nil || !ok || mk.Stream != m.store.StreamName() || mk.Seq <= applied {
		return err
	}
	loss := func(seq uint64, changed bool, detail string) error {
		return &events.LossError{Seq: seq, Changed: changed, Memory: "stream mark " + m.markPath(), Detail: detail}
	}
	miss, err := m.store.FirstMissing(ctx, accepted, mk.Seq)
	if err != nil {
		return err
	}
	if miss != 0 {
		return loss(miss, false, fmt.Sprintf("this data directory saw the stream hold every event up to seq %d", mk.Seq))
	}
	got, err := m.messageAt(ctx, mk.Seq)
	if err != nil {
		return err
	}
	if got == nil {
		return loss(mk.Seq, false, "this data directory saw it in the stream")
	}
	if h := events.Hash(got.Raw); h != mk.Hash || got.Subject != mk.Subject {
		return loss(mk.Seq, true, fmt.Sprintf("this data directory saw %s with hash %s there, the stream has %s with hash %s", mk.Subject, short(mk.Hash), got.Subject, short(h)))
	}
	return nil
}

// moveMark sets the mark to the stream's last message now.
func (m *Main) moveMark(ctx context.Context) error {
	_, last, err := m.store.Extent(ctx)
	if err != nil || last == 0 {
		return err
	}
	got, err := m.messageAt(ctx, last)
	if err != nil || got == nil {
		return err
	}
	b, _ := json.Marshal(streamMark{Stream: m.store.StreamName(), Seq: got.Seq, Subject: got.Subject, Hash: events.Hash(got.Raw)})
	return writeFileAtomic(m.markPath(), append(b, '\n'))
}

// messageAt is the stream's message at seq (nil: there is none).
func (m *Main) messageAt(ctx context.Context, seq uint64) (*events.Stored, error) {
	var got *events.Stored
	err := m.store.Read(ctx, events.AllSubjects, seq, seq, func(ev events.Stored) error {
		if ev.Seq == seq {
			got = &ev
		}
		return nil
	})
	return got, err
}
