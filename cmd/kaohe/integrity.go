package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
	"github.com/kaohe/kaohe/replay/witness"
)

// integrityError words the two integrity failures every command may meet,
// both exit 1: the loss alarm, and a damaged projections file.
func integrityError(err error) (string, bool) {
	var le *events.LossError
	switch {
	case errors.As(err, &le):
		msg := err.Error()
		if commands.ErrorCode(err) == commands.EALARM {
			msg = le.Error() + " — nothing written"
		}
		return "ALARM: " + msg + " (kaohe verify names what is gone; docs/operations.md: restore)", true
	case sqlite.IsDamaged(err):
		if strings.HasPrefix(err.Error(), sqlite.ErrDamaged.Error()) {
			return err.Error(), true
		}
		return fmt.Sprintf("%s (%v)", sqlite.ErrDamaged, err), true
	}
	return "", false
}

// witnessDirs are the witness directories: the one under --data first.
func (m *Main) witnessDirs() []string {
	return append([]string{filepath.Join(m.DataDir, witness.DefaultDir)}, m.Witnesses...)
}

// checkpointSigner is the one place kaohe gets the key that signs its
// checkpoints (issue 11 moves signing to the office's own key).
func (m *Main) checkpointSigner() (note.Signer, note.Verifier, error) {
	return witness.LoadSigner(m.DataDir, witness.Origin(m.store.StreamName()))
}

// checkpointNow is the ledger's publication hook: the checkpoint of the
// stream as it stands, signed and witnessed (witnessCheckpoint).
func (m *Main) checkpointNow(ctx context.Context) (string, error) {
	acc, err := m.acceptedLoss(ctx)
	if err != nil {
		return "", err
	}
	// The sizes the witnesses hold, so the one read of the stream also
	// proves the new checkpoint extends each. Unverified, only a hint:
	// witnessCheckpoint reads them again, verified, and reports what is
	// wrong with them.
	var held []int64
	for _, dir := range m.witnessDirs() {
		if h, err := witness.In(dir).Read(nil); err == nil && len(h) > 0 {
			held = append(held, h[len(h)-1].Size)
		}
	}
	cp, scan, err := replay.StreamCheckpointFrom(ctx, m.store, acc.Through, held)
	if err != nil {
		return "", err
	}
	return m.witnessCheckpoint(ctx, cp, scan, acc.Through)
}

// witnessMu keeps one witness append at a time in this process (serve
// answers publications from the web and the service concurrently).
var witnessMu sync.Mutex

// witnessPublications witnesses the stream once more after a publication
// was written (kaohe submit, the service, the web), as kaohe publish does:
// the publication's own checkpoint covers the stream before it, this one
// covers the publication event too, so the witnesses alone notice it
// going missing.
func (m *Main) witnessPublications(ctx context.Context, evs []events.Stored) error {
	for _, ev := range evs {
		if ev.Type != events.TypeResultsPublished {
			continue
		}
		var p events.ResultsPublished
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return err
		}
		if p.Checkpoint == "" {
			continue
		}
		witnessMu.Lock()
		defer witnessMu.Unlock()
		if _, err := m.checkpointNow(ctx); err != nil {
			return fmt.Errorf("published, but witnessing the stream after the publication failed (kaohe verify re-checks): %w", err)
		}
		return nil // one checkpoint covers every publication written
	}
	return nil
}

// acceptedLoss is the loss accepted by replay --accept-loss, as the
// projections record it; none when the projections are not there or
// damaged.
func (m *Main) acceptedLoss(ctx context.Context) (events.Accepted, error) {
	db, release, err := m.memoryHandle()
	if err != nil || db == nil {
		return events.Accepted{}, nil
	}
	defer release()
	return acceptedIn(ctx, db)
}

// acceptedIn is the loss accepted as db records it; none when db is
// damaged.
func acceptedIn(ctx context.Context, db *sqlite.DB) (events.Accepted, error) {
	acc, err := db.AcceptedLoss(ctx)
	if sqlite.IsDamaged(err) {
		return events.Accepted{}, nil
	}
	return acc, err
}

// witnessCheckpoint signs a checkpoint and appends it to every witness,
// each checking it extends what it held (a consistency proof read from
// the stream: from scan, the read that made cp, or read again when a
// witness holds a size scan did not prove from). It is the ledger's
// publication hook: a witness that refuses refuses the publication.
func (m *Main) witnessCheckpoint(ctx context.Context, cp witness.Checkpoint, scan *replay.LogScan, accepted uint64) (string, error) {
	signer, v, err := m.checkpointSigner()
	if err != nil {
		return "", err
	}
	msg, err := witness.Sign(cp, signer)
	if err != nil {
		return "", err
	}
	for _, dir := range m.witnessDirs() {
		f := witness.In(dir)
		held, err := f.Read(v)
		if err != nil {
			return "", err
		}
		var proof tlog.TreeProof
		if n := len(held); n > 0 && held[n-1].Size > 0 && held[n-1].Size < cp.Size {
			from := held[n-1].Size
			if proof, err = scan.Proof(cp.Size, from); err != nil {
				// The witness moved since scan was read.
				again, err := replay.ScanLog(ctx, m.store, uint64(cp.Size), accepted, []int64{from, cp.Size})
				if err != nil {
					return "", err
				}
				if proof, err = again.Proof(cp.Size, from); err != nil {
					return "", err
				}
			}
		}
		if err := f.Append(msg, v, proof); err != nil {
			if errors.Is(err, witness.ErrNotExtending) {
				last := held[len(held)-1]
				le := &events.LossError{Seq: uint64(min(last.Size, cp.Size)), Memory: "witness " + f.Path, Detail: err.Error()}
				if cp.Size < last.Size {
					le.Seq = uint64(cp.Size) + 1
				} else {
					le.Changed, le.Before = true, true
				}
				return "", le
			}
			return "", err
		}
	}
	return msg, nil
}

// checkLoss holds the stream against what kaohe remembers of it: the
// projections' checkpoint (sqlite CheckStream, when the file is there and
// whole) and the newest checkpoint each witness holds (every sequence up
// to its size must be there). Cheap — a few requests when there is no
// hole — so queries and the ledger's writes run it each time.
func (m *Main) checkLoss(ctx context.Context) error { return m.checkMemory(ctx, false) }

// checkLossFully is checkLoss with every subject's head (sqlite
// CheckHeads): verify and replay.
func (m *Main) checkLossFully(ctx context.Context) error { return m.checkMemory(ctx, true) }

func (m *Main) checkMemory(ctx context.Context, everyHead bool) error {
	db, release, err := m.memoryHandle()
	if err != nil {
		return err
	}
	var applied uint64 // how far the projections remember the stream
	var accepted events.Accepted
	if db != nil {
		if everyHead {
			err = db.CheckHeads(ctx, m.store)
		} else {
			err = db.CheckStream(ctx, m.store)
		}
		if err == nil {
			applied, err = db.Checkpoint(ctx)
		}
		if err == nil {
			accepted, err = acceptedIn(ctx, db)
		}
		release()
		if err != nil && !sqlite.IsDamaged(err) {
			return err
		}
	}
	if err := m.checkWitnessSize(ctx, accepted); err != nil {
		return err
	}
	// The stream mark: what this data directory saw while it had no
	// projections (markFile). Checked where the projections do not remember
	// as far — none, a new empty file (replay makes one before its check),
	// one built up to less — and moved while there is no file.
	if err := m.checkMark(ctx, applied, accepted); err != nil {
		return err
	}
	if db != nil {
		return nil
	}
	return m.moveMark(ctx)
}

// memoryHandle is the projections handle the loss checks read: kaohe
// serve's own (a submission opened the file anew before), or the file
// opened for the check, which release closes. It is nil when there is no
// usable file (missing or damaged: the witnesses remember then).
func (m *Main) memoryHandle() (db *sqlite.DB, release func(), err error) {
	if m.shared != nil {
		return m.shared.db, func() {}, nil
	}
	path := filepath.Join(m.DataDir, projectionsFile)
	if _, err := os.Stat(path); err != nil || sqlite.CheckFile(path) != nil {
		return nil, func() {}, nil
	}
	if db, err = sqlite.Open(path); err != nil {
		if sqlite.IsDamaged(err) {
			return nil, func() {}, nil
		}
		return nil, func() {}, err
	}
	projectionsOpened.Add(1)
	return db, func() { db.Close() }, nil
}

// checkWitnessSize: the stream holds every sequence up to the newest
// checkpoint of each witness, but the accepted losses.
func (m *Main) checkWitnessSize(ctx context.Context, accepted events.Accepted) error {
	for _, dir := range m.witnessDirs() {
		f := witness.In(dir)
		held, err := f.Read(nil)
		if err != nil {
			return err
		}
		if len(held) == 0 {
			continue
		}
		last := held[len(held)-1]
		miss, err := m.store.FirstMissing(ctx, accepted, uint64(last.Size))
		if err != nil {
			return err
		}
		if miss != 0 && miss <= uint64(last.Size) {
			return &events.LossError{Seq: miss, Memory: "witness " + f.Path,
				Detail: fmt.Sprintf("checkpoint %s covers seq 1..%d", short(last.Root.String()), last.Size)}
		}
	}
	return nil
}

// openChecked opens the store and raises the loss alarm before a query
// that reads the stream itself (log, diff, appeal simulation).
func (m *Main) openChecked(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.checkLoss(ctx)
}

// setAsideDamaged moves a damaged projections file (and its WAL and
// shared-memory files) out of the way, so replay builds a new one without
// ever opening it. It returns where it went ("" when it was not damaged).
func setAsideDamaged(path string) (string, error) {
	err := sqlite.CheckFile(path)
	if err == nil {
		// The header looks whole: let SQLite read it.
		db, oerr := sqlite.Open(path)
		if oerr == nil {
			_, oerr = db.Checkpoint(context.Background())
			db.Close()
		}
		if !sqlite.IsDamaged(oerr) {
			return "", nil
		}
	}
	aside := path + ".damaged-" + time.Now().UTC().Format("20060102T150405Z")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("set the damaged projections aside: %w", err)
		}
	}
	return aside, nil
}

// acceptLoss is replay --accept-loss: it says what is gone and sets the
// witness file under --data aside (kept whole, renamed: it is the evidence
// of what the ledger held), so the next publication starts a new one, and
// removes the stream mark (markFile). It
// returns the accepted loss: holes up to the stream's last sequence.
func (m *Main) acceptLoss(ctx context.Context, loss error) (events.Accepted, error) {
	st, err := m.store.State(ctx)
	if err != nil {
		return events.Accepted{}, err
	}
	fmt.Fprintf(m.Stdout, "损失 LOSS ACCEPTED: %v\n", loss)
	fmt.Fprintf(m.Stdout, "  the stream holds %d messages (last seq %d); the projections are rebuilt from those, and the messages missing up to seq %d are recorded as accepted\n",
		st.Msgs, st.LastSeq, st.LastSeq)
	f := witness.In(filepath.Join(m.DataDir, witness.DefaultDir))
	if _, err := os.Stat(f.Path); err == nil {
		aside := f.Path + ".before-loss-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(f.Path, aside); err != nil {
			return events.Accepted{}, fmt.Errorf("set the witness aside: %w", err)
		}
		fmt.Fprintf(m.Stdout, "  witness set aside as %s (keep it: it records what was published before the loss)\n", aside)
	}
	// The stream mark too: the rebuilt projections remember the stream
	// from now on, and the next command without them marks it anew.
	if err := os.Remove(m.markPath()); err == nil {
		fmt.Fprintf(m.Stdout, "  stream mark %s removed\n", m.markPath())
	} else if !errors.Is(err, os.ErrNotExist) {
		return events.Accepted{}, fmt.Errorf("remove the stream mark: %w", err)
	}
	return events.Accepted{Through: st.LastSeq, Held: st.Msgs}, nil
}
