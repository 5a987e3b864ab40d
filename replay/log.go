package replay

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay/witness"
)

// LogScan is the stream read as a transparency log: leaf i is the stored
// bytes of the message at stream sequence i+1.
type LogScan struct {
	Size    int64     // messages 1..Size were all there
	Missing uint64    // the first sequence with no message (0: none up to the end)
	Root    tlog.Hash // the tree hash at Size

	roots   map[int64]tlog.Hash
	proofs  map[[2]int64]tlog.TreeProof
	errs    map[[2]int64]error
	records map[int64]tlog.RecordProof // inclusion proofs in the tree of the largest size asked for
}

// RecordProof is the inclusion proof of the message at stream sequence seq
// in the tree of the largest size the scan was asked for (ScanLogRecords).
func (s *LogScan) RecordProof(seq uint64) (tlog.RecordProof, error) {
	p, ok := s.records[int64(seq)-1]
	if !ok {
		return nil, fmt.Errorf("replay: no inclusion proof of seq %d (the stream holds %d messages in order)", seq, s.Size)
	}
	return p, nil
}

// RootAt is the tree hash at size n, if the scan passed it and was asked
// for it.
func (s *LogScan) RootAt(n int64) (tlog.Hash, bool) {
	h, ok := s.roots[n]
	return h, ok
}

// Proof is the consistency proof from size n to size m (n < m), if the
// scan passed m and was asked for it.
func (s *LogScan) Proof(m, n int64) (tlog.TreeProof, error) {
	if err, ok := s.errs[[2]int64{m, n}]; ok {
		return nil, err
	}
	p, ok := s.proofs[[2]int64{m, n}]
	if !ok {
		return nil, fmt.Errorf("replay: no consistency proof %d → %d (the stream holds %d messages in order)", n, m, s.Size)
	}
	return p, nil
}

// ScanLog reads the stream from sequence 1 to upTo (0: its end) through
// the tree, in one pass and O(log n) memory, stopping at the first
// missing sequence. It notes the root at each of sizes, and the
// consistency proofs between them in ascending order (each size to the
// next, and each to the largest).
//
// A missing sequence at or below accepted (a loss accepted by replay
// --accept-loss) is an empty record, tlog.RecordHash of no bytes: the log
// goes on past it, and a checkpoint made since commits to the gap.
func ScanLog(ctx context.Context, st *jetstream.Store, upTo, accepted uint64, sizes []int64) (*LogScan, error) {
	return ScanLogRecords(ctx, st, upTo, accepted, sizes, nil)
}

// ScanLogRecords is ScanLog that also proves the inclusion of the
// messages at the stream sequences seqs in the tree of the largest of
// sizes (LogScan.RecordProof), in the same pass.
func ScanLogRecords(ctx context.Context, st *jetstream.Store, upTo, accepted uint64, sizes []int64, seqs []uint64) (*LogScan, error) {
	// The end of a scan of the whole stream is fixed before reading: a
	// message another writer appends meanwhile is past it, not a hole
	// below a last sequence asked for after the read (that was reported as
	// a loss of the ledger).
	empty := false
	if upTo == 0 {
		last, err := st.LastSeq(ctx)
		if err != nil {
			return nil, err
		}
		upTo, empty = last, last == 0
	}
	want := append([]int64(nil), sizes...)
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	tree := witness.NewTree()
	s := &LogScan{roots: map[int64]tlog.Hash{}, proofs: map[[2]int64]tlog.TreeProof{}, errs: map[[2]int64]error{}, records: map[int64]tlog.RecordProof{}}
	var top int64
	if len(want) > 0 {
		top = want[len(want)-1]
	}
	for _, seq := range seqs {
		tree.KeepRecord(top, int64(seq)-1)
	}
	var pairs [][2]int64
	for i := 1; i < len(want); i++ {
		if want[i-1] > 0 && want[i-1] < want[i] {
			pairs = append(pairs, [2]int64{want[i], want[i-1]})
			if want[i] != want[len(want)-1] {
				pairs = append(pairs, [2]int64{want[len(want)-1], want[i-1]})
			}
		}
	}
	for _, p := range pairs {
		tree.KeepProof(p[0], p[1])
	}
	wanted := map[int64]bool{}
	for _, n := range want {
		wanted[n] = true
	}
	note := func() error {
		n := tree.Size()
		if !wanted[n] {
			return nil
		}
		r, err := tree.Root()
		if err != nil {
			return err
		}
		s.roots[n] = r
		if n == top {
			for _, seq := range seqs {
				if int64(seq) < 1 || int64(seq) > top {
					continue
				}
				pr, err := tree.ProveRecord(top, int64(seq)-1)
				if err != nil {
					return err
				}
				s.records[int64(seq)-1] = pr
			}
		}
		for _, p := range pairs {
			if p[0] == n {
				pr, err := tree.ProveTree(p[0], p[1])
				if err != nil {
					s.errs[p] = err
				} else {
					s.proofs[p] = pr
				}
			}
		}
		return nil
	}
	if err := note(); err != nil { // size 0
		return nil, err
	}
	errHole := errors.New("hole")
	fill := func(through uint64) error { // accepted holes: empty records
		for uint64(tree.Size()) < min(through, accepted) {
			if err := tree.Add(nil); err != nil {
				return err
			}
			if err := note(); err != nil {
				return err
			}
		}
		return nil
	}
	add := func(seq uint64, raw []byte) error {
		if err := fill(seq - 1); err != nil {
			return err
		}
		if seq != uint64(tree.Size())+1 {
			s.Missing = uint64(tree.Size()) + 1
			return errHole
		}
		if err := tree.Add(raw); err != nil {
			return err
		}
		return note()
	}
	from := uint64(1)
	for !empty {
		err := st.Read(ctx, events.AllSubjects, from, upTo, func(ev events.Stored) error { return add(ev.Seq, ev.Raw) })
		var de *events.DecodeError
		if errors.As(err, &de) {
			// Not an envelope, but a message of the stream all the same.
			if err := add(de.Seq, de.Raw); err != nil && !errors.Is(err, errHole) {
				return nil, err
			} else if err != nil {
				break
			}
			from = de.Seq + 1
			continue
		}
		if err != nil && !errors.Is(err, errHole) {
			return nil, fmt.Errorf("replay: read the log: %w", err)
		}
		break
	}
	// A store may report a last sequence beyond the messages it holds.
	if s.Missing == 0 {
		end := upTo
		if end == 0 {
			var err error
			if end, err = st.LastSeq(ctx); err != nil {
				return nil, err
			}
		}
		if err := fill(end); err != nil {
			return nil, err
		}
		if uint64(tree.Size()) < end {
			s.Missing = uint64(tree.Size()) + 1
		}
	}
	s.Size = tree.Size()
	r, err := tree.Root()
	if err != nil {
		return nil, err
	}
	s.Root = r
	return s, nil
}

// StreamCheckpoint is the checkpoint of the whole stream as it stands: it
// reads every message. A hole in the stream (above accepted, see ScanLog)
// is an *events.LossError.
func StreamCheckpoint(ctx context.Context, st *jetstream.Store, accepted uint64) (witness.Checkpoint, error) {
	cp, _, err := StreamCheckpointFrom(ctx, st, accepted, nil)
	return cp, err
}

// StreamCheckpointFrom is StreamCheckpoint that, in the same read of the
// stream, also proves the checkpoint extends each of the sizes from (the
// checkpoints the witnesses hold): scan.Proof(cp.Size, n) for each n of
// from below the stream's size. Publication so reads the stream once, not
// once more for each witness.
func StreamCheckpointFrom(ctx context.Context, st *jetstream.Store, accepted uint64, from []int64) (witness.Checkpoint, *LogScan, error) {
	var (
		upTo  uint64 // 0: ScanLog fixes the end itself
		sizes []int64
	)
	if len(from) > 0 {
		// The proofs are to the checkpoint's size, so it is fixed here.
		last, err := st.LastSeq(ctx)
		if err != nil {
			return witness.Checkpoint{}, nil, err
		}
		upTo = last
		for _, n := range from {
			if n > 0 && n < int64(last) {
				sizes = append(sizes, n)
			}
		}
		if len(sizes) > 0 {
			sizes = append(sizes, int64(last))
		}
	}
	scan, err := ScanLog(ctx, st, upTo, accepted, sizes)
	if err != nil {
		return witness.Checkpoint{}, nil, err
	}
	if scan.Missing != 0 {
		return witness.Checkpoint{}, nil, &events.LossError{Seq: scan.Missing, Memory: "stream",
			Detail: "the stream's sequences go on past it; no checkpoint of a stream with a hole"}
	}
	return witness.Checkpoint{Origin: witness.Origin(st.StreamName()), Size: scan.Size, Root: scan.Root}, scan, nil
}

// LogProblem is one finding of VerifyLog.
type LogProblem struct {
	Size    int64  `json:"size"`              // the checkpoint at fault
	Missing uint64 `json:"missing,omitempty"` // the first sequence the stream lacks
	Message string `json:"message"`
}

// LogCheck is what VerifyLog found.
type LogCheck struct {
	Checkpoints int           `json:"checkpoints"` // distinct checkpoints checked
	Newest      int64         `json:"newest_size"` // the largest checkpoint size (0: none)
	StreamSize  int64         `json:"stream_size"` // messages in order from seq 1
	Problems    []*LogProblem `json:"problems"`
}

// VerifyLog holds the stream against checkpoints: those held by the
// witnesses (witnessed) and those carried by publications (read here; v
// checks their signatures when not nil; accepted: see ScanLog). Every checkpoint must match the
// stream (root at its size), the newest must be covered by the stream
// (else the first missing sequence is named), and each checkpoint must
// extend the one before it and be contained in the newest: a consistency
// proof (tlog.ProveTree/CheckTree) from the stream, so a stream rewritten
// and then published again is still caught against the older checkpoint.
func VerifyLog(ctx context.Context, st *jetstream.Store, witnessed []witness.Checkpoint, v note.Verifier, accepted uint64) (*LogCheck, error) {
	out := &LogCheck{}
	cps := append([]witness.Checkpoint(nil), witnessed...)
	pubs, probs, err := publishedCheckpoints(ctx, st, v)
	if err != nil {
		return nil, err
	}
	out.Problems = append(out.Problems, probs...)
	cps = append(cps, pubs...)
	// Distinct by size; two different roots of one size are a fork.
	bySize := map[int64]witness.Checkpoint{}
	var sizes []int64
	for _, c := range cps {
		if c.Origin != witness.Origin(st.StreamName()) {
			out.Problems = append(out.Problems, &LogProblem{Size: c.Size, Message: fmt.Sprintf("checkpoint of size %d is of log %q, not %q", c.Size, c.Origin, witness.Origin(st.StreamName()))})
			continue
		}
		if prev, ok := bySize[c.Size]; ok {
			if prev.Root != c.Root {
				out.Problems = append(out.Problems, &LogProblem{Size: c.Size, Message: fmt.Sprintf("two checkpoints of size %d have different roots (%s, %s): the log was forked", c.Size, prev.Root, c.Root)})
			}
			continue
		}
		bySize[c.Size] = c
		sizes = append(sizes, c.Size)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	out.Checkpoints = len(sizes)
	scan, err := ScanLog(ctx, st, 0, accepted, sizes)
	if err != nil {
		return nil, err
	}
	out.StreamSize = scan.Size
	if len(sizes) == 0 {
		return out, nil
	}
	out.Newest = sizes[len(sizes)-1]
	newest := bySize[out.Newest]
	for _, n := range sizes {
		c := bySize[n]
		if n > scan.Size {
			miss := scan.Missing
			if miss == 0 {
				miss = uint64(scan.Size) + 1
			}
			out.Problems = append(out.Problems, &LogProblem{Size: n, Missing: miss, Message: fmt.Sprintf(
				"the stream lost events: checkpoint %s covers seq 1..%d, the stream holds them in order only up to seq %d; first missing seq %d",
				short(c.Root.String()), n, scan.Size, miss)})
			continue
		}
		if got, _ := scan.RootAt(n); got != c.Root {
			out.Problems = append(out.Problems, &LogProblem{Size: n, Message: fmt.Sprintf(
				"the stream was rewritten: checkpoint of size %d has root %s, the stream's first %d messages hash to %s — a message at or before seq %d was changed",
				n, short(c.Root.String()), n, short(got.String()), n)})
		}
	}
	// Each checkpoint extends the one before it and is contained in the
	// newest, proved from the stream.
	extends := func(from, to witness.Checkpoint) {
		if from.Size == 0 || to.Size > scan.Size {
			return
		}
		proof, err := scan.Proof(to.Size, from.Size)
		if err == nil {
			err = witness.Extends(from, to, proof)
		}
		if err != nil {
			out.Problems = append(out.Problems, &LogProblem{Size: to.Size, Message: fmt.Sprintf("checkpoint of size %d does not extend checkpoint of size %d: %v", to.Size, from.Size, err)})
		}
	}
	for i := 1; i < len(sizes); i++ {
		a, b := bySize[sizes[i-1]], bySize[sizes[i]]
		extends(a, b)
		if b.Size != out.Newest {
			extends(a, newest)
		}
	}
	return out, nil
}

// publishedCheckpoints reads the checkpoints of every publication: the
// years' own subjects only (kaohe.*.year), not the whole stream.
func publishedCheckpoints(ctx context.Context, st *jetstream.Store, v note.Verifier) ([]witness.Checkpoint, []*LogProblem, error) {
	var (
		out   []witness.Checkpoint
		probs []*LogProblem
	)
	filter := events.SubjectPrefix + ".*." + events.AggYear
	from := uint64(1)
	for {
		err := st.Read(ctx, filter, from, 0, func(ev events.Stored) error {
			from = ev.Seq + 1
			if ev.Type != events.TypeResultsPublished {
				return nil
			}
			p, err := events.Payload(ev.Envelope)
			if err != nil {
				return nil // Verify names it
			}
			msg := p.(*events.ResultsPublished).Checkpoint
			if msg == "" {
				return nil
			}
			c, err := witness.Open(msg, v)
			if err != nil {
				probs = append(probs, &LogProblem{Message: fmt.Sprintf("publication event seq %d (%s): its checkpoint %v", ev.Seq, ev.ID, strings.TrimPrefix(err.Error(), "witness: "))})
				return nil
			}
			out = append(out, c)
			return nil
		})
		var de *events.DecodeError
		if errors.As(err, &de) {
			from = de.Seq + 1
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("replay: read publications: %w", err)
		}
		return out, probs, nil
	}
}
