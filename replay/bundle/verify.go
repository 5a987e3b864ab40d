package bundle

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/sigcheck"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/replay/witness"
)

// VerifyOptions are what the checker may be told from outside the bundle.
type VerifyOptions struct {
	// CheckpointKey, when set, is the checkpoint verifier key the reader
	// trusts (from the 公示 notice): the bundle's must be it.
	CheckpointKey string
}

// Verify checks a bundle from its bytes alone, in this order, and returns
// the first thing that does not hold as an *Error naming the entry:
//  1. MANIFEST.sig is an ed25519 signature of MANIFEST by its key;
//  2. every entry has the SHA-256 MANIFEST lists, and none is missing or
//     unlisted;
//  3. the checkpoints are signed by checkpoints/checkpoint.pub, each
//     extends the one before (proofs/consistency.json), and every event
//     is in the newest (proofs/inclusion.json);
//  4. every event is admitted as the ledger admits it (events.Admit): its
//     hash chain link to the previous event of its subject in the bundle
//     and its official's signature against the bundled roster;
//  5. the bundle's signer is an office official of that roster;
//     signers.json names every key truly;
//  6. published.json is what the publication events say, each carrying
//     its checkpoint; results.json's SHA-256 is the published digest;
//     scheme.yaml is the scheme recorded;
//  7. the category recomputed from the events with the scoring engine is
//     the published one, and outcome.json is the unit's result in it.
func Verify(in io.Reader, o VerifyOptions) (*Summary, error) {
	counted := &countReader{r: in}
	files, err := readArchive(counted)
	if err != nil {
		return nil, fail("(archive)", "%v", err)
	}
	c := &checker{o: o, files: files, b: map[string][]byte{}}
	for _, f := range files {
		c.b[f.name] = f.data
	}
	for _, step := range []func() error{c.signature, c.manifest, c.contents, c.log, c.admission, c.signedBy, c.publication, c.recomputation} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return &Summary{Meta: c.meta, Outcome: c.out, Events: len(c.evs), Checkpoints: len(c.cps), Bytes: counted.n,
		CheckpointKey: strings.TrimSpace(string(c.b[EntryKey])), KeyTrusted: o.CheckpointKey != "",
		Signer: fmt.Sprintf("%s (%s) %s", c.signer.ID, c.signer.Role, c.sig.Key)}, nil
}

// checker is one verification: what each step has read or found so far.
type checker struct {
	o     VerifyOptions
	files []file
	b     map[string][]byte // entry name → bytes

	sig       Signature
	meta      Meta
	evs       []events.Stored // every event, seq order
	v         note.Verifier   // the checkpoint key
	cps       []witness.Checkpoint
	rosterEvs []events.Stored
	year      []events.Stored // the year's events (the roster's left out)
	signer    events.Official
	at        *Publication // the publication checked
	out       Outcome      // the unit's recomputed result
}

// signature: MANIFEST.sig verifies over MANIFEST.
func (c *checker) signature() error {
	b := c.b
	man, ok := b[EntryManifest]
	if !ok {
		return fail(EntryManifest, "missing: the bundle has no manifest")
	}
	sig := &c.sig
	if err := strictJSON(b[EntrySignature], sig); err != nil {
		return fail(EntrySignature, "%v", err)
	}
	pub, err := rawKey(sig.Key)
	if err != nil {
		return fail(EntrySignature, "%v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || !ed25519.Verify(pub, append([]byte(SignaturePrefix), man...), raw) {
		return fail(EntrySignature, "the signature does not verify over MANIFEST with key %s: MANIFEST or the signature was changed", sig.Key)
	}
	return nil
}

// manifest: every entry has the hash MANIFEST lists; none missing or added.
func (c *checker) manifest() error {
	b, man, files := c.b, c.b[EntryManifest], c.files
	sums, names, err := parseManifest(man)
	if err != nil {
		return fail(EntryManifest, "%v", err)
	}
	for _, name := range names {
		data, ok := b[name]
		if !ok {
			return fail(name, "listed in MANIFEST but not in the bundle (dropped)")
		}
		if got := sum(data); got != sums[name] {
			return fail(name, "SHA-256 %s, MANIFEST says %s: the entry was changed", got, sums[name])
		}
	}
	i := 0
	for _, f := range files {
		if f.name == EntryManifest || f.name == EntrySignature {
			continue
		}
		if _, ok := sums[f.name]; !ok {
			return fail(f.name, "in the bundle but not in MANIFEST (added)")
		}
		if names[i] != f.name {
			return fail(EntryManifest, "line %d lists %s, the archive's entry there is %s: MANIFEST is in archive order", i+1, names[i], f.name)
		}
		i++
	}
	return nil
}

// contents reads bundle.json and the events.
func (c *checker) contents() error {
	b := c.b
	meta := &c.meta
	if err := strictJSON(b[EntryMeta], meta); err != nil {
		return fail(EntryMeta, "%v", err)
	}
	if meta.Format != Format {
		return fail(EntryMeta, "format %q, this verifier reads %q", meta.Format, Format)
	}
	var err error
	c.evs, err = readEvents(c.files)
	return err
}

// log: the checkpoints are signed and each extends the one before; every
// event is in the newest.
func (c *checker) log() error {
	b, o, meta, files, evs := c.b, c.o, &c.meta, c.files, c.evs
	key := strings.TrimSpace(string(b[EntryKey]))
	if o.CheckpointKey != "" && key != strings.TrimSpace(o.CheckpointKey) {
		return fail(EntryKey, "is %q, not the checkpoint key you trust %q", key, strings.TrimSpace(o.CheckpointKey))
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return fail(EntryKey, "not a note verifier key: %v", err)
	}
	c.v = v
	var cps []witness.Checkpoint
	for _, f := range files {
		if !strings.HasPrefix(f.name, checkpointsDir) || !strings.HasSuffix(f.name, ".note") {
			continue
		}
		cp, err := witness.Open(string(f.data), v)
		if err != nil {
			return fail(f.name, "%v", strings.TrimPrefix(err.Error(), "witness: "))
		}
		if f.name != CheckpointEntry(cp.Size) {
			return fail(f.name, "holds the checkpoint of size %d", cp.Size)
		}
		if cp.Origin != witness.Origin(meta.Stream) {
			return fail(f.name, "origin %q, not the log %q", cp.Origin, witness.Origin(meta.Stream))
		}
		if len(cps) > 0 && cp.Size <= cps[len(cps)-1].Size {
			return fail(f.name, "out of order")
		}
		cps = append(cps, cp)
	}
	c.cps = cps
	if len(cps) == 0 {
		return fail(checkpointsDir, "no checkpoint")
	}
	anchor := cps[len(cps)-1]
	if anchor.Size != meta.Checkpoint {
		return fail(EntryMeta, "checkpoint_size %d, the newest checkpoint is of size %d", meta.Checkpoint, anchor.Size)
	}
	var cons []Consistency
	if err := strictJSON(b[EntryConsistency], &cons); err != nil {
		return fail(EntryConsistency, "%v", err)
	}
	for i := 1; i < len(cps); i++ {
		prev, next := cps[i-1], cps[i]
		if prev.Size == 0 {
			continue
		}
		var proof tlog.TreeProof
		found := false
		for _, k := range cons {
			if k.From == prev.Size && k.To == next.Size {
				var err error
				if proof, err = hashes(k.Hashes); err != nil {
					return fail(EntryConsistency, "proof %d → %d: %v", k.From, k.To, err)
				}
				found = true
			}
		}
		if !found {
			return fail(EntryConsistency, "no proof that checkpoint %d extends checkpoint %d", next.Size, prev.Size)
		}
		if err := witness.Extends(prev, next, proof); err != nil {
			return fail(EntryConsistency, "proof %d → %d does not hold: checkpoint %d is not an extension of checkpoint %d (a proof hash or a checkpoint was changed)", prev.Size, next.Size, next.Size, prev.Size)
		}
	}
	var inc Inclusion
	if err := strictJSON(b[EntryInclusion], &inc); err != nil {
		return fail(EntryInclusion, "%v", err)
	}
	if inc.TreeSize != anchor.Size || inc.Root != hex.EncodeToString(anchor.Root[:]) {
		return fail(EntryInclusion, "proves in a tree of size %d root %s, the newest checkpoint is size %d root %s", inc.TreeSize, inc.Root, anchor.Size, anchor.Root)
	}
	proofs := map[uint64][]string{}
	for _, p := range inc.Proofs {
		if _, dup := proofs[p.Seq]; dup {
			return fail(EntryInclusion, "two proofs of seq %d", p.Seq)
		}
		proofs[p.Seq] = p.Hashes
	}
	for _, ev := range evs {
		hs, ok := proofs[ev.Seq]
		if !ok {
			return fail(EventEntry(ev.Seq), "no inclusion proof in %s", EntryInclusion)
		}
		p, err := hashes(hs)
		if err != nil {
			return fail(EntryInclusion, "proof of seq %d: %v", ev.Seq, err)
		}
		if err := witness.CheckIncluded(anchor, ev.Seq, ev.Raw, p); err != nil {
			return fail(EventEntry(ev.Seq), "not in the log: its bytes and its proof in %s do not give the root of checkpoint size %d (the event or its proof was changed)", EntryInclusion, anchor.Size)
		}
		delete(proofs, ev.Seq)
	}
	for _, p := range inc.Proofs {
		if _, left := proofs[p.Seq]; left {
			return fail(EventEntry(p.Seq), "%s proves seq %d, but the bundle has no such event (dropped)", EntryInclusion, p.Seq)
		}
	}
	return nil
}

// admission: each event is admitted as the ledger admits it: its chain
// link and its official's signature against the bundled roster.
func (c *checker) admission() error {
	evs, meta := c.evs, &c.meta
	for _, ev := range evs {
		if events.IsRosterEvent(ev.Envelope) {
			c.rosterEvs = append(c.rosterEvs, ev)
		}
	}
	checked, verified := checkAhead(evs)
	adm := events.NewAdmitterAsOf(events.NewRosterAsOf(events.AcceptedRoster(c.rosterEvs)))
	last := map[string]uint64{}
	for i, ev := range evs {
		// The ledger's own admission, with the parts that depend on the
		// event alone checked ahead.
		if err := adm.AdmitChecked(ev, checked[i], verified[i]); err != nil {
			return fail(EventEntry(ev.Seq), "%s", admitProblem(ev, err, last[ev.Subject]))
		}
		last[ev.Subject] = ev.Seq
		if !events.IsRosterEvent(ev.Envelope) {
			if ev.Year != meta.Year {
				return fail(EventEntry(ev.Seq), "an event of year %d in a bundle of %d", ev.Year, meta.Year)
			}
			c.year = append(c.year, ev)
		}
	}
	for _, s := range meta.Subjects {
		if last[s] == 0 {
			return fail(EntryMeta, "subject %s has no event in the bundle (its events were dropped)", s)
		}
	}
	for s := range last {
		if y, _, _ := events.ParseSubject(s); y != events.OrgYear && !contains(meta.Subjects, s) {
			return fail(EntryMeta, "events of subject %s are in the bundle but it is not listed in subjects", s)
		}
	}
	return nil
}

// signedBy: the bundle's signer is an office official of the roster, and
// signers.json names every key truly.
func (c *checker) signedBy() error {
	b, sig, meta, evs := c.b, &c.sig, &c.meta, c.evs
	var roster events.Roster
	for _, ev := range c.rosterEvs {
		_ = roster.Apply(ev)
	}
	signer, err := officeSigner(&roster, sig.Key)
	c.signer = signer
	if err != nil {
		return fail(EntrySignature, "%v", err)
	}
	if sig.Official != signer.ID || sig.Role != string(signer.Role) || meta.MadeBy != signer.ID {
		return fail(EntrySignature, "names %s (%s), the roster gives key %s to %s (%s)", sig.Official, sig.Role, sig.Key, signer.ID, signer.Role)
	}
	var signers []Signer
	if err := strictJSON(b[EntrySigners], &signers); err != nil {
		return fail(EntrySigners, "%v", err)
	}
	want, err := signersOf(evs, &roster, sig.Key)
	if err != nil {
		return fail(EntrySigners, "%v", err)
	}
	if !bytes.Equal(mustJSON(signers), mustJSON(want)) {
		return fail(EntrySigners, "%s", firstDiff(toAny(signers), toAny(want), "signers"))
	}
	return nil
}

// publication: published.json is what the publication events say; the
// digest of results.json is the latest one's; the scheme is the recorded.
func (c *checker) publication() error {
	b, meta, v, year := c.b, &c.meta, c.v, c.year
	var pubs []Publication
	if err := strictJSON(b[EntryPublished], &pubs); err != nil {
		return fail(EntryPublished, "%v", err)
	}
	var recorded []Publication
	for _, ev := range year {
		if ev.Type != "ResultsPublished" {
			continue
		}
		var p events.ResultsPublished
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return fail(EventEntry(ev.Seq), "%v", err)
		}
		e := Publication{Version: p.Version, Seq: ev.Seq, EventID: ev.ID, UpToSeq: p.UpToSeq, Digest: p.Digest, MerkleRoot: p.MerkleRoot, Events: p.Events}
		if p.Checkpoint != "" {
			cp, err := witness.Open(p.Checkpoint, v)
			if err != nil {
				return fail(EventEntry(ev.Seq), "its checkpoint: %v", err)
			}
			e.Checkpoint = CheckpointEntry(cp.Size)
			if string(b[e.Checkpoint]) != p.Checkpoint {
				return fail(e.Checkpoint, "is not the checkpoint publication v%d carries (%s)", p.Version, EventEntry(ev.Seq))
			}
		}
		recorded = append(recorded, e)
	}
	if d := firstDiff(toAny(pubs), toAny(recorded), "published"); d != "" {
		return fail(EntryPublished, "does not match the publication events: %s", strings.Replace(d, "recomputed", "recorded", 1))
	}
	var at *Publication
	for i := range recorded {
		if recorded[i].Version == meta.Version {
			at = &recorded[i]
		}
	}
	c.at = at
	if at == nil || at.UpToSeq != meta.UpToSeq || at.Version != len(recorded) {
		return fail(EntryMeta, "names publication v%d up to seq %d, the latest publication event in the bundle is v%d", meta.Version, meta.UpToSeq, len(recorded))
	}
	if got := sum(b[EntryResults]); got != at.Digest {
		return fail(EntryResults, "SHA-256 %s is not v%d's published digest %s (%s)", got, at.Version, at.Digest, EventEntry(at.Seq))
	}
	src := ""
	srcEntry := ""
	for _, ev := range year {
		if ev.Type == "SchemeDefined" && ev.Seq <= at.UpToSeq {
			var d events.SchemeDefined
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return fail(EventEntry(ev.Seq), "%v", err)
			}
			src, srcEntry = d.Source, EventEntry(ev.Seq)
		}
	}
	if src == "" {
		return fail(eventsDir, "no SchemeDefined event up to seq %d", at.UpToSeq)
	}
	if string(b[EntryScheme]) != src {
		return fail(EntryScheme, "is not the scheme recorded in %s (the one in force at seq %d)", srcEntry, at.UpToSeq)
	}
	return nil
}

// recomputation: the category recomputed with the engine is the
// published one, and outcome.json the unit's result in it.
func (c *checker) recomputation() error {
	b, meta, at, year := c.b, &c.meta, c.at, c.year
	published, err := decodeDoc(b[EntryResults])
	if err != nil {
		return fail(EntryResults, "%v", err)
	}
	var upto []events.Stored
	for _, ev := range year {
		if ev.Seq <= at.UpToSeq {
			upto = append(upto, ev)
		}
	}
	r, err := engine.Compute(upto)
	if err != nil {
		return fail(eventsDir, "the events up to seq %d cannot be scored: %v", at.UpToSeq, err)
	}
	got, err := decodeDoc(r.JSON())
	if err != nil {
		return err
	}
	if d := diffCategory(published, got, meta.Category); d != "" {
		return fail(EntryResults, "the bundle's events do not give the published category %s: %s — an event the result rests on is missing or changed", meta.Category, d)
	}
	u, ok := r.Unit(meta.Unit)
	if !ok || u.Category != meta.Category {
		return fail(EntryMeta, "unit %s is not in category %s", meta.Unit, meta.Category)
	}
	grade := ""
	if u.Grade != nil {
		grade = u.Grade.Final
	}
	c.out = Outcome{Unit: u.ID, Name: u.Name, Category: u.Category, Composite: u.Composite, Rank: u.Rank, Of: u.Of, Grade: grade, Version: at.Version}
	var claimed Outcome
	if err := strictJSON(b[EntryOutcome], &claimed); err != nil {
		return fail(EntryOutcome, "%v", err)
	}
	if d := firstDiff(toAny(claimed), toAny(c.out), "outcome"); d != "" {
		return fail(EntryOutcome, "%s", d)
	}
	if meta.Name != u.Name {
		return fail(EntryMeta, "name %q, the unit is %q", meta.Name, u.Name)
	}
	if meta.Appeal != "" {
		found := false
		for _, ev := range year {
			found = found || (ev.ID == meta.Appeal && ev.Type == "AppealFiled" && ev.Aggregate == events.UnitAggregate(meta.Unit))
		}
		if !found {
			return fail(EntryMeta, "appeal %s is not an AppealFiled event of unit %s in the bundle", meta.Appeal, meta.Unit)
		}
	}
	return nil
}

// readEvents reads the event entries (archive order must be seq order).
func readEvents(files []file) ([]events.Stored, error) {
	var out []events.Stored
	for _, f := range files {
		if !strings.HasPrefix(f.name, eventsDir) {
			continue
		}
		num := strings.TrimSuffix(strings.TrimPrefix(f.name, eventsDir), ".json")
		seq, err := strconv.ParseUint(num, 10, 64)
		if err != nil || f.name != EventEntry(seq) || seq == 0 {
			return nil, fail(f.name, "not an event entry name (events/<10-digit seq>.json)")
		}
		if len(out) > 0 && seq <= out[len(out)-1].Seq {
			return nil, fail(f.name, "out of stream order")
		}
		env, err := events.Decode(f.data)
		if err != nil {
			return nil, fail(f.name, "not an event envelope: %v", err)
		}
		out = append(out, events.Stored{Envelope: env, Seq: seq, Subject: events.Subject(env.Year, env.Aggregate), Raw: f.data})
	}
	return out, nil
}

// checkAhead runs the parts of admission that depend on one event alone —
// events.Check (the envelope, its subject, type and payload) and its
// ed25519 signature (events.VerifySignature), the costly part — on every
// core; what depends on the order (the chain, the roster) follows.
func checkAhead(evs []events.Stored) (checked, verified []error) {
	checked, verified = make([]error, len(evs)), make([]error, len(evs))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			v := events.Verifier{Ed25519: sigcheck.Verify} // a command's events, consecutive, verify it once
			for i := w; i < len(evs); i += workers {
				_, checked[i] = events.Check(evs[i])
				verified[i] = v.Verify(evs[i])
			}
		}(w)
	}
	wg.Wait()
	return checked, verified
}

// admitProblem words why an event is not admitted, naming the previous
// event of its subject in the bundle for a broken link.
func admitProblem(ev events.Stored, err error, prev uint64) string {
	q := events.AsQuarantine(err)
	if q == nil {
		return err.Error()
	}
	what := fmt.Sprintf("seq %d, %s on %s", ev.Seq, ev.Type, ev.Subject)
	if q.Reason == events.ReasonBrokenChain {
		if prev == 0 {
			return fmt.Sprintf("%s: its prev links to an earlier event of its subject that is not in the bundle (dropped)", what)
		}
		return fmt.Sprintf("%s: its prev is not the SHA-256 of %s, the event before it on its subject in the bundle: an event between them was dropped, or %s was changed", what, EventEntry(prev), EventEntry(prev))
	}
	return fmt.Sprintf("%s: %s: %s", what, q.Reason, q.Detail)
}

func hashes(hs []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		raw, err := hex.DecodeString(h)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("hash %d %q is not 64 hex digits", i+1, h)
		}
		copy(out[i][:], raw)
	}
	return out, nil
}

// strictJSON decodes an entry refusing unknown fields, and refuses an
// entry that is not exactly the canonical encoding of what it decoded to
// (mustJSON: two-space indent, a final newline). encoding/json matches
// keys case-insensitively and keeps the last of duplicates; a person or a
// tool reading the entry may match exactly or keep the first. Only the
// canonical bytes mean one thing to every reader: no duplicate key, no key
// in another case, nothing after the value.
func strictJSON(data []byte, v any) error {
	if data == nil {
		return fmt.Errorf("missing")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not valid JSON of its kind: %v", err)
	}
	if !bytes.Equal(data, mustJSON(v)) {
		return fmt.Errorf("not in its canonical form (docs/bundle.md: indented by two spaces, a final newline, each key once, as specified): a key twice, in another case, or something after the value")
	}
	return nil
}

// toAny is v as generic JSON, for firstDiff.
func toAny(v any) any {
	var out any
	dec := json.NewDecoder(bytes.NewReader(mustJSON(v)))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return out
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// countReader counts the bytes read: the bundle's size.
type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
