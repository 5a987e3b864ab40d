package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/sigcheck"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Fact names of the facts table.
const (
	factPart      = "part"       // a unit indicator part (ScoreRecorded, ScoreCorrected)
	factTarget    = "target"     // a unit indicator target (TargetAdjusted)
	factScore     = "score"      // a cadre score component (CadreScoreRecorded)
	factGrade     = "grade"      // a decided grade (GradeDecided)
	factCondition = "condition"  // a flagged condition: "1" or "0"
	factStatus    = "status"     // a cadre's roster status
	factSocial    = "social"     // a rater group's evaluation
	factVotes     = "votes"      // a ballot tally
	factVeto      = "veto"       // one veto, by its event id: imposed | lifted
	factUnit      = "unit"       // a cadre's unit (CadreRegistered)
	factAppeal    = "appeal"     // an appeal, by its event id: filed | outcome
	factReg       = "registered" // a cadre's registration: name / class / post
)

// Values of veto and condition facts.
const (
	vetoImposed = "否决 imposed"
	vetoLifted  = "撤销 lifted"
	condOn      = "是 yes"
	condOff     = "否 no"
)

// applier applies events inside one transaction, with its statements
// prepared once per transaction.
type applier struct {
	d    *DB
	tx   txn
	memo *memo // facts and entries known in this transaction's view
	full *full // a full rebuild's complete facts and entries (nil: memo and look-ups)

	insEvent, insEvents, getFact, putFact, getEntry, insScheme *sql.Stmt
	getRow                                                     *rowReader      // a full rebuild's entry by seq
	years                                                      map[int]int     // events applied per year
	seen                                                       map[string]head // each subject's last message applied, quarantined or not (saveHeads)

	pending []any     // events rows not yet inserted, eventCols values each
	direct  *inserter // a full rebuild inserts them through the driver

	heads       map[string]events.Head    // chain heads read or moved in this transaction (quarantine.go)
	runs        map[string]events.Run     // events.RunKey → a signed command's accepted events, read or written in this transaction (a full rebuild's: all)
	refs        events.Refs               // a full rebuild's: each command's first event on each chain (checkRefs)
	getRun      *sql.Stmt                 // prepared on first use
	putRun      *sql.Stmt                 // prepared on first use
	moved       map[string]bool           // subjects whose head this transaction moved
	getHead     *sql.Stmt                 // prepared on first use
	quarantined []*events.QuarantineError // a full rebuild's quarantined messages, for scoring
	roster      *events.RosterAsOf        // the roster as of each event (quarantine.go); nil: empty
	sigs        events.Verifier           // the signatures of events decoded here (not ahead)
}

// txn is what applying needs of a transaction: a *sql.Tx, or the *sql.Conn
// of a full rebuild with a transaction begun on it.
type txn interface {
	querier
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// eventCols is the number of columns of an events row; rowsPerInsert rows
// go into one INSERT (one statement instead of fifty through database/sql
// and cgo).
const (
	eventCols     = 24
	rowsPerInsert = 50
)

const insertEvents = `INSERT INTO events(seq, id, type, v, year, aggregate, actor_id, actor_role, recorded_ns, occurred_ns,
	command_id, causation_id, correlation_id, reason, kind, subject, indicator, part, old_value, new_value, refers, detail, data_at, raw) VALUES `

// valuesList is "(?, …), (?, …)": rows of cols placeholders.
func valuesList(rows, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(one+", ", rows-1) + one
}

// newApplier prepares the statements of a transaction. With f (a full
// rebuild), facts and entries are in f and never looked up in the file.
func (d *DB) newApplier(ctx context.Context, tx txn, f *full) (*applier, error) {
	a := &applier{d: d, tx: tx, memo: &d.memo, full: f, sigs: events.Verifier{Ed25519: sigcheck.Verify}, years: map[int]int{}, heads: map[string]events.Head{}, runs: map[string]events.Run{}, moved: map[string]bool{}, seen: map[string]head{}}
	if f != nil {
		a.memo = &memo{} // unused, but apply may reset it
		a.memo.reset()
	}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&a.insEvent, insertEvents + valuesList(1, eventCols)},
		{&a.insEvents, insertEvents + valuesList(rowsPerInsert, eventCols)},
		{&a.getFact, `SELECT value FROM facts WHERE year = ? AND kind = ? AND subject = ? AND fact = ? AND indicator = ? AND part = ?`},
		{&a.putFact, `INSERT INTO facts(year, kind, subject, fact, indicator, part, value, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(year, kind, subject, fact, indicator, part) DO UPDATE SET value = excluded.value, seq = excluded.seq`},
		{&a.getEntry, `SELECT type, kind, subject, indicator, part, new_value FROM events INDEXED BY events_id WHERE id = ?`},
		{&a.insScheme, `INSERT OR REPLACE INTO schemes(year, seq, event_id, digest, source) VALUES (?, ?, ?, ?, ?)`},
	} {
		if f != nil && (p.dst == &a.getFact || p.dst == &a.putFact || p.dst == &a.getEntry) {
			continue
		}
		s, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("projections: prepare: %w", err)
		}
		*p.dst = s
	}
	a.pending = make([]any, 0, rowsPerInsert*eventCols)
	return a, nil
}

func (a *applier) close() {
	for _, s := range []*sql.Stmt{a.insEvent, a.insEvents, a.getFact, a.putFact, a.getEntry, a.insScheme, a.getHead, a.getRun, a.putRun} {
		if s != nil {
			s.Close()
		}
	}
}

// flush inserts the pending events rows: in stream order, before anything
// reads the events table and before the transaction commits.
func (a *applier) flush(ctx context.Context) error {
	for off := 0; off < len(a.pending); {
		st, n := a.insEvents, rowsPerInsert*eventCols
		if len(a.pending)-off < n {
			st, n = a.insEvent, eventCols
		}
		var err error
		if a.direct != nil {
			err = a.direct.exec(ctx, n == eventCols, a.pending[off:off+n])
		} else {
			_, err = st.ExecContext(ctx, a.pending[off:off+n]...)
		}
		if err != nil {
			return fmt.Errorf("projections: index event %v: %w", a.pending[off], err)
		}
		off += n
	}
	clear(a.pending) // the rows' bytes are SQLite's now
	a.pending = a.pending[:0]
	return nil
}

// row is one audit row being built.
type row struct {
	kind, subject, indicator, part string
	old, new, refers, detail       string
}

// entry is what an earlier event set, read back from its events row.
type entry struct {
	typ, kind, subject, indicator, part, value string
}

// apply writes one event's row and updates the facts. Only database
// errors fail it: a message that is not admitted (events.Admit) is
// quarantined instead (quarantine.go), and applying goes on.
func (a *applier) apply(ctx context.Context, ev events.Stored, dec *decoded) error {
	if a.d.noMemo {
		a.memo.reset()
	}
	if dec == nil {
		d := decode(ev, &a.sigs)
		dec = &d
	}
	// What the stream held is remembered whether or not it is admitted:
	// loss of a quarantined message is loss too.
	a.seen[ev.Subject] = head{seq: ev.Seq, hash: dec.hash}
	if ok, err := a.admit(ctx, ev, dec); !ok {
		return err
	}
	if ev.Year != events.OrgYear { // the roster is indexed (log, audit) but is no year to score
		a.years[ev.Year]++
	}
	kind, subject, _ := strings.Cut(ev.Aggregate, ".")
	r := row{kind: kind, subject: subject}
	if err := a.derive(ctx, ev, dec.p, &r); err != nil {
		return fmt.Errorf("projections: event %d (%s): %w", ev.Seq, ev.Type, err)
	}
	// Values of the driver's own types (int64, string, []byte): a full
	// rebuild hands them to it without database/sql.
	a.pending = append(a.pending, int64(ev.Seq), ev.ID, ev.Type, int64(ev.V), int64(ev.Year), ev.Aggregate,
		ev.Actor.ID, string(ev.Actor.Role), ev.RecordedAt.UnixNano(), ev.OccurredAt.UnixNano(),
		ev.CommandID, ev.CausationID, ev.CorrelationID, ev.Reason,
		r.kind, r.subject, r.indicator, r.part, r.old, r.new, r.refers, r.detail, int64(dec.at), ev.Raw)
	if len(a.pending) == rowsPerInsert*eventCols {
		if err := a.flush(ctx); err != nil {
			return err
		}
	}
	if referred[ev.Type] {
		if a.full != nil {
			return a.full.remember(ctx, a, ev.ID, ev.Seq)
		}
		// What entry() would read back from this row.
		a.memo.entries[ev.ID] = entry{typ: ev.Type, kind: r.kind, subject: r.subject, indicator: r.indicator, part: r.part, value: r.new}
	}
	return nil
}

// decoded is what applying an event needs that depends on the event
// alone, made ahead on another goroutine (pump): its payload, or why it is
// quarantined (events.Check), its signature verified, where the payload
// lies in the stored bytes, and the hash of those bytes (the chain head
// and the stream head it becomes).
type decoded struct {
	p     any
	err   error
	sig   error // events.VerifySignature (a Verifier's): the costly part of the signature check
	limit int   // events.Verifier.RunLimit: the events its signed command writes on its chain
	// claims are the references its signed command names by command id
	// (events.Verifier.Claims), checked in stream order (events.CheckRefs)
	claims []events.RefClaim
	at     int
	hash   string // events.Hash(ev.Raw)
}

// decode decodes one event, its signature verified by v (one per
// goroutine: the events of one command, consecutive, verify it once).
func decode(ev events.Stored, v *events.Verifier) decoded {
	h := events.Hash(ev.Raw) // of a quarantined message too: heads.go
	p, err := events.Check(ev)
	if err != nil {
		return decoded{err: err, hash: h}
	}
	return decoded{p: p, sig: v.Verify(ev), limit: v.RunLimit(ev), claims: v.Claims(ev), at: dataAt(ev), hash: h}
}

// decodeAll decodes a batch, its parts on every core: checking signatures
// (ed25519) costs about as much as applying, which is one goroutine. A
// scheme is parsed here too, into the DB's cache, so that applying it
// finds it parsed: a county's scheme takes milliseconds to parse.
func (d *DB) decodeAll(evs []events.Stored, out []decoded) []decoded {
	if cap(out) < len(evs) {
		out = make([]decoded, len(evs))
	}
	out = out[:len(evs)]
	part := func(lo, hi int) {
		v := events.Verifier{Ed25519: sigcheck.Verify}
		for i := lo; i < hi; i++ {
			out[i] = decode(evs[i], &v)
			if x, ok := out[i].p.(*events.SchemeDefined); ok {
				d.parsedScheme(scheme.SourceDigest([]byte(x.Source)), x.Source) // an error: the applier parses it again and says why
			}
		}
	}
	const least = 64 // events worth a goroutine
	n := min(runtime.GOMAXPROCS(0), len(evs)/least)
	if n <= 1 {
		part(0, len(evs))
		return out
	}
	var wg sync.WaitGroup
	per := (len(evs) + n - 1) / n
	for lo := per; lo < len(evs); lo += per {
		wg.Go(func() { part(lo, min(lo+per, len(evs))) })
	}
	part(0, per)
	wg.Wait()
	return out
}

// dataKey precedes the payload in the stored envelope, its last field.
var dataKey = []byte(`,"data":`)

// dataAt is where the payload starts in the stored bytes, so scoring can
// take it without decoding the envelope; -1 when the bytes are not laid
// out as events.Encode writes them (scoring then decodes them).
func dataAt(ev events.Stored) int {
	i := bytes.Index(ev.Raw, dataKey)
	n := len(ev.Raw)
	if i < 0 || n == 0 || ev.Raw[n-1] != '}' {
		return -1
	}
	off := i + len(dataKey)
	if !bytes.Equal(ev.Raw[off:n-1], ev.Data) {
		return -1
	}
	return off
}

// fact is a fact's current value ("" when none).
func (a *applier) fact(ctx context.Context, year int, kind, subject, fact, indicator, part string) (string, error) {
	if a.full != nil {
		return a.full.fact(year, kind, subject, fact, indicator, part), nil
	}
	k := factKey{year, kind, subject, fact, indicator, part}
	if v, ok := a.memo.facts[k]; ok {
		return v, nil
	}
	var v string
	err := a.getFact.QueryRowContext(ctx, year, kind, subject, fact, indicator, part).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if err == nil {
		a.memo.facts[k] = v
	}
	return v, err
}

func (a *applier) setFact(ctx context.Context, ev events.Stored, kind, subject, fact, indicator, part, value string) error {
	if a.full != nil {
		a.full.setFact(ev.Year, kind, subject, fact, indicator, part, value, ev.Seq)
		return nil
	}
	_, err := a.putFact.ExecContext(ctx, ev.Year, kind, subject, fact, indicator, part, value, int64(ev.Seq))
	if err == nil {
		a.memo.facts[factKey{ev.Year, kind, subject, fact, indicator, part}] = value
	}
	return err
}

// entry reads back an earlier event's row by id (ok false: none).
func (a *applier) entry(ctx context.Context, id string) (entry, bool, error) {
	if a.full != nil {
		return a.full.entry(ctx, a, id)
	}
	if e, ok := a.memo.entries[id]; ok {
		return e, true, nil
	}
	if err := a.flush(ctx); err != nil {
		return entry{}, false, err
	}
	var e entry
	err := a.getEntry.QueryRowContext(ctx, id).Scan(&e.typ, &e.kind, &e.subject, &e.indicator, &e.part, &e.value)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, err
	}
	a.memo.entries[id] = e
	return e, true, nil
}

// change records a fact's new value: the audit row's indicator, part, old
// and new, and the facts row.
func (a *applier) change(ctx context.Context, ev events.Stored, r *row, fact, indicator, part, value string) error {
	if a.full != nil {
		r.indicator, r.part, r.new = indicator, part, value
		r.old = a.full.swap(ev.Year, r.kind, r.subject, fact, indicator, part, value, ev.Seq)
		return nil
	}
	old, err := a.fact(ctx, ev.Year, r.kind, r.subject, fact, indicator, part)
	if err != nil {
		return err
	}
	r.indicator, r.part, r.old, r.new = indicator, part, old, value
	return a.setFact(ctx, ev, r.kind, r.subject, fact, indicator, part, value)
}

// derive fills the audit columns and updates the facts for one event.
func (a *applier) derive(ctx context.Context, ev events.Stored, p any, r *row) error {
	switch x := p.(type) {
	case *events.SchemeDefined:
		digest := scheme.SourceDigest([]byte(x.Source))
		var prev string
		err := a.tx.QueryRowContext(ctx, `SELECT digest FROM schemes WHERE year = ? ORDER BY seq DESC LIMIT 1`, ev.Year).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		r.old, r.new = short(prev), short(digest)
		if sc, err := a.d.parsedScheme(digest, x.Source); err != nil {
			r.detail = "方案无法解析 scheme does not parse: " + err.Error()
		} else {
			r.detail = sc.Title
		}
		_, err = a.insScheme.ExecContext(ctx, ev.Year, int64(ev.Seq), ev.ID, digest, x.Source)
		return err

	case *events.TargetAdjusted:
		old, err := a.fact(ctx, ev.Year, r.kind, r.subject, factTarget, x.Indicator, "")
		if err != nil {
			return err
		}
		if old == "" { // still the scheme's target
			sc, err := a.d.schemeOf(ctx, a.tx, ev.Year)
			if err != nil {
				return err
			}
			if sc != nil {
				if u, ok := sc.Unit(r.subject); ok {
					old = u.Targets[x.Indicator]
				}
			}
		}
		r.indicator, r.part, r.old, r.new = x.Indicator, factTarget, old, string(x.Target)
		r.detail = "批准文号 approval: " + x.ApprovalRef
		if x.Override {
			r.detail += "; 截止后受理 accepted after the cut-off"
		}
		return a.setFact(ctx, ev, r.kind, r.subject, factTarget, x.Indicator, "", string(x.Target))

	case *events.ScoreRecorded:
		r.detail = joinDetail("来源 source: "+x.Source, x.Note)
		return a.change(ctx, ev, r, factPart, x.Indicator, x.Part, string(x.Value))

	case *events.CadreScoreRecorded:
		r.detail = x.Note
		return a.change(ctx, ev, r, factScore, "", x.Component, string(x.Value))

	case *events.ScoreCorrected:
		r.refers, r.new = x.Supersedes, string(x.Value)
		old, ok, err := a.entry(ctx, x.Supersedes)
		if err != nil {
			return err
		}
		if !ok || (old.typ != events.TypeScoreRecorded && old.typ != events.TypeCadreScoreRecorded && old.typ != events.TypeScoreCorrected) {
			r.detail = "更正的记录不存在 no score entry " + x.Supersedes + " to correct"
			return nil
		}
		// The old value is the superseded entry's, so a correction of a
		// correction shows what that correction had set.
		r.kind, r.subject, r.indicator, r.part, r.old = old.kind, old.subject, old.indicator, old.part, old.value
		if old.typ == events.TypeScoreCorrected {
			r.detail = "更正此前的更正 corrects a correction"
		}
		fact := factPart
		if old.kind == "cadre" {
			fact = factScore
		}
		return a.setFact(ctx, ev, old.kind, old.subject, fact, old.indicator, old.part, string(x.Value))

	case *events.SocialEvaluationRecorded:
		v := string(x.Score)
		if len(x.Ballots) > 0 {
			v = levels(x.Ballots, 0)
		}
		if x.Rate != "" {
			v = string(x.Rate) + "%"
		}
		return a.change(ctx, ev, r, factSocial, x.Group, "", v)

	case *events.VotesTallied:
		if len(x.Rates) > 0 {
			return a.change(ctx, ev, r, factVotes, x.Item, "", rates(x.Rates))
		}
		return a.change(ctx, ev, r, factVotes, x.Item, "", levels(x.Counts, x.Valid))

	case *events.BonusGranted:
		adjustment(r, "+", x.Item, x.Level, x.Matter, string(x.Points), x.Count)
		return nil

	case *events.DeductionApplied:
		adjustment(r, "−", x.Item, x.Level, x.Matter, string(x.Points), x.Count)
		return nil

	case *events.VetoImposed:
		// One fact per veto (part: its event id): an area may be vetoed twice.
		r.indicator, r.part, r.new = x.Area, ev.ID, vetoImposed
		return a.setFact(ctx, ev, r.kind, r.subject, factVeto, x.Area, ev.ID, vetoImposed)

	case *events.VetoLifted:
		r.refers = x.Veto
		v, ok, err := a.entry(ctx, x.Veto)
		if err != nil {
			return err
		}
		if !ok || v.typ != events.TypeVetoImposed {
			r.new, r.detail = vetoLifted, "否决记录不存在 no veto "+x.Veto
			return nil
		}
		r.kind, r.subject, r.indicator, r.part, r.old, r.new = v.kind, v.subject, v.indicator, v.part, vetoImposed, vetoLifted
		return a.setFact(ctx, ev, v.kind, v.subject, factVeto, v.indicator, v.part, vetoLifted)

	case *events.ConditionFlagged:
		r.detail = x.Note
		return a.change(ctx, ev, r, factCondition, x.Condition, "", condOn)

	case *events.ConditionCleared:
		return a.change(ctx, ev, r, factCondition, x.Condition, "", condOff)

	case *events.AppealFiled:
		r.detail = joinDetail(x.Claim, strings.Join(x.Disputed, ", "))
		err := a.change(ctx, ev, r, factAppeal, "", ev.ID, "申请 filed")
		r.indicator = factAppeal // the part is the appeal's id: its resolution finds it there
		return err

	case *events.AppealResolved:
		r.refers, r.new = x.Appeal, x.Outcome
		ap, ok, err := a.entry(ctx, x.Appeal)
		if err != nil {
			return err
		}
		if !ok || ap.typ != events.TypeAppealFiled {
			r.indicator, r.detail = factAppeal, "复核申请不存在 no appeal "+x.Appeal
			return nil
		}
		r.kind, r.subject = ap.kind, ap.subject
		err = a.change(ctx, ev, r, factAppeal, "", ap.part, x.Outcome)
		r.indicator = factAppeal
		return err

	case *events.CadreRegistered:
		reg := joinDetail(x.Name, x.Class, x.Post)
		if err := a.change(ctx, ev, r, factReg, "", "", reg); err != nil {
			return err
		}
		r.detail = "单位 unit: " + x.Unit
		return a.setFact(ctx, ev, r.kind, r.subject, factUnit, "", "", x.Unit)

	case *events.CadreStatusSet:
		return a.change(ctx, ev, r, factStatus, "", "", x.Status)

	case *events.GradeDecided:
		r.kind, r.subject = x.Kind, x.Subject
		old, err := a.fact(ctx, ev.Year, x.Kind, x.Subject, factGrade, "", "")
		if err != nil {
			return err
		}
		if old == "" {
			old = x.Proposed
		}
		r.indicator, r.old, r.new = factGrade, old, x.Grade
		r.detail = "建议 proposed: " + x.Proposed
		if x.Override {
			r.detail += "; 改变建议等次 overrides the proposal"
		}
		return a.setFact(ctx, ev, x.Kind, x.Subject, factGrade, "", "", x.Grade)

	case *events.ResultsPublished:
		r.indicator, r.new = "version", "v"+strconv.Itoa(x.Version)
		r.detail = fmt.Sprintf("结果摘要 digest %s, 截至 up to seq %d, %d 个事件 events", short(x.Digest), x.UpToSeq, x.Events)
		return nil

	case *events.YearClosed:
		r.new = "关闭 closed"
		return nil

	case *events.WindowOpened:
		r.indicator, r.new = x.Window, "开始 opened"
		if x.Closes != nil {
			r.detail = "截止 closes " + x.Closes.Format(time.RFC3339)
		}
		return nil

	case *events.WindowClosed:
		r.indicator, r.new = x.Window, "结束 closed"
		return nil
	}
	r.detail = "未知事件 unhandled event type"
	return nil
}

// adjustment describes a bonus or deduction entry.
func adjustment(r *row, sign, item, level, matter, points string, count int) {
	r.indicator, r.part = item, level
	v := sign
	switch {
	case points != "":
		v += points
	case level != "":
		v += level
	default:
		v += "1"
	}
	if count > 1 {
		v += " ×" + strconv.Itoa(count)
	}
	r.new = v
	if matter != "" {
		r.detail = "事项 matter: " + matter
	}
}

// levels writes ballot counts as "优秀 42, 称职 8 / 50".
func levels(counts []events.LevelCount, valid int) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = c.Level + " " + strconv.Itoa(c.Count)
	}
	s := strings.Join(parts, ", ")
	if valid > 0 {
		s += " / " + strconv.Itoa(valid)
	}
	return s
}

// rates shows published rates per level: "优秀 92.5%, 较差 1%".
func rates(rs []events.LevelRate) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Level + " " + string(r.Rate) + "%"
	}
	return strings.Join(parts, ", ")
}

func joinDetail(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}
