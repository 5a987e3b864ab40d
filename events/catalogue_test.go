package events

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// The catalogue has every fact of issue 2's list, each with one explicit,
// versioned name that round-trips through the envelope.
func TestCatalogueCoversTheFactsOfAYear(t *testing.T) {
	want := []string{
		"SchemeDefined", "TargetAdjusted", "ScoreRecorded", "ScoreCorrected", "SocialEvaluationRecorded",
		"VotesTallied", "BonusGranted", "DeductionApplied", "VetoImposed", "VetoLifted", "GradeDecided",
		"ResultsPublished", "AppealFiled", "AppealResolved", "YearClosed",
		"CadreRegistered", "CadreScoreRecorded", "CadreStatusSet",
	}
	names := map[string]bool{}
	for _, et := range Catalogue {
		if names[et.Name] {
			t.Errorf("%s registered twice", et.Name)
		}
		names[et.Name] = true
		if et.Version < 1 || et.Label == "" {
			t.Errorf("%s: version %d, label %q", et.Name, et.Version, et.Label)
		}
		p := et.New()
		if name, v, err := NameOf(p); err != nil || name != et.Name || v != et.Version {
			t.Errorf("NameOf(%T) = %s v%d, %v; want %s v%d", p, name, v, err, et.Name, et.Version)
		}
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Payload(Envelope{ID: "x", Type: et.Name, V: et.Version, Data: data})
		if err != nil {
			t.Errorf("%s: %v", et.Name, err)
		} else if gn, _, _ := NameOf(got); gn != et.Name {
			t.Errorf("%s decodes as %s", et.Name, gn)
		}
	}
	for _, n := range want {
		if !names[n] {
			t.Errorf("the catalogue lacks %s", n)
		}
	}
	if _, err := Payload(Envelope{ID: "x", Type: "ScoreDeleted", V: 1, Data: []byte(`{}`)}); err == nil || !strings.Contains(err.Error(), "ScoreDeleted") {
		t.Errorf("an unknown type: %v", err)
	}
	if _, err := Payload(Envelope{ID: "x", Type: "ScoreRecorded", V: 9, Data: []byte(`{}`)}); err == nil || !strings.Contains(err.Error(), "v9") {
		t.Errorf("an unknown version: %v", err)
	}
	if _, _, err := NameOf(struct{}{}); err == nil {
		t.Error("an unregistered payload has a name")
	}
}

// Numbers are kept as the text entered: a JSON number or a string, never
// a float; exponents and more than 6 decimals are not numbers here.
func TestNumbersKeepTheirText(t *testing.T) {
	var v struct{ A, B Number }
	if err := json.Unmarshal([]byte(`{"A": 93.50, "B": "1250000.75"}`), &v); err != nil || v.A != "93.50" || v.B != "1250000.75" {
		t.Fatalf("%+v %v", v, err)
	}
	for s, ok := range map[Number]bool{"93.5": true, "-2": true, "0.000001": true, "9e1": false, "1.0000001": false, " 1": false, "": false, "1.": false} {
		if s.Valid() != ok {
			t.Errorf("%q valid %v, want %v", s, s.Valid(), ok)
		}
	}
}

// An inspector with any NATS client reads the ledger: the stored message
// is the JSON envelope, with a JSON object as its data.
func TestAPlainClientReadsTheEnvelope(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	subj := Subject(2024, UnitAggregate("a"))
	st, _, err := appendNext(ctx, t, s, subj, score{"gdp", "95.5"})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Sequence != st.Seq || string(msg.Data) != string(st.Raw) {
		t.Fatalf("the plain client reads seq %d %s, stored seq %d %s", msg.Sequence, msg.Data, st.Seq, st.Raw)
	}
	var env map[string]any
	if err := json.Unmarshal(msg.Data, &env); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, k := range []string{"id", "type", "v", "year", "aggregate", "occurred_at", "recorded_at", "actor", "command_id", "prev", "data"} {
		if _, ok := env[k]; !ok {
			t.Errorf("the envelope lacks %q: %s", k, msg.Data)
		}
	}
	if d, ok := env["data"].(map[string]any); !ok || d["indicator"] != "gdp" || d["value"] != "95.5" {
		t.Errorf("data is not a readable JSON object: %v", env["data"])
	}
}
