package events

import (
	"encoding/json"
	"strings"
	"testing"
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
