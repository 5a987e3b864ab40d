package replay

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/sigcheck"
	"github.com/kaohe/kaohe/projections/engine"
)

// Verification is what Verify found. Problems is empty when every hash
// chain holds and every publication matches the events of its time.
type Verification struct {
	Years    []*YearCheck `json:"years"`
	Events   int          `json:"events"`   // messages read (quarantined ones included)
	Subjects int          `json:"subjects"` // hash chains (one per aggregate)
	Problems []*Problem   `json:"problems"` // in stream order (of the suspect event, for broken links)
	// Quarantined lists, in stream order, the messages that are not
	// accepted into the ledger (events.Admit): excluded from scoring and
	// from the publications' roots. Each is a finding: OK is false.
	Quarantined []*events.QuarantineError `json:"quarantined"`
	Signed      int                       `json:"signed"`   // events validly signed by an official of the roster (signatures.go)
	Unsigned    int                       `json:"unsigned"` // unsigned events from before the roster existed (an older ledger)
}

// OK reports whether nothing failed and nothing is quarantined.
func (v *Verification) OK() bool { return len(v.Problems) == 0 && len(v.Quarantined) == 0 }

// First is the first problem in stream order, nil when OK.
func (v *Verification) First() *Problem {
	if len(v.Problems) == 0 {
		return nil
	}
	return v.Problems[0]
}

// YearCheck is one year's part of a verification.
type YearCheck struct {
	Year         int                 `json:"year"`
	Events       int                 `json:"events"` // accepted events
	Quarantined  int                 `json:"quarantined"`
	Subjects     int                 `json:"subjects"`
	Publications []*PublicationCheck `json:"publications"`
}

// PublicationCheck compares one publication with a recomputation from the
// year's events with seq ≤ its up_to_seq.
type PublicationCheck struct {
	Published
	GotEvents int    `json:"got_events"`
	GotRoot   string `json:"got_merkle_root"`
	GotDigest string `json:"got_digest"` // "" when the results could not be recomputed
	OK        bool   `json:"ok"`
}

// Problem kinds.
const (
	ProblemChain       = "chain"       // a hash chain link does not hold
	ProblemUnreadable  = "unreadable"  // a stored message is not an envelope
	ProblemPublication = "publication" // a publication does not match its events
)

// Problem is one mismatch, naming the event or publication at fault.
type Problem struct {
	Kind    string `json:"kind"`
	Year    int    `json:"year"`
	Seq     uint64 `json:"seq"`      // where it was found: the event, or the publication event
	EventID string `json:"event_id"` // that event's id
	Subject string `json:"subject"`
	// Suspect is the earlier event a broken link points at (it was changed,
	// or an event after it was dropped); 0 when the event at Seq is itself
	// at fault.
	Suspect   uint64 `json:"suspect_seq,omitempty"`
	SuspectID string `json:"suspect_id,omitempty"`
	Version   int    `json:"version,omitempty"` // the publication's version
	Message   string `json:"message"`

	Chain *events.ChainError `json:"-"`
}

func (p *Problem) Error() string { return p.Message }

// at is where the problem lies in stream order: the suspect of a broken
// link (an event changed there shows up at its successor), else Seq.
func (p *Problem) at() uint64 {
	if p.Suspect != 0 {
		return p.Suspect
	}
	return p.Seq
}

// Verify re-reads the stream — the given years, or every year when none is
// given — and checks every hash chain and every publication: the Merkle
// root and the event count over the year's events with seq ≤ up_to_seq,
// and the results digest recomputed from those events. The error is for
// a failed read only; mismatches are the Verification's Problems.
func Verify(ctx context.Context, st *jetstream.Store, years ...int) (*Verification, error) {
	filters := []string{events.AllSubjects}
	if len(years) > 0 {
		ys := append([]int(nil), years...)
		sort.Ints(ys)
		filters = filters[:0]
		for i, y := range ys {
			if i == 0 || y != ys[i-1] {
				filters = append(filters, events.YearSubjects(y))
			}
		}
	}
	log, err := newSpillLog(spillDirs(st.DataDir())...)
	if err != nil {
		return nil, err
	}
	defer log.close()
	v := newVerifier(log)
	sigs, err := loadRoster(ctx, st)
	if err != nil {
		return nil, err
	}
	v.sigs, v.adm = sigs, events.NewAdmitter(sigs.roster).CheckingWith(sigcheck.Verify)
	for _, f := range filters {
		// A message that is not an envelope is delivered too (Stored.DecodeErr)
		// and quarantined: one bad message must not hide what follows.
		if err := st.Read(ctx, f, 1, 0, func(ev events.Stored) error { v.add(ev); return v.err }); err != nil {
			return nil, fmt.Errorf("verify: read %s: %w", f, err)
		}
	}
	for _, y := range years {
		v.log.touch(y)
	}
	return v.finish()
}

// VerifyEvents checks events already read (stream order, any years), the
// same way as Verify. Signatures are checked against the roster events
// among evs: give them too (kaohe.org.official.>) when the events are
// signed, else every signed event is named for an unknown key.
func VerifyEvents(evs []events.Stored) *Verification {
	v := newVerifier(memLog{})
	v.sigs = rosterOf(evs)
	v.adm = events.NewAdmitter(v.sigs.roster).CheckingWith(sigcheck.Verify)
	for _, ev := range evs {
		v.add(ev)
	}
	out, _ := v.finish() // in memory: nothing to fail
	return out
}

type verifier struct {
	adm      *events.Admitter // the same admission as scoring: quarantined messages are no part of a year
	quar     map[int][]*events.QuarantineError
	chain    events.ChainChecker
	broken   map[string]bool // subjects whose chain already failed: later links would only repeat it
	subjects map[string]int  // subject → year
	log      yearLog         // the accepted events by year
	err      error           // the log's first failure: it stops the read
	out      *Verification
	sigs     *signatures                        // nil: signatures not checked
	admitted bool                               // the last message admitted was accepted (its signature checked)
	lastQuar map[string]*events.QuarantineError // each subject's last message quarantined for itself (not its link)
}

func newVerifier(log yearLog) *verifier {
	return &verifier{broken: map[string]bool{}, subjects: map[string]int{}, log: log, quar: map[int][]*events.QuarantineError{}, out: &Verification{}}
}

func (v *verifier) add(ev events.Stored) {
	v.out.Events++
	year := ev.Year
	if y, _, err := events.ParseSubject(ev.Subject); err == nil {
		year = y
	}
	if _, seen := v.subjects[ev.Subject]; !seen {
		v.subjects[ev.Subject] = year
	}
	if !v.admit(ev, year) {
		return
	}
	v.checkSignature(ev, year, v.admitted)
	if v.broken[ev.Subject] {
		return
	}
	err := v.chain.Add(ev)
	if err == nil {
		return
	}
	v.broken[ev.Subject] = true
	p := &Problem{Kind: ProblemChain, Year: year, Seq: ev.Seq, EventID: ev.ID, Subject: ev.Subject, Message: err.Error()}
	var ce *events.ChainError
	if errors.As(err, &ce) {
		p.Chain = ce
		if ce.PrevSeq != 0 && isPrevMismatch(ce) {
			p.Suspect = ce.PrevSeq
			p.SuspectID = v.idOf(year, ce.PrevSeq)
			p.Message = fmt.Sprintf("event seq %d (%s) on %s was changed, or an event of that subject after it was dropped, or seq %d is not the ledger's (it is quarantined): the next event, seq %d (%s), carries prev %s but seq %d hashes to %s",
				ce.PrevSeq, p.SuspectID, ev.Subject, ev.Seq, ev.Seq, ev.ID, short(ce.Got), ce.PrevSeq, short(ce.Want))
		} else {
			p.Message = fmt.Sprintf("event seq %d (%s) on %s: %s", ev.Seq, ev.ID, ev.Subject, ce.Problem)
		}
		if q := v.lastQuar[ev.Subject]; q != nil {
			// Its link may be to that message: say so, it is the likelier story.
			p.Message += fmt.Sprintf("; seq %d on this subject is quarantined (%s), so it is no link", q.Seq, q.Reason)
		}
	}
	v.out.Problems = append(v.out.Problems, p)
}

// admit admits ev (events.Admit, as scoring does): an accepted event
// joins its year; a quarantined message is listed and is no part of it.
// It says whether to check ev's chain link too: for an accepted event,
// and for a message quarantined for its link, which is also a chain
// problem (the message may be junk, or the event it should link to was
// changed, or one after it dropped). The checker's chain, like the
// admission's, holds accepted events only, so it names the same link.
func (v *verifier) admit(ev events.Stored, year int) (checkLink bool) {
	_, err := v.adm.Admit(ev)
	v.admitted = err == nil
	if err == nil {
		if e := v.log.add(year, ev); e != nil && v.err == nil {
			v.err = e
		}
		return true
	}
	q := events.AsQuarantine(err)
	if q == nil {
		q = &events.QuarantineError{Seq: ev.Seq, Subject: ev.Subject, Year: year, Detail: err.Error()}
	}
	v.out.Quarantined = append(v.out.Quarantined, q)
	if q.Reason != events.ReasonBrokenChain {
		if v.lastQuar == nil {
			v.lastQuar = map[string]*events.QuarantineError{}
		}
		v.lastQuar[ev.Subject] = q
	}
	v.quar[year] = append(v.quar[year], q)
	v.log.touch(year)
	switch q.Reason {
	case events.ReasonBadSignature:
		v.checkSignature(ev, year, false) // named as a signature problem too: a forgery, or a key used after its time
	case events.ReasonReplayed:
		v.out.Problems = append(v.out.Problems, sigProblemOf(ev, year, "replayed: "+q.Detail)) // and so is a replayed one
	}
	return q.Reason == events.ReasonBrokenChain
}

// isPrevMismatch tells the broken-link case (the previous event is the
// suspect) from problems of the event itself.
func isPrevMismatch(ce *events.ChainError) bool {
	return strings.HasPrefix(ce.Problem, "prev is not the hash")
}

// idOf is the id of the accepted event seq of the year ("?" if none), for
// a problem's message.
func (v *verifier) idOf(year int, seq uint64) string {
	if ev, ok, err := v.log.find(year, seq); err == nil && ok {
		return ev.ID
	}
	return "?"
}

func (v *verifier) finish() (*Verification, error) {
	if v.err != nil {
		return nil, v.err
	}
	out := v.out
	out.Subjects = len(v.subjects)
	perYear := map[int]int{}
	for _, y := range v.subjects {
		perYear[y]++
	}
	years := v.log.years()
	sort.Ints(years)
	for _, y := range years {
		evs, err := v.log.read(y) // one year in memory at a time
		if err != nil {
			return nil, err
		}
		if y == events.OrgYear {
			out.Problems = checkRoster(evs, out.Problems) // the roster: no publications
			continue
		}
		yc := &YearCheck{Year: y, Events: len(evs), Quarantined: len(v.quar[y]), Subjects: perYear[y]}
		out.Years = append(out.Years, yc)
		yc.Publications, out.Problems = checkPublications(y, evs, v.quar[y], out.Problems)
		out.Problems = checkDerived(y, evs, out.Problems)
		out.Problems = checkLinks(y, evs, out.Problems)
		out.Problems = checkRefusals(y, evs, out.Problems)
	}
	sort.SliceStable(out.Problems, func(i, j int) bool {
		a, b := out.Problems[i], out.Problems[j]
		if a.at() != b.at() {
			return a.at() < b.at()
		}
		return a.Kind == ProblemChain && b.Kind != ProblemChain // a changed event: its broken link says more than its signature
	})
	return out, nil
}

// checkPublications recomputes every publication of a year in one pass:
// the Merkle tree and the fold advance through the accepted events in
// stream order and are read at each publication's up_to_seq; the results
// warn of the quarantined messages qs up to it, as they did when published.
func checkPublications(year int, evs []events.Stored, qs []*events.QuarantineError, problems []*Problem) ([]*PublicationCheck, []*Problem) {
	var checks []*PublicationCheck
	for _, ev := range evs {
		if ev.Type != events.TypeResultsPublished {
			continue
		}
		p, err := events.Payload(ev.Envelope)
		if err != nil {
			problems = append(problems, &Problem{Kind: ProblemPublication, Year: year, Seq: ev.Seq, EventID: ev.ID, Subject: ev.Subject,
				Message: fmt.Sprintf("publication event seq %d (%s) cannot be read: %v", ev.Seq, ev.ID, err)})
			continue
		}
		checks = append(checks, &PublicationCheck{Published: Published{ResultsPublished: *p.(*events.ResultsPublished), Seq: ev.Seq, EventID: ev.ID, RecordedAt: ev.RecordedAt, Actor: ev.Actor}})
	}
	order := append([]*PublicationCheck(nil), checks...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].UpToSeq < order[j].UpToSeq })

	var (
		m      Merkle
		fold   = engine.NewFolder(year, nil)
		foldEr error
		i      int
	)
	for _, pc := range order {
		for i < len(evs) && evs[i].Seq <= pc.UpToSeq {
			m.Add(evs[i].Raw)
			if foldEr == nil {
				foldEr = fold.Apply(evs[i])
			}
			i++
		}
		pc.GotRoot, pc.GotEvents = m.Root(), m.Count()
		var scoreErr error
		if foldEr != nil {
			scoreErr = foldEr
		} else if f, err := fold.Facts(); err != nil {
			scoreErr = err
		} else if r, err := engine.Score(f); err != nil {
			scoreErr = err
		} else {
			n := 0
			for n < len(qs) && qs[n].Seq <= pc.UpToSeq {
				n++
			}
			r.Quarantined(qs[:n])
			pc.GotDigest = r.Digest()
		}
		pc.OK = pc.GotRoot == pc.MerkleRoot && pc.GotEvents == pc.Events && pc.GotDigest == pc.Digest && pc.UpToSeq < pc.Seq
		if msg := pc.problem(scoreErr); msg != "" {
			pc.OK = false
			problems = append(problems, &Problem{Kind: ProblemPublication, Year: year, Seq: pc.Seq, EventID: pc.EventID,
				Subject: events.Subject(year, events.AggYear), Version: pc.Version, Message: msg})
		}
	}
	for n, pc := range checks {
		if pc.Version != n+1 {
			pc.OK = false
			problems = append(problems, &Problem{Kind: ProblemPublication, Year: year, Seq: pc.Seq, EventID: pc.EventID,
				Subject: events.Subject(year, events.AggYear), Version: pc.Version,
				Message: fmt.Sprintf("publication event seq %d (%s) is version %d but is publication number %d of year %d: a publication was changed or dropped", pc.Seq, pc.EventID, pc.Version, n+1, year)})
		}
	}
	return checks, problems
}

// problem describes what does not match, "" when everything does.
func (pc *PublicationCheck) problem(scoreErr error) string {
	head := fmt.Sprintf("publication v%d (event seq %d, %s)", pc.Version, pc.Seq, pc.EventID)
	if pc.UpToSeq >= pc.Seq {
		return fmt.Sprintf("%s claims to cover events up to seq %d, at or after itself", head, pc.UpToSeq)
	}
	changed := pc.GotRoot != pc.MerkleRoot || pc.GotEvents != pc.Events
	switch {
	case changed:
		msg := fmt.Sprintf("%s does not match the stream: %d events up to seq %d with Merkle root %s, published %d events with root %s — an event at or before seq %d was changed, added or dropped",
			head, pc.GotEvents, pc.UpToSeq, short(pc.GotRoot), pc.Events, short(pc.MerkleRoot), pc.UpToSeq)
		if pc.GotDigest != pc.Digest {
			msg += fmt.Sprintf("; the recomputed results digest %s differs from the published %s", short(pc.GotDigest), short(pc.Digest))
		}
		return msg
	case scoreErr != nil:
		return fmt.Sprintf("%s: its events are intact but the results cannot be recomputed: %v", head, scoreErr)
	case pc.GotDigest != pc.Digest:
		return fmt.Sprintf("%s: its events are intact (the Merkle root matches) but recomputing them gives results digest %s, published %s: the publication's digest was altered, or the scoring code changed since it was published",
			head, short(pc.GotDigest), short(pc.Digest))
	}
	return ""
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	if h == "" {
		return "(none)"
	}
	return h
}
