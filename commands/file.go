package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// A command file of any size is submitted in two passes over the file
// (SubmitFile), each holding one batch of commands and events at a time:
//
//  1. validate: every command is decided, in file order, in one session
//     whose aggregate states run on through the whole file; the events of a
//     batch are let go once the batch is full (the states keep what later
//     commands need), and the batches are planned: at most jetstream.MaxBatch
//     events each, a command never split.
//  2. write: the file is read again and each batch submitted as one atomic
//     append (Submit: decided again on the ledger's states, with the same
//     optimistic concurrency and year guards as any submission), skipping
//     the commands the first pass found recorded.
//
// Nothing is written unless the whole file is valid. If writing stops
// part-way the error (PartialError) names the lines that landed; the same
// file submitted again writes only the rest, as recorded commands are
// skipped.

// FileOutcome is what SubmitFile wrote.
type FileOutcome struct {
	Commands   int    // commands in the file
	Events     int    // events written now
	Duplicates int    // commands already recorded (skipped)
	Batches    int    // atomic appends made
	FirstSeq   uint64 // stream sequence of the first event written (0: none)
	LastSeq    uint64 // of the last
}

// PartialError says that writing a valid file stopped part-way and which
// of its lines landed. Err is the cause; ErrorCode gives its code.
type PartialError struct {
	Written int // lines 1..Written are in the ledger (written now or before)
	Unknown int // lines Written+1..Unknown perhaps (the server did not answer); 0: none
	Last    int // the file's last command line
	Events  int // events written before it stopped
	Err     error
}

func (e *PartialError) Error() string {
	var b strings.Builder
	if e.Written > 0 {
		fmt.Fprintf(&b, "lines 1–%d written", e.Written)
	} else {
		b.WriteString("nothing written")
	}
	from := e.Written + 1
	if e.Unknown > 0 {
		fmt.Fprintf(&b, ", lines %d–%d perhaps written (the server did not answer)", from, e.Unknown)
		from = e.Unknown + 1
	}
	if from <= e.Last {
		fmt.Fprintf(&b, ", lines %d–%d not written", from, e.Last)
	}
	fmt.Fprintf(&b, " (%d events written now); submit the same file again to write the rest (recorded commands are skipped): %v", e.Events, e.Err)
	return b.String()
}

func (e *PartialError) Unwrap() error { return e.Err }

// maxCarried bounds the events a file's validation keeps of batches
// already planned: what a later grade decision's proposal (Proposer) or a
// publication's check needs of its year. Past it, such a command is
// refused and must come in a file of its own.
const maxCarried = 20_000

// fileBatch is one planned atomic append: the command lines first..last
// and a digest of them, checked again when the file is read to write it.
type fileBatch struct {
	first, last int
	events      int
	sum         [sha256.Size]byte
}

// filePlan is what the validation of a file found.
type filePlan struct {
	batches    []fileBatch
	release    [][]string // per batch: subjects no later batch uses (their cached states are let go after it)
	recorded   lineSet    // command lines already in the ledger
	commands   int
	duplicates int
	lastLine   int
}

// SubmitFile validates the command file open returns (called once per
// pass: it must give the same bytes each time), then writes it in atomic
// batches of at most jetstream.MaxBatch events. prepare, when set, is applied
// to each command read before it is decided (kaohe submit resolves a
// DefineScheme's source_file there). A bad command is refused naming its
// line, nothing written; a file with no command is an error too.
func (l *Ledger) SubmitFile(ctx context.Context, open func() (io.ReadCloser, error), prepare func(*Command) error) (*FileOutcome, error) {
	if err := l.ready(); err != nil {
		return nil, err
	}
	plan, unchecked, err := l.validateFile(ctx, open, prepare, false)
	if e := (*Error)(nil); errors.As(err, &e) && e.Code != EINTERNAL && unchecked {
		// Decided on cached states other writers may have moved: check
		// once more on the stream's states before refusing (as Submit).
		plan, _, err = l.validateFile(ctx, open, prepare, true)
	}
	if err != nil {
		return nil, err
	}
	if plan.commands == 0 {
		return nil, fail(EINVALID, "", "no commands in the file")
	}
	if len(plan.batches) > 1 {
		// The validation's states of a large file are garbage now:
		// collect them before the writing makes its own, so that the
		// two passes' memory does not add up.
		debug.FreeOSMemory()
	}

	return l.writeFile(ctx, open, prepare, plan)
}

// validateFile decides every command of the file (pass 1) and plans the
// batches. unchecked says cached states were used without a look at the
// stream.
func (l *Ledger) validateFile(ctx context.Context, open func() (io.ReadCloser, error), prepare func(*Command) error, fresh bool) (*filePlan, bool, error) {
	r, err := open()
	if err != nil {
		return nil, false, err
	}
	defer r.Close()
	s := &session{l: l, states: map[string]*aggState{}, base: map[string]uint64{}, now: l.now(), fresh: fresh,
		carried: &carried{years: map[int][]events.Envelope{}, dropped: map[int]bool{}}, recorded: &window{}, lastUse: map[string]int{}}
	plan := &filePlan{}
	ids := map[string]int{} // command id → line: an id names one command of the file
	var cur fileBatch
	sum := sha256.New()
	closeBatch := func() {
		sum.Sum(cur.sum[:0])
		plan.batches = append(plan.batches, cur)
		cur = fileBatch{}
		sum.Reset()
	}
	dec := NewDecoder(r)
	for {
		c, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, s.unchecked, err
		}
		if prepare != nil {
			if err := prepare(&c); err != nil {
				return nil, s.unchecked, err
			}
		}
		if j, ok := ids[c.ID]; ok && c.ID != "" {
			return nil, s.unchecked, &Error{Code: EINVALID, Index: c.Line, Command: c.ID, Field: "id", Msg: fmt.Sprintf("command id already used by command %d of this submission", j)}
		}
		ids[c.ID] = c.Line
		// The signature, and the actor from the roster, as Submit does
		// (identity.go); the writing pass's Submit checks them again.
		signed, err := l.authenticate(ctx, []Command{c}, false, nil)
		if err != nil {
			return nil, s.unchecked, err
		}
		c = signed[0]
		n0, dup0 := len(s.pending), s.duplicates
		s.line = c.Line
		if err := s.decideFileCommand(ctx, c); err != nil {
			return nil, s.unchecked, err
		}
		made := len(s.pending) - n0
		if made > jetstream.MaxBatch {
			return nil, s.unchecked, &Error{Code: EINVALID, Index: c.Line, Command: c.ID, Msg: fmt.Sprintf("the command makes %d events; one atomic append holds at most %d", made, jetstream.MaxBatch)}
		}
		if cur.events+made > jetstream.MaxBatch {
			// The batch is full without this command: plan it and let
			// its events go (a year's are carried for pendingOf).
			closeBatch()
			s.carried.add(s.pending[:n0])
			s.pending = slices.Clone(s.pending[n0:])
			s.emitted = nil
			// Compact what the batch folded into the states: a frozen
			// layer is a map made to size, the writes' maps grew by
			// doubling.
			for _, st := range s.states {
				st.freeze()
			}
		}
		if cur.first == 0 {
			cur.first = c.Line
		}
		cur.last = c.Line
		cur.events += made
		sum.Write(dec.Text())
		sum.Write([]byte{'\n'})
		if s.duplicates > dup0 {
			plan.recorded.add(c.Line)
			plan.duplicates++
		}
		plan.commands++
		plan.lastLine = c.Line
	}
	if cur.first != 0 {
		closeBatch()
	}
	// Which states each batch is the last to use: writing lets them go
	// after it, so the ledger's cache holds what the rest of the file
	// needs, not every aggregate the file touched.
	plan.release = make([][]string, len(plan.batches))
	for subj, line := range s.lastUse {
		i := sort.Search(len(plan.batches), func(i int) bool { return plan.batches[i].last >= line })
		if i < len(plan.batches) {
			plan.release[i] = append(plan.release[i], subj)
		}
	}
	return plan, s.unchecked, nil
}

// decideFileCommand decides one command of a file in the validating
// session, naming its line in an error.
func (s *session) decideFileCommand(ctx context.Context, c Command) error {
	var err error
	if e := checkLimits(c); e != nil {
		err = e
	} else if err = s.needsCarried(c); err == nil {
		err = s.decideIn(ctx, c, "", false)
	}
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Code: EINTERNAL, Index: c.Line, Command: c.ID, Msg: "deciding failed", Err: err}
	}
	if e.Index == 0 {
		e.Index = c.Line
	}
	if e.Command == "" {
		e.Command = c.ID
	}
	return e
}

// needsCarried refuses a command that needs the events of its year decided
// earlier in the file (a grade decision's proposal, a publication's check)
// once the validation has let them go (more than maxCarried).
func (s *session) needsCarried(c Command) error {
	if !s.carried.dropped[c.Year] {
		return nil
	}
	needs := c.Type == "PublishResults" || ((c.Type == "DecideGrade" || c.Type == "DecideGrades") && s.l.Proposer != nil)
	if c.Type == "ResolveAppeal" && s.l.Proposer != nil {
		if p, err := c.payload(); err == nil {
			for _, cc := range p.(*ResolveAppeal).Corrections {
				needs = needs || cc.Type == "DecideGrade" || cc.Type == "DecideGrades"
			}
		}
	}
	if !needs {
		return nil
	}
	return fail(EINVALID, "type", "%s follows more than %d events of %d earlier in this file, more than a file's check keeps: submit it in a file of its own once they are written", c.Type, maxCarried, c.Year)
}

// writeFile reads the file again (pass 2) and submits the planned batches.
func (l *Ledger) writeFile(ctx context.Context, open func() (io.ReadCloser, error), prepare func(*Command) error, plan *filePlan) (*FileOutcome, error) {
	out := &FileOutcome{Commands: plan.commands, Duplicates: plan.duplicates}
	written := 0 // the last line of the batches stored
	stop := func(err error, unknown int) error {
		if written == 0 && unknown == 0 {
			return err // nothing landed: as a refused submission
		}
		return &PartialError{Written: written, Unknown: unknown, Last: plan.lastLine, Events: out.Events, Err: err}
	}
	changed := func(b fileBatch) error {
		return stop(&Error{Code: EINVALID, Index: b.first, Msg: fmt.Sprintf("the file changed while it was submitted: lines %d–%d are not what was checked", b.first, b.last)}, 0)
	}
	r, err := open()
	if err != nil {
		return nil, stop(err, 0)
	}
	defer r.Close()
	dec := NewDecoder(r)
	var (
		batch []Command
		sum   hash.Hash = sha256.New()
		bi    int
	)
	flush := func() error {
		b := plan.batches[bi]
		if !bytes.Equal(sum.Sum(nil), b.sum[:]) {
			return changed(b)
		}
		if len(batch) > 0 {
			o, err := l.Submit(ctx, batch)
			if err != nil && ErrorCode(err) == EINTERNAL {
				// Not a refusal: the append may have been stored all
				// the same (a batch is atomic: all of it or none).
				switch l.landed(ctx, batch[0]) {
				case stored:
					written = b.last
					return stop(err, 0)
				case unknown:
					return stop(err, b.last)
				}
			}
			if err != nil {
				return stop(err, 0)
			}
			out.Events += len(o.Events)
			out.Duplicates += o.Duplicates // stored meanwhile by another writer
			out.Batches++
			if len(o.Events) > 0 {
				if out.FirstSeq == 0 {
					out.FirstSeq = o.Events[0].Seq
				}
				out.LastSeq = o.Events[len(o.Events)-1].Seq
			}
		}
		written = b.last
		l.release(plan.release[bi])
		batch = batch[:0]
		sum.Reset()
		bi++
		return nil
	}
	for {
		c, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, stop(err, 0)
		}
		if bi >= len(plan.batches) {
			return nil, changed(fileBatch{first: c.Line, last: c.Line})
		}
		if c.Line > plan.batches[bi].last {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if prepare != nil {
			if err := prepare(&c); err != nil {
				return nil, stop(err, 0)
			}
		}
		sum.Write(dec.Text())
		sum.Write([]byte{'\n'})
		if !plan.recorded.has(c.Line) {
			batch = append(batch, c)
		}
	}
	if bi < len(plan.batches) {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if bi != len(plan.batches) {
		return nil, changed(plan.batches[bi])
	}
	return out, nil
}

// release lets the cached states of subjects go (a file's write is done
// with them): a later use reads them again.
func (l *Ledger) release(subjects []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, subj := range subjects {
		delete(l.cache, subj)
		delete(l.schemes, subj)
	}
}

// outcome is what is known of a failed append.
type outcome int

const (
	notStored outcome = iota
	stored
	unknown
)

// landed looks, after an append failed without a refusal (the server did
// not answer, ctx ended), whether c, a command of it that writes, is
// recorded all the same.
func (l *Ledger) landed(ctx context.Context, c Command) outcome {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	p, err := c.payload()
	if err != nil {
		return unknown
	}
	agg, err := aggregateOf(c.Type, p)
	if err != nil {
		return unknown
	}
	st, _, err := l.state(ctx, events.Subject(c.Year, agg), true)
	switch {
	case err != nil:
		return unknown
	case st.recorded(c.ID):
		return stored
	}
	return notStored
}

// carried keeps the events of a file's planned batches by year, up to
// maxCarried; past that every carried year's are let go (dropped).
type carried struct {
	years   map[int][]events.Envelope
	n       int
	dropped map[int]bool
}

func (c *carried) add(pending []jetstream.Pending) {
	for _, p := range pending {
		y := p.Envelope.Year
		if c.dropped[y] {
			continue
		}
		c.years[y] = append(c.years[y], p.Envelope)
		c.n++
	}
	if c.n > maxCarried {
		for y := range c.years {
			c.dropped[y] = true
		}
		c.years, c.n = map[int][]events.Envelope{}, 0
	}
}

// window holds a run of the stream's events read by sequence: where the
// validation of a resubmitted file finds the recorded commands to compare
// (sameCommand). A file's recorded commands were written in file order,
// in batches, so one read serves a run of them: no round trip per
// command, and no whole aggregate held.
type window struct {
	evs []events.Stored // consecutive in stream order
}

// windowSize is the events one window read takes.
const windowSize = 2 * jetstream.MaxBatch

// at is the stored event at stream sequence seq (nil when there is none).
func (w *window) at(ctx context.Context, st *jetstream.Store, seq uint64) (*events.Stored, error) {
	find := func() *events.Stored {
		i := sort.Search(len(w.evs), func(i int) bool { return w.evs[i].Seq >= seq })
		if i < len(w.evs) && w.evs[i].Seq == seq {
			return &w.evs[i]
		}
		return nil
	}
	if n := len(w.evs); n > 0 && w.evs[0].Seq <= seq && seq <= w.evs[n-1].Seq {
		return find(), nil
	}
	w.evs = w.evs[:0]
	err := st.Read(ctx, events.AllSubjects, seq, seq+windowSize-1, func(ev events.Stored) error {
		w.evs = append(w.evs, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return find(), nil
}

// lineSet is a set of line numbers, a bit each.
type lineSet []uint64

func (s *lineSet) add(line int) {
	for len(*s) <= line/64 {
		*s = append(*s, 0)
	}
	(*s)[line/64] |= 1 << (line % 64)
}

func (s lineSet) has(line int) bool {
	return line/64 < len(s) && s[line/64]&(1<<(line%64)) != 0
}
