package bundle

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
	"golang.org/x/mod/sumdb/note"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/examples"
	"github.com/kaohe/kaohe/replay"
	"github.com/kaohe/kaohe/replay/witness"
)

// ledger is a real ledger (embedded JetStream in a temp dir) whose
// publications carry signed checkpoints, as kaohe publish makes them: the
// stream's checkpoint in the publication, and once more after it (the
// witness).
type ledger struct {
	st        *jetstream.Store
	l         *commands.Ledger
	signer    note.Signer
	vkey      string
	witnessed []witness.Checkpoint
}

func newTestLedger(tb testing.TB) *ledger {
	tb.Helper()
	st, err := jetstream.Open(ledgertest.Ctx(tb), jetstream.Config{DataDir: tb.TempDir(), Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(st.Close)
	skey, vkey, err := note.GenerateKey(rand.Reader, witness.Origin(st.StreamName()))
	if err != nil {
		tb.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	lg := &ledger{st: st, l: commands.NewLedger(st), signer: s, vkey: vkey}
	lg.l.Proposer = replay.Ledger{Store: st}
	lg.l.Publisher = replay.Ledger{Store: st, Checkpoint: lg.checkpoint}
	return lg
}

func (lg *ledger) checkpoint(ctx context.Context) (string, error) {
	cp, err := replay.StreamCheckpoint(ctx, lg.st, 0)
	if err != nil {
		return "", err
	}
	msg, err := witness.Sign(cp, lg.signer)
	if err != nil {
		return "", err
	}
	cp.Note = msg
	lg.witnessed = append(lg.witnessed, cp)
	return msg, nil
}

func (lg *ledger) submit(tb testing.TB, cmds []commands.Command) {
	tb.Helper()
	if _, err := ledgertest.Submit(ledgertest.Ctx(tb), lg.l, cmds); err != nil {
		tb.Fatalf("submit: %v", err)
	}
}

func (lg *ledger) submitLines(tb testing.TB, lines ...string) {
	tb.Helper()
	cs, err := commands.ReadCommands(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		tb.Fatal(err)
	}
	lg.submit(tb, cs)
}

// publish publishes the year and witnesses the stream after it.
func (lg *ledger) publish(tb testing.TB, year int, id string) {
	tb.Helper()
	lg.submitLines(tb, fmt.Sprintf(`{"id":%q,"type":"PublishResults","year":%d,"actor":{"id":"office","role":"office"}}`, id, year))
	if _, err := lg.checkpoint(ledgertest.Ctx(tb)); err != nil {
		tb.Fatal(err)
	}
}

func (lg *ledger) options(year int, unit, appeal string) Options {
	return Options{Year: year, Unit: unit, Appeal: appeal, Witnessed: lg.witnessed, CheckpointKey: lg.vkey, Key: ledgertest.Key("office")}
}

func (lg *ledger) make(tb testing.TB, o Options) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if _, err := Make(ledgertest.Ctx(tb), lg.st, o, &buf); err != nil {
		tb.Fatalf("Make: %v", err)
	}
	return buf.Bytes()
}

// zhashui is the example year 柞水县 2022 with its README's appeal: v1,
// jyj's appeal filed, upheld with a correction and new decisions, v2.
func zhashui(tb testing.TB) *ledger {
	tb.Helper()
	lg := newTestLedger(tb)
	cmds, err := examples.Commands("zhashui-2022")
	if err != nil {
		tb.Fatal(err)
	}
	// The office account that publishes and signs bundles.
	if err := ledgertest.Enrol(ledgertest.Ctx(tb), lg.l, append(cmds, commands.Command{Actor: events.Actor{ID: "office", Role: events.RoleOffice}})); err != nil {
		tb.Fatal(err)
	}
	lg.submit(tb, cmds)
	lg.publish(tb, 2022, "publish-v1")
	lg.submitLines(tb, `{"id":"zs22-appeal-jyj","type":"FileAppeal","year":2022,"actor":{"id":"jyj","role":"unit"},"data":{"unit":"jyj","claim":"服务高质量发展评分表为98分，系统录入为90分","disputed":["zs22-drc-service-jyj"]}}`)
	src, err := os.ReadFile("../../examples/zhashui-2022/appeal-jyj-resolution.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "{") {
			lines = append(lines, line)
		}
	}
	corr := "[" + strings.Join(lines, ",") + "]"
	lg.submitLines(tb, fmt.Sprintf(`{"id":"zs22-appeal-jyj-resolve","type":"ResolveAppeal","year":2022,"actor":{"id":"office","role":"office"},"reason":"经核对评分表，录入错误属实","data":{"unit":"jyj","appeal":"zs22-appeal-jyj","outcome":"upheld","corrections":%s}}`, corr))
	lg.publish(tb, 2022, "publish-v2")
	return lg
}

// unpack and pack edit a bundle as a tamperer would.
func unpack(tb testing.TB, data []byte) []file {
	tb.Helper()
	fs, err := readArchive(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

func pack(tb testing.TB, fs []file) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := writeArchive(&buf, fs); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// resign rewrites MANIFEST and MANIFEST.sig for the files as they are now,
// signed with the office's key: an office rewriting its own bundle.
func resign(tb testing.TB, fs []file, official string, role events.Role) []file {
	tb.Helper()
	var body []file
	for _, f := range fs {
		if f.name != EntryManifest && f.name != EntrySignature {
			body = append(body, f)
		}
	}
	man := manifest(body)
	kp := ledgertest.Key(official)
	sig, err := kp.Sign(append([]byte(SignaturePrefix), man...))
	if err != nil {
		tb.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return append(body, file{EntryManifest, man}, file{EntrySignature, mustJSON(Signature{Official: official, Role: string(role), Key: pub, Signature: b64(sig)})})
}

// verifyErr verifies data and returns its *Error (nil when it verified).
func verifyErr(tb testing.TB, data []byte) *Error {
	tb.Helper()
	_, err := Verify(bytes.NewReader(data), VerifyOptions{})
	if err == nil {
		return nil
	}
	var be *Error
	if !errors.As(err, &be) {
		tb.Fatalf("Verify: %v (not a *bundle.Error)", err)
	}
	return be
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func officialKey(id string) nkeys.KeyPair { return ledgertest.Key(id) }
