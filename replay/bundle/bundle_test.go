package bundle

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/examples"
)

func TestBundleOfAnAppealVerifies(t *testing.T) {
	lg := zhashui(t)
	data := lg.make(t, lg.options(2022, "jyj", "zs22-appeal-jyj"))
	s, err := Verify(bytes.NewReader(data), VerifyOptions{CheckpointKey: lg.vkey})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// After the appeal, jyj ranks 2nd of the 7 county departments with
	// 93.99 and is decided 优秀 (examples/zhashui-2022, README).
	if s.Outcome.Composite != "93.99" || s.Outcome.Rank != 2 || s.Outcome.Grade != "优秀" || s.Version != 2 || s.Scope != "category" {
		t.Fatalf("outcome %+v, version %d, scope %s; want 93.99 #2 优秀 in v2, category scope", s.Outcome, s.Version, s.Scope)
	}
	if s.Appeal == "" {
		t.Fatal("the appeal is not named")
	}
	// The same facts give the same bytes.
	if again := lg.make(t, lg.options(2022, "jyj", "zs22-appeal-jyj")); !bytes.Equal(again, data) {
		t.Fatal("bundling twice gave different bytes")
	}
	// Another checkpoint key than the one trusted is named.
	if _, err := Verify(bytes.NewReader(data), VerifyOptions{CheckpointKey: "other+00000000+AQ"}); err == nil || !strings.HasPrefix(err.Error(), EntryKey) {
		t.Fatalf("Verify with another trusted key = %v, want %s named", err, EntryKey)
	}
}

func TestBundleRefusesWhatItCannotProve(t *testing.T) {
	lg := zhashui(t)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"an unknown unit", lg.options(2022, "nosuch", ""), "not assessed"},
		{"an unknown appeal", lg.options(2022, "jyj", "nosuch"), "no appeal nosuch"},
		{"an unpublished year", lg.options(2023, "jyj", ""), "has not been published"},
		{"no witness of the latest publication", func() Options { o := lg.options(2022, "jyj", ""); o.Witnessed = nil; return o }(), "not covered by the newest checkpoint"},
		{"a key that is not the office's", func() Options { o := lg.options(2022, "jyj", ""); o.Key = officialKey("jyj"); return o }(), "role office"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Make(ledgertest.Ctx(t), lg.st, tc.o, &buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Make = %v, want an error containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Fatal("something was written")
			}
		})
	}
}

// edit changes one entry of a bundle.
type edit func(t *testing.T, fs []file) []file

func replaceIn(name, old, new string) edit {
	return func(t *testing.T, fs []file) []file {
		for i, f := range fs {
			if f.name == name {
				if !bytes.Contains(f.data, []byte(old)) {
					t.Fatalf("%s has no %q", name, old)
				}
				fs[i].data = bytes.Replace(f.data, []byte(old), []byte(new), 1)
				return fs
			}
		}
		t.Fatalf("no entry %s", name)
		return nil
	}
}

func drop(name string) edit {
	return func(t *testing.T, fs []file) []file {
		for i, f := range fs {
			if f.name == name {
				return append(fs[:i:i], fs[i+1:]...)
			}
		}
		t.Fatalf("no entry %s", name)
		return nil
	}
}

func then(es ...edit) edit {
	return func(t *testing.T, fs []file) []file {
		for _, e := range es {
			fs = e(t, fs)
		}
		return fs
	}
}

// entry finds an entry's data.
func entry(fs []file, name string) []byte {
	for _, f := range fs {
		if f.name == name {
			return f.data
		}
	}
	return nil
}

// scoreEvent is the first ScoreRecorded event entry of unit u.
func scoreEvent(t *testing.T, fs []file, u string) (string, events.Envelope) {
	for _, f := range fs {
		if !strings.HasPrefix(f.name, eventsDir) {
			continue
		}
		env, _ := events.Decode(f.data)
		if env.Type == "ScoreRecorded" && env.Aggregate == events.UnitAggregate(u) {
			return f.name, env
		}
	}
	t.Fatalf("no score of %s", u)
	return "", events.Envelope{}
}

func TestEveryTamperingIsNamed(t *testing.T) {
	lg := zhashui(t)
	orig := lg.make(t, lg.options(2022, "jyj", "zs22-appeal-jyj"))
	fs := unpack(t, orig)
	scoreName, score := scoreEvent(t, fs, "jyj")
	var meta Meta
	json.Unmarshal(entry(fs, EntryMeta), &meta)
	var pubs []Publication
	json.Unmarshal(entry(fs, EntryPublished), &pubs)
	cpName := CheckpointEntry(meta.Checkpoint)
	var inc Inclusion
	json.Unmarshal(entry(fs, EntryInclusion), &inc)
	aProofHash := inc.Proofs[len(inc.Proofs)/2].Hashes[0]
	aProofEntry := EventEntry(inc.Proofs[len(inc.Proofs)/2].Seq)
	var cons []Consistency
	json.Unmarshal(entry(fs, EntryConsistency), &cons)
	// An event in the middle of jyj's chain, and the one after it.
	var jyj []string
	for _, f := range fs {
		if env, err := events.Decode(f.data); err == nil && strings.HasPrefix(f.name, eventsDir) && env.Aggregate == "unit.jyj" {
			jyj = append(jyj, f.name)
		}
	}
	middle, next := jyj[len(jyj)/2], jyj[len(jyj)/2+1]
	// The last event of a unit of the category before v2: no successor
	// vouches for it, only the recomputation.
	lastOf := lastScoringEvent(t, fs, meta)
	seqOf := func(name string) string {
		return strings.TrimLeft(strings.TrimSuffix(strings.TrimPrefix(name, eventsDir), ".json"), "0")
	}

	for _, tc := range []struct {
		name   string
		edit   edit
		resign bool   // re-sign the manifest with the office key (an office rewriting its bundle)
		entry  string // the entry the verifier must name
		want   string // and words of its message
	}{
		// A changed byte anywhere: the signed manifest names the entry.
		{"an event", replaceIn(scoreName, string(score.Data), strings.Replace(string(score.Data), `"value":"`, `"value":"1`, 1)), false, scoreName, "SHA-256"},
		{"an inclusion proof", replaceIn(EntryInclusion, aProofHash, strings.Repeat("0", 64)), false, EntryInclusion, "SHA-256"},
		{"a consistency proof", replaceIn(EntryConsistency, cons[0].Hashes[0], strings.Repeat("0", 64)), false, EntryConsistency, "SHA-256"},
		{"the scheme", replaceIn(EntryScheme, "title:", "title: 改"), false, EntryScheme, "SHA-256"},
		{"the results document", replaceIn(EntryResults, `"year":2022`, `"year":2021`), false, EntryResults, "SHA-256"},
		{"the published digest", replaceIn(EntryPublished, pubs[1].Digest, strings.Repeat("a", 64)), false, EntryPublished, "SHA-256"},
		{"a checkpoint", replaceIn(cpName, "\n\n", "\n\n\n"), false, cpName, "SHA-256"},
		{"the manifest", replaceIn(EntryManifest, "  "+EntryScheme, "  "+EntryScheme+" "), false, EntrySignature, "does not verify"},
		{"the bundle's signature", replaceIn(EntrySignature, `"signature": "`, `"signature": "AAAA`), false, EntrySignature, "does not verify"},
		{"a dropped event", drop(middle), false, middle, "not in the bundle (dropped)"},
		{"an added entry", func(t *testing.T, fs []file) []file {
			for i, f := range fs { // after the last event, where an event's entry goes
				if f.name == EntryKey {
					return append(fs[:i:i], append([]file{{EventEntry(9999999), []byte("x")}}, fs[i:]...)...)
				}
			}
			return nil
		}, false, EventEntry(9999999), "not in MANIFEST"},

		// Re-signed by the office: the content checks name it.
		{"an event, re-signed", replaceIn(scoreName, string(score.Data), strings.Replace(string(score.Data), `"value":"`, `"value":"1`, 1)), true, scoreName, "not in the log"},
		{"an inclusion proof, re-signed", replaceIn(EntryInclusion, aProofHash, strings.Repeat("0", 64)), true, aProofEntry, "not in the log"},
		{"a consistency proof, re-signed", replaceIn(EntryConsistency, cons[0].Hashes[0], strings.Repeat("0", 64)), true, EntryConsistency, "does not hold"},
		{"the scheme, re-signed", replaceIn(EntryScheme, "title:", "title: 改"), true, EntryScheme, "not the scheme recorded"},
		{"the results document, re-signed", replaceIn(EntryResults, `"year":2022`, `"year":2021`), true, EntryResults, "not v2's published digest"},
		{"the published digest, re-signed", replaceIn(EntryPublished, pubs[1].Digest, strings.Repeat("a", 64)), true, EntryPublished, "published[1].digest"},
		{"a checkpoint, re-signed", replaceIn(cpName, "\n\n", "\n\n\n"), true, cpName, "signature"},
		{"the outcome, re-signed", replaceIn(EntryOutcome, `"rank": 2`, `"rank": 1`), true, EntryOutcome, "outcome.rank"},
		{"signed by a unit's key", func(t *testing.T, fs []file) []file { return fs }, true, EntrySignature, "role office"},
		{"a dropped event, re-signed", drop(middle), true, middle, "proves seq " + seqOf(middle) + ", but the bundle has no such event"},
		{"a dropped event and its proof, re-signed", then(drop(middle), dropProof(middle)), true, next, "an event between them was dropped"},
		{"a dropped last event and its proof, re-signed", then(drop(lastOf), dropProof(lastOf)), true, EntryResults, "do not give the published category"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := tc.edit(t, unpack(t, orig))
			if tc.resign {
				who, role := "office", events.RoleOffice
				if strings.Contains(tc.name, "unit's key") {
					who, role = "jyj", events.RoleUnit
				}
				fs = resign(t, fs, who, role)
			}
			be := verifyErr(t, pack(t, fs))
			if be == nil {
				t.Fatal("the tampered bundle verified")
			}
			t.Log(be.Error())
			if be.Entry != tc.entry || !strings.Contains(be.Msg, tc.want) {
				t.Fatalf("named %q: %s\nwant %q: …%s…", be.Entry, be.Msg, tc.entry, tc.want)
			}
		})
	}
}

// dropProof removes an event's inclusion proof.
func dropProof(name string) edit {
	return func(t *testing.T, fs []file) []file {
		for i, f := range fs {
			if f.name != EntryInclusion {
				continue
			}
			var inc Inclusion
			json.Unmarshal(f.data, &inc)
			for j, p := range inc.Proofs {
				if EventEntry(p.Seq) == name {
					inc.Proofs = append(inc.Proofs[:j], inc.Proofs[j+1:]...)
					fs[i].data = mustJSON(inc)
					return fs
				}
			}
		}
		t.Fatalf("no proof of %s", name)
		return nil
	}
}

// lastScoringEvent is an event that is the last of its unit's subject
// before the checked publication and changes a score (a social evaluation
// or a score entry).
func lastScoringEvent(t *testing.T, fs []file, meta Meta) string {
	last := map[string]string{}
	types := map[string]string{}
	for _, f := range fs {
		if !strings.HasPrefix(f.name, eventsDir) {
			continue
		}
		env, _ := events.Decode(f.data)
		seq := strings.TrimLeft(strings.TrimSuffix(strings.TrimPrefix(f.name, eventsDir), ".json"), "0")
		_ = seq
		if strings.HasPrefix(env.Aggregate, "unit.") {
			last[env.Aggregate], types[env.Aggregate] = f.name, env.Type
		}
	}
	for _, agg := range sortedKeys(last) {
		switch types[agg] {
		case "ScoreRecorded", "SocialEvaluationRecorded", "BonusGranted", "DeductionApplied", "VotesTallied":
			return last[agg]
		}
	}
	t.Fatal("no unit whose last event is a score")
	return ""
}

// A leader's composite is the mean of staff of another category (大栗港
// 2021, 002): the category's own subjects do not reproduce it, so the
// bundle holds the whole year; a staff member's category holds itself.
func TestBundleWidensToTheYearWhenACategoryRestsOnAnother(t *testing.T) {
	lg := newTestLedger(t)
	cmds, err := examples.Commands("daligang-2021")
	if err != nil {
		t.Fatal(err)
	}
	if err := ledgertest.Enrol(ledgertest.Ctx(t), lg.l, append(cmds, commands.Command{Actor: events.Actor{ID: "office", Role: events.RoleOffice}})); err != nil {
		t.Fatal(err)
	}
	lg.submit(t, cmds)
	lg.publish(t, 2021, "publish-v1")
	for unit, scope := range map[string]string{"l1": "year", "p01": "category"} {
		data := lg.make(t, lg.options(2021, unit, ""))
		s, err := Verify(bytes.NewReader(data), VerifyOptions{})
		if err != nil {
			t.Fatalf("%s: %v", unit, err)
		}
		if s.Scope != scope {
			t.Errorf("%s: scope %s, want %s", unit, s.Scope, scope)
		}
	}
}
