package events

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// resolution is the events an appeal resolution with n corrections writes,
// as the ledger writes them: the AppealResolved and one ScoreCorrected per
// correction, every one carrying the resolver's signature over the whole
// resolution command (the corrections are the resolver's own: not signed
// apart, commands.signCorrections).
func resolution(tb testing.TB, n int) []Stored {
	tb.Helper()
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 9
	kp := testSigner{ed25519.NewKeyFromSeed(seed)}
	office := Actor{ID: "khb", Role: RoleOffice}
	type correction struct {
		Type   string          `json:"type"`
		Reason string          `json:"reason"`
		Data   json.RawMessage `json:"data"`
	}
	corrections := make([]correction, n)
	datas := make([]json.RawMessage, n)
	for i := range corrections {
		datas[i], _ = json.Marshal(map[string]string{"unit": "u4", "supersedes": fmt.Sprintf("E-sc-u4-%d", i), "value": "92"})
		corrections[i] = correction{Type: "CorrectScore", Reason: "复核：原始记录为92分", Data: datas[i]}
	}
	data, _ := json.Marshal(map[string]any{"unit": "u4", "appeal": "E-appeal-u4", "outcome": "upheld", "corrections": corrections})
	cmd, _ := json.Marshal(map[string]any{"id": "resolve-u4", "type": "ResolveAppeal", "year": 2024, "actor": office, "reason": "复核：原始记录为92分", "data": json.RawMessage(data)})
	canon, err := CanonicalJSON(cmd)
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := Sign(kp, canon)
	if err != nil {
		tb.Fatal(err)
	}
	resolved, _ := json.Marshal(AppealResolved{Appeal: "E-appeal-u4", Outcome: "upheld"})
	evs := []Stored{{Seq: 100, Envelope: Envelope{ID: "E-resolve", Type: TypeAppealResolved, V: 1, Year: 2024, Aggregate: "unit.u4", Actor: office, Reason: "复核：原始记录为92分", CommandID: "resolve-u4", CorrelationID: "resolve-u4", Data: resolved, Sig: &sig}}}
	for i := range n {
		d, _ := json.Marshal(ScoreCorrected{Supersedes: fmt.Sprintf("E-sc-u4-%d", i), Value: "92"})
		// Each event decoded from the stream has its own copy.
		own := Signature{Key: strings.Clone(sig.Key), Command: strings.Clone(sig.Command), Sig: strings.Clone(sig.Sig)}
		evs = append(evs, Stored{Seq: uint64(101 + i), Envelope: Envelope{ID: fmt.Sprintf("E-fix-%d", i), Type: TypeScoreCorrected, V: 1, Year: 2024, Aggregate: "unit.u4", Actor: office, Reason: "复核：原始记录为92分", CommandID: fmt.Sprintf("resolve-u4/%d", i+1), CausationID: "E-appeal-u4", CorrelationID: "resolve-u4", Data: d, Sig: &own}})
	}
	return evs
}

// BenchmarkVerifyResolution is the cost per event of verifying the
// signatures of an appeal resolution's events, by the number of its
// corrections (every event carries the whole resolution command): with
// one Verifier for the run, as the readers verify them, and with
// VerifySignature for each event alone.
func BenchmarkVerifyResolution(b *testing.B) {
	for _, n := range []int{100, 300, 900} {
		evs := resolution(b, n)
		for _, how := range []string{"Verifier", "VerifySignature"} {
			b.Run(fmt.Sprintf("%s/corrections=%d", how, n), func(b *testing.B) {
				for range b.N {
					var v Verifier
					for _, ev := range evs {
						var err error
						if how == "Verifier" {
							err = v.Verify(ev)
						} else {
							err = VerifySignature(ev)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
				b.ReportMetric(float64(len(evs[0].Sig.Command)), "command-bytes")
			})
		}
	}
}
