package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/nats-io/nkeys"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/replay"
	"github.com/kaohe/kaohe/replay/witness"
)

// Options says what to bundle and with which keys.
type Options struct {
	Year   int
	Unit   string
	Appeal string // an AppealFiled event id or command id of the unit ("": none)
	// Accepted is the loss accepted by replay --accept-loss (the log
	// counts each hole up to it as an empty record).
	Accepted uint64
	// Witnessed are the checkpoints the witnesses hold (the newest one
	// covers the latest publication event itself).
	Witnessed []witness.Checkpoint
	// CheckpointKey is the checkpoints' verifier key (note format).
	CheckpointKey string
	// Key signs the MANIFEST: an office official's key on the roster.
	Key nkeys.KeyPair
}

// Error is a bundle that cannot be made from this ledger (bad input or a
// ledger that does not hold what it published), or a bundle that does
// not verify: Entry names the entry at fault ("" for the ledger).
type Error struct {
	Entry string
	Msg   string
}

func (e *Error) Error() string {
	if e.Entry == "" {
		return "bundle: " + e.Msg
	}
	return e.Entry + ": " + e.Msg
}

func fail(entry, format string, a ...any) error {
	return &Error{Entry: entry, Msg: fmt.Sprintf(format, a...)}
}

// Summary is what Make wrote or Verify found.
type Summary struct {
	Meta
	Outcome     Outcome `json:"outcome"`
	Events      int     `json:"events"`
	Checkpoints int     `json:"checkpoints"`
	Bytes       int     `json:"bytes"` // the bundle file's size
	// CheckpointKey is the checkpoint verifier key the checkpoints were
	// checked with: the bundle's own unless the reader gave one to trust.
	CheckpointKey string `json:"checkpoint_key"`
	// KeyTrusted says the reader gave it (VerifyOptions.CheckpointKey).
	KeyTrusted bool   `json:"checkpoint_key_trusted"`
	Signer     string `json:"signer"` // "official (role) key"
}

// Make writes the bundle of o.Unit's result in o.Year to w.
func Make(ctx context.Context, st *jetstream.Store, o Options, w io.Writer) (*Summary, error) {
	if o.Key == nil {
		return nil, fail("", "a bundle is signed by an office official's key: give --key FILE (or KAOHE_KEY)")
	}
	pub, err := o.Key.PublicKey()
	if err != nil {
		return nil, err
	}
	rosterEvs, err := st.Load(ctx, events.RosterSubjects)
	if err != nil {
		return nil, fmt.Errorf("bundle: read the roster: %w", err)
	}
	roster := events.AcceptedRoster(rosterEvs)
	var now events.Roster
	for _, ev := range roster {
		_ = now.Apply(ev)
	}
	signer, err := officeSigner(&now, pub)
	if err != nil {
		return nil, fail("", "%v", err)
	}

	evs, qs, err := replay.ReadYear(ctx, st, o.Year, events.Point{})
	if err != nil {
		return nil, err
	}
	pubs, err := replay.Publications(evs)
	if err != nil {
		return nil, err
	}
	if len(pubs) == 0 {
		return nil, fail("", "year %d has not been published: a bundle proves a published result (kaohe publish --year %d)", o.Year, o.Year)
	}

	v, err := note.NewVerifier(strings.TrimSpace(o.CheckpointKey))
	if err != nil {
		return nil, fail("", "the checkpoint verifier key: %v", err)
	}
	cps, sizes, err := checkpoints(st.StreamName(), o, pubs, v)
	if err != nil {
		return nil, err
	}
	anchor := cps[sizes[len(sizes)-1]]

	// The publication checked: the latest, whose own event the newest
	// checkpoint must hold (publish witnesses the stream once more after
	// the publication for this).
	at := &pubs[len(pubs)-1]
	if int64(at.Seq) > anchor.Size {
		return nil, fail("", "publication v%d (seq %d) is not covered by the newest checkpoint (size %d): the witness that kaohe publish appends to after publishing is not here (--witness DIR where it is kept)", at.Version, at.Seq, anchor.Size)
	}

	// The published results, recomputed from the ledger: they must be
	// the published bytes.
	var upto []events.Stored
	for _, ev := range evs {
		if ev.Seq <= at.UpToSeq {
			upto = append(upto, ev)
		}
	}
	full, err := engine.Compute(upto)
	if err != nil {
		return nil, fmt.Errorf("bundle: recompute year %d at v%d: %w", o.Year, at.Version, err)
	}
	var warned []*events.QuarantineError
	for _, q := range qs {
		if q.Seq <= at.UpToSeq {
			warned = append(warned, q)
		}
	}
	full.Quarantined(warned)
	if full.Digest() != at.Digest {
		return nil, fail("", "the ledger's events up to seq %d give results digest %s, but v%d published %s: run kaohe verify --year %d", at.UpToSeq, full.Digest(), at.Version, at.Digest, o.Year)
	}
	unit, ok := full.Unit(o.Unit)
	if !ok {
		return nil, fail("", "unit %s is not assessed in %d (kaohe results --year %d lists the units)", o.Unit, o.Year, o.Year)
	}
	published, err := decodeDoc(full.JSON())
	if err != nil {
		return nil, err
	}

	// The events: the category's subjects, widened to the whole year
	// when they do not reproduce the category (a unit averaging or
	// linking units of another category).
	scope := "category"
	subjects := categorySubjects(o.Year, evs, full, unit.Category)
	if !reproduces(evs, subjects, at.UpToSeq, published, unit.Category) {
		scope, subjects = "year", nil
		for _, ev := range evs {
			if subjects == nil {
				subjects = map[string]bool{}
			}
			subjects[ev.Subject] = true
		}
		if !reproduces(evs, subjects, at.UpToSeq, published, unit.Category) {
			return nil, fail("", "the year's events do not reproduce category %s as published", unit.Category)
		}
	}
	var held []events.Stored
	for _, ev := range roster {
		if int64(ev.Seq) <= anchor.Size {
			held = append(held, ev)
		}
	}
	for _, ev := range evs {
		if subjects[ev.Subject] && int64(ev.Seq) <= anchor.Size {
			held = append(held, ev)
		}
	}
	sort.Slice(held, func(i, j int) bool { return held[i].Seq < held[j].Seq })
	var heldRoster events.Roster
	for _, ev := range held {
		if events.IsRosterEvent(ev.Envelope) {
			_ = heldRoster.Apply(ev)
		}
	}
	if _, err := officeSigner(&heldRoster, pub); err != nil {
		return nil, fail("", "%v (the roster as of the newest checkpoint, size %d): publish again so the roster that knows it is checkpointed", err, anchor.Size)
	}

	appeal, err := findAppeal(evs, o, anchor.Size)
	if err != nil {
		return nil, err
	}

	inc, cons, err := proofs(ctx, st, o.Accepted, cps, sizes, held)
	if err != nil {
		return nil, err
	}

	// The entries.
	source, err := schemeAt(evs, at.UpToSeq)
	if err != nil {
		return nil, err
	}
	grade := ""
	if unit.Grade != nil {
		grade = unit.Grade.Final
	}
	meta := Meta{Format: Format, Stream: st.StreamName(), Year: o.Year, Unit: o.Unit, Name: unit.Name, Category: unit.Category, Appeal: appeal,
		Version: at.Version, UpToSeq: at.UpToSeq, Checkpoint: anchor.Size, Scope: scope, Subjects: sortedKeys(subjects), MadeBy: signer.ID}
	outcome := Outcome{Unit: o.Unit, Name: unit.Name, Category: unit.Category, Composite: unit.Composite, Rank: unit.Rank, Of: unit.Of, Grade: grade, Version: at.Version}
	var pubList []Publication
	for _, p := range pubs {
		if int64(p.Seq) > anchor.Size {
			continue
		}
		e := Publication{Version: p.Version, Seq: p.Seq, EventID: p.EventID, UpToSeq: p.UpToSeq, Digest: p.Digest, MerkleRoot: p.MerkleRoot, Events: p.Events}
		if p.Checkpoint != "" {
			c, _ := witness.Open(p.Checkpoint, nil)
			e.Checkpoint = CheckpointEntry(c.Size)
		}
		pubList = append(pubList, e)
	}
	signers, err := signersOf(held, &heldRoster, pub)
	if err != nil {
		return nil, err
	}
	files := []file{
		{EntryGuide, []byte(guide(meta))},
		{EntryMeta, mustJSON(meta)},
		{EntryScheme, []byte(source)},
		{EntryResults, full.JSON()},
		{EntryOutcome, mustJSON(outcome)},
		{EntryPublished, mustJSON(pubList)},
		{EntrySigners, mustJSON(signers)},
	}
	for _, ev := range held {
		files = append(files, file{EventEntry(ev.Seq), ev.Raw})
	}
	files = append(files, file{EntryKey, []byte(strings.TrimSpace(o.CheckpointKey) + "\n")})
	for _, n := range sizes {
		files = append(files, file{CheckpointEntry(n), []byte(cps[n].Note)})
	}
	files = append(files, file{EntryInclusion, mustJSON(inc)}, file{EntryConsistency, mustJSON(cons)})
	man := manifest(files)
	sig, err := o.Key.Sign(append([]byte(SignaturePrefix), man...))
	if err != nil {
		return nil, err
	}
	files = append(files, file{EntryManifest, man},
		file{EntrySignature, mustJSON(Signature{Official: signer.ID, Role: string(signer.Role), Key: pub, Signature: base64.StdEncoding.EncodeToString(sig)})})
	cw := &countWriter{w: w}
	if err := writeArchive(cw, files); err != nil {
		return nil, err
	}
	return &Summary{Meta: meta, Outcome: outcome, Events: len(held), Checkpoints: len(sizes), Bytes: cw.n, CheckpointKey: strings.TrimSpace(o.CheckpointKey), KeyTrusted: true,
		Signer: fmt.Sprintf("%s (%s) %s", signer.ID, signer.Role, pub)}, nil
}

// checkpoints gathers the checkpoints the publications carry and the
// newest one witnessed, distinct by size, and their sizes ascending: the
// largest is the one every event is proved in.
func checkpoints(stream string, o Options, pubs []replay.Published, v note.Verifier) (map[int64]witness.Checkpoint, []int64, error) {
	cps := map[int64]witness.Checkpoint{}
	for _, p := range pubs {
		if p.Checkpoint == "" {
			continue
		}
		c, err := witness.Open(p.Checkpoint, v)
		if err != nil {
			return nil, nil, fail("", "publication v%d's checkpoint: %v", p.Version, err)
		}
		cps[c.Size] = c
	}
	// Of the witnessed checkpoints, the newest of this log: it covers the
	// latest publication event itself (and a witness may hold many).
	var newest *witness.Checkpoint
	for i, c := range o.Witnessed {
		if c.Note == "" || c.Origin != witness.Origin(stream) {
			continue
		}
		if newest == nil || c.Size > newest.Size {
			newest = &o.Witnessed[i]
		}
	}
	if newest != nil {
		if _, err := witness.Open(newest.Note, v); err != nil {
			return nil, nil, fail("", "witnessed checkpoint of size %d: %v", newest.Size, err)
		}
		if prev, ok := cps[newest.Size]; ok && prev.Root != newest.Root {
			return nil, nil, fail("", "two checkpoints of size %d have different roots: the log was forked (kaohe verify)", newest.Size)
		}
		cps[newest.Size] = *newest
	}
	if len(cps) == 0 {
		return nil, nil, fail("", "year %d's publications carry no checkpoint (published before checkpoints existed): publish again to bundle", o.Year)
	}
	sizes := make([]int64, 0, len(cps))
	for n := range cps {
		sizes = append(sizes, n)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	return cps, sizes, nil
}

// findAppeal is the event id of o.Appeal (an AppealFiled event of the
// unit, by event or command id), "" when none is asked for.
func findAppeal(evs []events.Stored, o Options, anchor int64) (string, error) {
	if o.Appeal == "" {
		return "", nil
	}
	for _, ev := range evs {
		if ev.Type == "AppealFiled" && ev.Aggregate == events.UnitAggregate(o.Unit) && (ev.ID == o.Appeal || ev.CommandID == o.Appeal) {
			if int64(ev.Seq) > anchor {
				return "", fail("", "appeal %s was filed at seq %d, after the newest checkpoint (size %d): bundle it once its resolution is published", o.Appeal, ev.Seq, anchor)
			}
			return ev.ID, nil
		}
	}
	return "", fail("", "no appeal %s of unit %s in %d (kaohe appeal show --year %d --unit %s)", o.Appeal, o.Unit, o.Year, o.Year, o.Unit)
}

// proofs reads the stream once: the root at every checkpoint size, the
// consistency proofs between successive ones, the inclusion proof of each
// held event in the largest.
func proofs(ctx context.Context, st *jetstream.Store, accepted uint64, cps map[int64]witness.Checkpoint, sizes []int64, held []events.Stored) (Inclusion, []Consistency, error) {
	anchor := cps[sizes[len(sizes)-1]]
	seqs := make([]uint64, len(held))
	for i, ev := range held {
		seqs[i] = ev.Seq
	}
	scan, err := replay.ScanLogRecords(ctx, st, uint64(anchor.Size), accepted, sizes, seqs)
	if err != nil {
		return Inclusion{}, nil, err
	}
	for _, n := range sizes {
		if got, ok := scan.RootAt(n); !ok || got != cps[n].Root {
			return Inclusion{}, nil, fail("", "the stream does not match the checkpoint of size %d (kaohe verify names what changed)", n)
		}
	}
	inc := Inclusion{TreeSize: anchor.Size, Root: hex.EncodeToString(anchor.Root[:])}
	for _, seq := range seqs {
		p, err := scan.RecordProof(seq)
		if err != nil {
			return Inclusion{}, nil, err
		}
		inc.Proofs = append(inc.Proofs, EventProof{Seq: seq, Hashes: hexes(p)})
	}
	var cons []Consistency
	for i := 1; i < len(sizes); i++ {
		if sizes[i-1] == 0 {
			continue
		}
		p, err := scan.Proof(sizes[i], sizes[i-1])
		if err != nil {
			return Inclusion{}, nil, err
		}
		cons = append(cons, Consistency{From: sizes[i-1], To: sizes[i], Hashes: hexes(p)})
	}
	return inc, cons, nil
}

// officeSigner is the official whose current key pub is: an office
// official not revoked.
func officeSigner(r *events.Roster, pub string) (events.Official, error) {
	id := r.KeyOwner(pub)
	o, ok := r.Official(id)
	switch {
	case !ok:
		return o, fmt.Errorf("key %s is not on the roster", pub)
	case o.Revoked:
		return o, fmt.Errorf("official %s (key %s) is revoked", id, pub)
	case o.Key != pub:
		return o, fmt.Errorf("key %s of official %s has been replaced", pub, id)
	case o.Role != events.RoleOffice:
		return o, fmt.Errorf("official %s is %s: a bundle is signed by the assessment office (role office)", id, o.Role)
	}
	return o, nil
}

// categorySubjects are the subjects a category's results rest on: the
// scheme, the year (decisions, publications), every office (office-wide
// items) and the category's units. Cadres are not among them: a unit's
// composite, rank and grade do not read a cadre's facts (when a scheme
// makes them, the recomputation differs and the bundle takes the year).
func categorySubjects(year int, evs []events.Stored, r *engine.Results, cat string) map[string]bool {
	in := map[string]bool{}
	for _, u := range r.Units {
		if u.Category == cat {
			in[u.ID] = true
		}
	}
	out := map[string]bool{events.Subject(year, events.AggScheme): true, events.Subject(year, events.AggYear): true}
	for _, ev := range evs {
		kind, id, _ := strings.Cut(ev.Aggregate, ".")
		switch kind {
		case "office":
			out[ev.Subject] = true
		case "unit":
			if in[id] {
				out[ev.Subject] = true
			}
		}
	}
	return out
}

// reproduces: the events of subjects up to upTo give the category's parts
// of the published results.
func reproduces(evs []events.Stored, subjects map[string]bool, upTo uint64, published doc, cat string) bool {
	got, err := recompute(evs, subjects, upTo)
	return err == nil && diffCategory(published, got, cat) == ""
}

func recompute(evs []events.Stored, subjects map[string]bool, upTo uint64) (doc, error) {
	var sub []events.Stored
	for _, ev := range evs {
		if ev.Seq <= upTo && (subjects == nil || subjects[ev.Subject]) && !events.IsRosterEvent(ev.Envelope) {
			sub = append(sub, ev)
		}
	}
	r, err := engine.Compute(sub)
	if err != nil {
		return nil, err
	}
	return decodeDoc(r.JSON())
}

// schemeAt is the scheme source in force at seq upTo: the latest
// SchemeDefined at or before it.
func schemeAt(evs []events.Stored, upTo uint64) (string, error) {
	src := ""
	for _, ev := range evs {
		if ev.Seq > upTo || ev.Type != "SchemeDefined" {
			continue
		}
		p, err := events.Payload(ev.Envelope)
		if err != nil {
			return "", err
		}
		src = p.(*events.SchemeDefined).Source
	}
	if src == "" {
		return "", errors.New("bundle: the year has no scheme")
	}
	return src, nil
}

// signersOf lists the officials whose keys signed the held events, and
// the bundle's signer, in key order.
func signersOf(held []events.Stored, r *events.Roster, bundleKey string) ([]Signer, error) {
	keys := map[string]bool{bundleKey: true}
	for _, ev := range held {
		if ev.Sig != nil {
			keys[ev.Sig.Key] = true
		}
	}
	owners := map[string]events.Official{}
	for _, o := range r.Officials() {
		for _, k := range o.Keys {
			owners[k.Key] = o
		}
	}
	var out []Signer
	for _, k := range sortedKeys(keys) {
		raw, err := rawKey(k)
		if err != nil {
			return nil, err
		}
		o := owners[k]
		out = append(out, Signer{Official: o.ID, Role: string(o.Role), Key: k, Ed25519: hex.EncodeToString(raw)})
	}
	return out, nil
}

// rawKey is the ed25519 public key an nkey public user key encodes.
func rawKey(key string) (ed25519.PublicKey, error) {
	raw, err := nkeys.Decode(nkeys.PrefixByteUser, []byte(key))
	if err != nil {
		return nil, fmt.Errorf("%q is not an nkey public user key: %v", key, err)
	}
	return ed25519.PublicKey(raw), nil
}

func hexes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// mustJSON is indented JSON with a final newline, without HTML escaping:
// readable in any editor.
func mustJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

type countWriter struct {
	w io.Writer
	n int
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}
