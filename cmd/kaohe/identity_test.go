package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// Proven identity with the real binary on a real data directory: the
// roster kaohe init starts, officials' keys in DATA/keys, refusals of what
// the roster does not allow, rotation, revocation, and a forgery written
// straight onto the stream named by verify.
func TestIdentityWithTheBinary(t *testing.T) {
	p := newProc(t, kaoheBinary(t)) // init (admin), khb enrolled, the mini scheme
	keys := filepath.Join(p.data, keysDirName)
	if fi, err := os.Stat(filepath.Join(keys, "admin.nk")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	year := filepath.Join(p.dir, "year.jsonl")
	data, err := os.ReadFile("testdata/mini/year.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(year, data, 0o644)
	p.ok("official", "add", "--from", year)
	p.ok("submit", year)
	list := p.ok("official", "list")
	for _, want := range []string{"admin", "khb", "org", "tjj", "有效 active"} {
		if !strings.Contains(list, want) {
			t.Fatalf("official list lacks %q:\n%s", want, list)
		}
	}
	line := func(name, text string) string {
		path := filepath.Join(p.dir, name+".jsonl")
		if err := os.WriteFile(path, []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	refused := func(want string, args ...string) {
		t.Helper()
		code, out, errs := p.run(args...)
		if code != exitRejected || !strings.Contains(errs, want) {
			t.Fatalf("kaohe %s: exit %d, stderr %q, stdout %q; want exit 1 naming %q", strings.Join(args, " "), code, errs, out, want)
		}
	}
	veto := func(id, actor string) string {
		return `{"id":"` + id + `","type":"ImposeVeto","year":2022,"actor":` + actor + `,"reason":"重点工作未完成","data":{"unit":"t2","area":"key_work"}}`
	}

	// A signature that is not the command's (the CLI leaves a signed line as it is).
	forgedSig := veto("v0", `{"id":"khb","role":"office"}`)
	forgedSig = strings.TrimSuffix(forgedSig, "}") + `,"signer":"` + mustPub(t, filepath.Join(keys, "khb.nk")) + `","sig":"AAAA"}`
	refused("sig: not a valid signature", "submit", line("badsig", forgedSig))

	// The organisation department cannot act as the committee; mallory is nobody.
	refused(`actor.role: the command names role "committee" but the roster gives official org the role "department"`,
		"--key", filepath.Join(keys, "org.nk"), "submit", line("orgveto", veto("v1", `{"id":"org","role":"committee"}`)))
	mallory := line("mallory", veto("v2", `{"id":"mallory","role":"committee"}`))
	refused("no key of official mallory", "submit", mallory)
	refused(`actor.id: the command names actor "mallory"`, "--key", filepath.Join(keys, "org.nk"), "submit", mallory)
	stranger, _ := nkeys.CreateUser()
	seed, _ := stranger.Seed()
	strangerFile := filepath.Join(p.dir, "mallory.nk")
	os.WriteFile(strangerFile, seed, 0o600)
	refused("signer: key", "--key", strangerFile, "submit", mallory)

	// Rotation: the old key is refused after it, the new one (written to the keys folder) signs.
	old := filepath.Join(p.dir, "org-old.nk")
	b, _ := os.ReadFile(filepath.Join(keys, "org.nk"))
	os.WriteFile(old, b, 0o600)
	out := p.ok("official", "rotate", "--id", "org", "--reason", "密钥到期更换")
	if !strings.Contains(out, "key of org rotated") {
		t.Fatalf("rotate: %s", out)
	}
	party := func(id, unit, value string) string {
		return line(id, `{"id":"`+id+`","type":"RecordScore","year":2022,"actor":{"id":"org","role":"department"},"data":{"unit":"`+unit+`","indicator":"party","part":"routine","value":"`+value+`"}}`)
	}
	refused("was replaced (rotated)", "--key", old, "submit", party("p2", "t2", "88"))
	p.ok("submit", party("p2", "t2", "88"))

	// Revocation: tjj's earlier events stay valid, nothing new from it is accepted.
	p.ok("official", "revoke", "--id", "tjj", "--reason", "调离")
	refused("official tjj is revoked", "submit", line("s9", `{"id":"s9","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"data":{"unit":"t3","indicator":"gdp","value":"70"}}`))
	out = p.ok("verify")
	if !strings.Contains(out, "校验通过 OK") || !strings.Contains(out, "validly signed") || strings.Contains(out, "unsigned") {
		t.Fatalf("verify after rotation and revocation:\n%s", out)
	}

	// A ScoreRecorded written straight onto the stream, chained correctly:
	// valid JSON, valid chain, no valid signature. Verify names it, it is
	// quarantined (bad_signature) and scoring is as without it.
	before := p.ok("results", "--year", "2022", "--json")
	forged := appendForged(t, p.data, "t3")
	after := p.ok("results", "--year", "2022", "--json")
	if strings.Count(after, events.QuarantineWarningPrefix) != 1 || withoutWarnings(t, after) != withoutWarnings(t, before) {
		t.Fatalf("results after the forgery:\n%s\nwant as before, with a quarantine warning:\n%s", after, before)
	}
	if q := p.ok("quarantine"); !strings.Contains(q, "bad_signature") || !strings.Contains(q, forged) {
		t.Fatalf("kaohe quarantine does not list the forgery (seq %s):\n%s", forged, q)
	}
	code, vout, verrs := p.run("verify")
	if code != exitRejected || !strings.Contains(vout, "[signature] event seq "+forged) || !strings.Contains(verrs, "not validly signed") {
		t.Fatalf("verify of a forged event: exit %d\n%s\n%s", code, vout, verrs)
	}
	if log := p.ok("log", "--year", "2022", "--unit", "t3"); !strings.Contains(log, "bad_signature") {
		t.Fatalf("log does not show the forged event quarantined:\n%s", log)
	}
	// The next valid command on t3 lands, chained to its last accepted event.
	p.ok("submit", party("p3", "t3", "90"))
	if _, vout, _ := p.run("verify"); strings.Contains(vout, "[chain]") || !strings.Contains(vout, "[signature] event seq "+forged) {
		t.Fatalf("verify after a valid command following the forgery:\n%s", vout)
	}
}

// withoutWarnings is a results JSON without its warnings.
func withoutWarnings(t *testing.T, js string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	delete(m, "warnings")
	out, _ := json.Marshal(m)
	return string(out)
}

// mustPub is the public key of a key file.
func mustPub(t *testing.T, path string) string {
	kp, err := readKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return pub
}

// appendForged opens the data directory's store (as anyone with access to
// it could) and appends an unsigned ScoreRecorded on the unit, its prev
// the hash of the unit's last event; it returns the event's sequence.
func appendForged(t *testing.T, dir, unit string) string {
	t.Helper()
	ctx := context.Background()
	st, err := jetstream.Open(ctx, jetstream.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	subj := events.Subject(2022, events.UnitAggregate(unit))
	prior, err := st.Load(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	prev, seq := "", uint64(0)
	if n := len(prior); n > 0 {
		prev, seq = events.Hash(prior[n-1].Raw), prior[n-1].Seq
	}
	d, _ := json.Marshal(events.ScoreRecorded{Indicator: "gdp", Part: "actual", Source: events.SourceStatistics, Value: "150"})
	now := time.Now().UTC()
	env := events.Envelope{ID: "01FORGEDFORGEDFORGEDFORGED", Type: "ScoreRecorded", V: 1, Year: 2022, Aggregate: events.UnitAggregate(unit),
		OccurredAt: now, RecordedAt: now, Actor: events.Actor{ID: "tjj", Role: events.RoleStatistics}, CommandID: "forged", CorrelationID: "forged", Prev: prev, Data: d}
	out, err := st.Append(ctx, []jetstream.Pending{{Subject: subj, Envelope: env, ExpectedLastSubjectSeq: seq}})
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(out[0].Seq, 10)
}

// A ledger from before signed commands (no roster) replays, verifies and
// takes unsigned commands as before; kaohe init adds its first admin, after
// which commands are signed and its older events show as unsigned.
func TestAnOlderLedgerWithoutARoster(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	st, err := jetstream.Open(ctx, jetstream.Config{DataDir: data, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open("testdata/mini/year.jsonl")
	cmds, err := commands.ReadCommands(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := commands.ResolveFiles(cmds, func(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata/mini", name)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := commands.NewLedger(st).Submit(ctx, cmds); err != nil { // unsigned, as an older kaohe wrote them
		t.Fatal(err)
	}
	st.Close()

	c := &cli{t: t, m: &Main{}, data: data}
	t.Cleanup(c.m.Close)
	if out := c.ok("verify"); !strings.Contains(out, "校验通过 OK") || !strings.Contains(out, "5 events are unsigned (未签名)") {
		t.Fatalf("verify of an older ledger:\n%s", out)
	}
	if out := c.ok("log", "--year", "2022"); strings.Count(out, "未签名 unsigned") != 5 {
		t.Fatalf("log of an older ledger does not mark its 5 events unsigned:\n%s", out)
	}
	if out := c.ok("official", "list"); !strings.Contains(out, "no roster") {
		t.Fatalf("official list: %s", out)
	}
	more := filepath.Join(t.TempDir(), "more.jsonl")
	os.WriteFile(more, []byte(`{"id":"s6","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"data":{"unit":"t3","indicator":"gdp","value":"70"}}`+"\n"), 0o644)
	c.ok("submit", more) // no roster: unsigned, as before

	// Its events show as unsigned beside the results (not in their JSON:
	// the published digest stays), in the audit and on the 公示 page.
	if out := c.ok("results", "--year", "2022"); !strings.Contains(out, "未签名 unsigned: 6 of the 6 events of 2022") {
		t.Fatalf("results of an older ledger do not say its events are unsigned:\n%s", out)
	}
	if out := c.ok("audit", "--year", "2022"); strings.Count(out, "未签名 unsigned") != 6 || !strings.Contains(out, "其中 6 条未签名") {
		t.Fatalf("audit of an older ledger does not mark its 6 events unsigned:\n%s", out)
	}
	// At a point: the events the results count then. With no projections
	// file, counted in the year read from the stream, the same lines, and
	// no file built for them.
	if out := c.ok("results", "--year", "2022", "--at-seq", "3"); !strings.Contains(out, "未签名 unsigned: 3 of the 3 events of 2022") {
		t.Fatalf("results --at-seq 3 of an older ledger:\n%s", out)
	}
	projections := filepath.Join(data, projectionsFile)
	for _, at := range []string{"", "3"} {
		if err := sqlite.RemoveFile(projections); err != nil {
			t.Fatal(err)
		}
		q, want := []string{"results", "--year", "2022"}, "未签名 unsigned: 6 of the 6 events of 2022"
		if at != "" {
			q, want = append(q, "--at-seq", at), "未签名 unsigned: 3 of the 3 events of 2022"
		}
		if out := c.ok(q...); !strings.Contains(out, want) {
			t.Fatalf("%s without a projections file does not say %q:\n%s", strings.Join(q, " "), want, out)
		}
		if _, err := os.Stat(projections); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s without a projections file built one: %v", strings.Join(q, " "), err)
		}
	}
	unsignedJSON := c.ok("results", "--year", "2022", "--json")

	out := c.ok("init")
	if !strings.Contains(out, "no roster of officials: registering its first admin") || !strings.Contains(out, "admin.nk") {
		t.Fatalf("init on an older ledger: %s", out)
	}
	// Its events, from before the roster, are not quarantined: the same
	// results, byte for byte.
	if js := c.ok("results", "--year", "2022", "--json"); js != unsignedJSON {
		t.Fatalf("results of the older ledger changed with its roster:\n%s\nwant\n%s", js, unsignedJSON)
	}
	// From now on commands are signed: tjj is not on the roster yet.
	more2 := filepath.Join(t.TempDir(), "more2.jsonl")
	os.WriteFile(more2, []byte(`{"id":"s7","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"data":{"unit":"t4","indicator":"gdp","value":"71"}}`+"\n"), 0o644)
	var errb strings.Builder
	c.m.Stdout, c.m.Stderr = io.Discard, &errb
	// c.m.Run, not c.run: the test session would enrol tjj first.
	if code, errs := c.m.Run(ctx, []string{"--data", data, "submit", more2}), errb.String(); code != exitRejected || !strings.Contains(errs, "no key of official tjj") {
		t.Fatalf("unsigned submit after init: exit %d %s", code, errs)
	}
	c.ok("official", "add", "--id", "tjj", "--role", "statistics", "--name", "县统计局")
	c.ok("submit", more2)
	if out := c.ok("verify"); !strings.Contains(out, "3 events validly signed by officials of the roster; 6 unsigned (未签名) from before the roster") {
		t.Fatalf("verify after init:\n%s", out)
	}

	// The 公示 page of the year says how many of its events are unsigned.
	c.ok("publish", "--year", "2022")
	if out := c.ok("audit", "--year", "2022"); strings.Count(out, "未签名 unsigned") != 6 {
		t.Fatalf("audit after signed events marks other than the 6 unsigned ones:\n%s", out)
	}
	db, err := c.m.projections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	webHandler(t, c.m, db).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/2022", nil))
	db.Close()
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "7 条记录中有 6 条未签名") {
		t.Fatalf("GET /2022: %d\n%s", rec.Code, body)
	}
}
