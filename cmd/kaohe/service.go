package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/nats-io/nkeys"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

// kaohe's service (docs/operations.md, "The server is the only writer").
// kaohe serve answers officials on NATS: a micro service whose endpoints
// are kaohesvc.<name>. An official's connection may publish only there
// and receive only on its own inbox, _INBOX.<its key>.> (events,
// service_auth.go), so the reply subject of a request names the key of
// the caller, proven to the server by the nkey challenge: the endpoints
// take the caller's official, role and unit from the roster by that key.
//
//   - submit takes JSON lines of commands each signed by the caller
//     (commands.Sign, client side) and runs Ledger.Submit: the service
//     never signs; a command signed by another key is refused.
//   - the reads (serviceReads: results, explain, audit, log, verify,
//     diff, quarantine, appeal show|simulate, official list; a nested
//     subcommand's endpoint is appeal-show …) run the same subcommand as
//     the local CLI on the server's ledger with the caller's flags (an
//     allow list: none names a file or another ledger; appeal simulate's
//     --add file travels in the request). Who reads what: readPolicy.
//
// Writes other than submit (publish, appeal file|resolve, official
// add|rotate|revoke) are commands the CLI builds, signs with --key and
// submits through submit (docs/commands.md).

// serviceKeyFile is the service user's key in the keys directory; the
// underscore keeps it apart from officials' <id>.nk files.
const serviceKeyFile = "_service" + keyFileExt

// serviceReads are the read endpoints and the flags each accepts.
var serviceReads = map[string][]string{
	"results": {"year", "category", "unit", "json", "as-of", "recorded-as-of", "at-seq"},
	"explain": {"year", "unit", "cadre", "as-of", "recorded-as-of", "at-seq"},
	"audit":   {"year", "unit", "cadre", "indicator", "actor", "since", "json", "flags", "window"},
	"log":     {"year", "unit", "cadre", "actor", "type", "json"},

	"verify":          {"year", "json"},
	"diff":            {"year", "from", "to", "json"},
	"quarantine":      {"year", "json"},
	"appeal-show":     {"year", "unit", "cadre", "json"},
	"appeal-simulate": {"year", "unit", "cadre", "exclude", "against", "json"}, // --add: serviceRequest.Add
	"official-list":   {"json"},
}

// Who reads what through the service (docs/operations.md):
//   - unitScoped reads (a unit's or cadre's data): a unit gives --unit
//     its own id and no --cadre (and appeal simulate --against vN: the
//     other units it moves are seen as published); every other role
//     reads every unit.
//   - yearScoped reads (a whole year or the whole ledger): the office,
//     the committee and the inspector read any; every other role only a
//     published year (--year Y, and Y has a publication), as the public,
//     and diff between published versions only.
//   - the roster (official list) is public: anyone reads it.
var (
	unitScoped = map[string]bool{"results": true, "explain": true, "audit": true, "log": true, "appeal-show": true, "appeal-simulate": true}
	yearScoped = map[string]bool{"verify": true, "diff": true, "quarantine": true}
	yearReader = map[events.Role]bool{events.RoleOffice: true, events.RoleCommittee: true, events.RoleInspector: true}
)

// localOnly are the subcommands that run on a data directory of their own
// and say so when given --server, with what to do instead.
var localOnly = map[string]string{
	"init":   "kaohe init creates a ledger in --data: run it on the server's machine, before kaohe serve",
	"demo":   "kaohe demo builds a ledger of its own in --data: run it without --server",
	"serve":  "kaohe serve is the server: run it without --server",
	"replay": "kaohe replay rebuilds the projections of --data: run it on the server's machine (kaohe serve keeps its own current)",
	"bench":  "kaohe bench runs servers of its own: run it without --server",
	"bundle": "kaohe bundle reads the ledger in --data and signs with your key: run it on a machine with --data",
	"sheet":  "kaohe sheet writes a score sheet from a local ledger: run it on a machine with --data, or submit a command file through --server",
}

// endpointName is a subcommand's endpoint: its path under kaohe, joined
// by "-" (appeal show → appeal-show).
func endpointName(cmd *cobra.Command) string {
	var parts []string
	for c := cmd; c != nil && c.HasParent(); c = c.Parent() {
		parts = append([]string{c.Name()}, parts...)
	}
	return strings.Join(parts, "-")
}

// serviceRequest is a read endpoint's request: the subcommand's flags and
// arguments as on the command line.
type serviceRequest struct {
	Args []string `json:"args"`
	// Add is the content of appeal simulate's --add file: the service
	// reads no file the caller names.
	Add string `json:"add,omitempty"`
}

// serviceReply is every endpoint's answer: what the local command would
// have printed, and its exit code.
type serviceReply struct {
	Code   int    `json:"code"`
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
}

// serviceKey reads the service key, creating it (mode 0600) on first use.
func (m *Main) serviceKey() (nkeys.KeyPair, string, error) {
	path := filepath.Join(m.DataDir, keysDirName, serviceKeyFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, "", err
		}
		if err := writeKeyFile(path, kp, false); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, "", err
		}
	}
	kp, err := readKeyFile(path)
	return kp, path, err
}

// isOfficial says whether pub may connect: an official's current key.
// The embedded server asks it on every connection.
func (m *Main) isOfficial(pub string) bool {
	if m.ledger == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := m.ledger.Roster(ctx)
	if err != nil {
		return false
	}
	_, ok := r.OfficialByKey(pub)
	return ok
}

// startService adds kaohe's micro service on the store's connection.
func (m *Main) startService(ctx context.Context) (micro.Service, error) {
	svc, err := micro.AddService(m.store.Conn(), micro.Config{
		Name:        "kaohe",
		Version:     "1.0.0",
		Description: "kaohe ledger: signed submissions and role-checked reads",
	})
	if err != nil {
		return nil, err
	}
	add := func(name string, h func(context.Context, events.Official, []byte) serviceReply) error {
		return svc.AddEndpoint(name, micro.HandlerFunc(func(req micro.Request) {
			o, err := m.caller(ctx, req.Reply())
			if err != nil {
				req.RespondJSON(serviceReply{Code: exitRejected, Stderr: "kaohe: rejected: " + err.Error() + "\n"})
				return
			}
			req.RespondJSON(h(ctx, o, req.Data()))
		}), micro.WithEndpointSubject(jetstream.ServicePrefix+"."+name))
	}
	if err := add("submit", m.serveSubmit); err != nil {
		return nil, err
	}
	for name := range serviceReads {
		name := name
		if err := add(name, func(ctx context.Context, o events.Official, data []byte) serviceReply {
			return m.serveRead(ctx, name, o, data)
		}); err != nil {
			return nil, err
		}
	}
	return svc, nil
}

// caller is the official whose inbox the reply goes to.
func (m *Main) caller(ctx context.Context, reply string) (events.Official, error) {
	pub, _, _ := strings.Cut(strings.TrimPrefix(reply, "_INBOX."), ".")
	if !strings.HasPrefix(reply, "_INBOX.") || !nkeys.IsValidPublicUserKey(pub) {
		return events.Official{}, &commands.Error{Code: commands.EFORBIDDEN,
			Msg: "the reply inbox must be _INBOX.<your key>: connect with your key and that inbox prefix (kaohe --server)"}
	}
	r, err := m.ledger.Roster(ctx)
	if err != nil {
		return events.Official{}, err
	}
	o, ok := r.OfficialByKey(pub)
	if !ok {
		return events.Official{}, &commands.Error{Code: commands.EFORBIDDEN, Msg: fmt.Sprintf("key %s is no current official's key on the roster", pub)}
	}
	return o, nil
}

// serveSubmit writes the caller's signed commands, all or nothing.
func (m *Main) serveSubmit(ctx context.Context, o events.Official, data []byte) serviceReply {
	out, err := m.submitAs(ctx, o, data)
	if errors.Is(err, errNoCommands) {
		return serviceReply{Code: exitUsage, Stderr: "kaohe: no commands in the request\n"}
	}
	return replyOf(err, bytes.NewBufferString(out))
}

// errNoCommands is submitAs's answer to an empty request.
var errNoCommands = errors.New("no commands in the request")

// submitAs writes JSON lines of commands each signed by the official o
// (the service's submit endpoint and the HTTP API): the server never
// signs, and a command signed by another key is refused. It gives what
// the CLI would print.
func (m *Main) submitAs(ctx context.Context, o events.Official, data []byte) (out string, err error) {
	var cmds []commands.Command
	if m.observe != nil {
		defer func() { m.observe(cmds, err) }()
	}
	dec := commands.NewDecoder(bytes.NewReader(data))
	for {
		c, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		cmds = append(cmds, c)
		if c.Sig == "" || c.Signer != o.Key {
			// The service never signs: each command is the caller's.
			return "", &commands.Error{Code: commands.EFORBIDDEN, Index: c.Line, Command: c.ID, Field: "sig",
				Msg: fmt.Sprintf("every command must be signed by the caller's key %s (kaohe --server --key FILE signs them)", o.Key)}
		}
	}
	if len(cmds) == 0 {
		return "", errNoCommands
	}
	var b bytes.Buffer
	err = m.child(&b, io.Discard).submitSigned(ctx, cmds)
	return b.String(), err
}

// serveRead runs a read subcommand for the caller.
func (m *Main) serveRead(ctx context.Context, name string, o events.Official, data []byte) serviceReply {
	var req serviceRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return serviceReply{Code: exitUsage, Stderr: "kaohe: request: " + err.Error() + "\n"}
	}
	allowed := map[string]bool{}
	for _, f := range serviceReads[name] {
		allowed[f] = true
	}
	given := map[string]string{}
	for i, a := range req.Args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		flag, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !allowed[flag] {
			return serviceReply{Code: exitUsage, Stderr: fmt.Sprintf("kaohe: %s through the service: flag --%s is not accepted\n", name, flag)}
		}
		if !strings.Contains(a, "=") && i+1 < len(req.Args) && !strings.HasPrefix(req.Args[i+1], "-") {
			value = req.Args[i+1]
		}
		given[flag] = value
	}
	if msg := m.readPolicy(ctx, name, o, given); msg != "" {
		return serviceReply{Code: exitRejected, Stderr: "kaohe: rejected: " + msg + "\n"}
	}
	args := append([]string{"--data", m.DataDir}, strings.Split(name, "-")...) // --data again: Run sets every flag, its default too
	args = append(args, req.Args...)
	if req.Add != "" {
		if name != "appeal-simulate" {
			return serviceReply{Code: exitUsage, Stderr: fmt.Sprintf("kaohe: %s takes no --add commands\n", name)}
		}
		dir, err := os.MkdirTemp("", "kaohe-add-")
		if err != nil {
			return replyOf(err, nil)
		}
		defer os.RemoveAll(dir)
		f := filepath.Join(dir, "add.jsonl")
		if err := os.WriteFile(f, []byte(req.Add), 0o600); err != nil {
			return replyOf(err, nil)
		}
		args = append(args, "--add="+f)
	}
	var out, errs bytes.Buffer
	code := m.child(&out, &errs).Run(ctx, args)
	return serviceReply{Code: code, Stdout: out.String(), Stderr: errs.String()}
}

// readPolicy says why o may not run the read name with the given flags
// ("" when it may); see unitScoped and yearScoped.
func (m *Main) readPolicy(ctx context.Context, name string, o events.Official, given map[string]string) string {
	switch {
	case unitScoped[name] && o.Role == events.RoleUnit:
		if _, ok := given["cadre"]; ok {
			return "a unit reads its own unit only (--unit), not a cadre's record"
		}
		if given["unit"] != o.Actor().ID {
			return fmt.Sprintf("official %s reads as unit %s: give --unit %s (a unit reads its own results only)", o.ID, o.Actor().ID, o.Actor().ID)
		}
		// A what-if moves other units too: a unit simulates on what is
		// published only.
		if name == "appeal-simulate" && !strings.HasPrefix(given["against"], "v") {
			return "a unit simulates against a published version only: --against vN"
		}
	case yearScoped[name] && !yearReader[o.Role]:
		year, err := strconv.Atoi(given["year"])
		if err != nil || year == 0 {
			return fmt.Sprintf("%s of the whole ledger is for the office, the committee and the inspector: a %s gives --year of a published year", name, o.Role)
		}
		evs, _, err := replay.ReadYear(ctx, m.store, year, events.Point{})
		if err != nil {
			return err.Error()
		}
		if pubs, err := replay.Publications(evs); err != nil || len(pubs) == 0 {
			return fmt.Sprintf("year %d is not published: until it is, %s of it is for the office, the committee and the inspector", year, name)
		}
		// What changed since the publication is not public yet.
		if name == "diff" && (!strings.HasPrefix(given["to"], "v") || (given["from"] != "" && !strings.HasPrefix(given["from"], "v"))) {
			return fmt.Sprintf("a %s compares published versions only: --from vN --to vM (the current state is for the office, the committee and the inspector)", o.Role)
		}
	}
	return ""
}

// child is a Main answering one request on this process's ledger.
func (m *Main) child(stdout, stderr io.Writer) *Main {
	return &Main{DataDir: m.DataDir, LockWait: m.LockWait, Stdout: stdout, Stderr: stderr, Stdin: strings.NewReader(""),
		store: m.store, ledger: m.ledger, serving: true, shared: m.shared}
}

// submitSigned writes commands already signed by their officials.
func (m *Main) submitSigned(ctx context.Context, cmds []commands.Command) error {
	out, err := m.ledger.Submit(ctx, cmds)
	if err != nil {
		return err
	}
	if err := m.witnessPublications(ctx, out.Events); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "accepted %s: %s written, %d already recorded (skipped)\n",
		plural(len(cmds)-out.Duplicates, "command"), plural(len(out.Events), "event"), out.Duplicates)
	if len(out.Events) > 0 {
		fmt.Fprintf(m.Stdout, "stream sequences %d–%d\n", out.Events[0].Seq, out.Events[len(out.Events)-1].Seq)
	}
	return nil
}

// replyOf turns a command's outcome into a reply, with the exit code and
// message the local CLI would give.
func replyOf(err error, out *bytes.Buffer) serviceReply {
	r := serviceReply{}
	if out != nil {
		r.Stdout = out.String()
	}
	if err != nil {
		var errs bytes.Buffer
		r.Code = (&Main{Stderr: &errs}).exitFor(err)
		r.Stderr = errs.String()
	}
	return r
}

// remoteExit is the exit code of a command run by the service, whose
// output was already printed.
type remoteExit struct{ code int }

func (e remoteExit) Error() string { return fmt.Sprintf("exit %d", e.code) }

// errorIfFailed is nil for a remote command that succeeded.
func errorIfFailed(err error) error {
	var rx remoteExit
	if errors.As(err, &rx) && rx.code == exitOK {
		return nil
	}
	return err
}

// remote runs a subcommand through the service at --server.
func (m *Main) remote(cmd *cobra.Command, args []string) error {
	kp, err := m.givenKey()
	if err != nil {
		return err
	}
	if kp == nil {
		return usageError{"--server needs your key: --key FILE or KAOHE_KEY"}
	}
	name := endpointName(cmd)
	var body []byte
	if name == "submit" {
		if body, err = m.signedFile(args[0], kp); err != nil {
			return err
		}
	} else {
		req := serviceRequest{}
		var ferr error
		cmd.Flags().Visit(func(f *pflag.Flag) {
			switch {
			case cmd.Root().PersistentFlags().Lookup(f.Name) != nil: // --data, --key… stay here
			case f.Name == "add" && name == "appeal-simulate":
				b, err := os.ReadFile(f.Value.String())
				if err != nil {
					ferr = usageError{"--add: " + err.Error()}
				}
				req.Add = string(b)
			default:
				if sv, ok := f.Value.(pflag.SliceValue); ok { // one flag a value: String() is "[a,b]"
					for _, v := range sv.GetSlice() {
						req.Args = append(req.Args, "--"+f.Name+"="+v)
					}
					return
				}
				req.Args = append(req.Args, "--"+f.Name+"="+f.Value.String())
			}
		})
		if ferr != nil {
			return ferr
		}
		req.Args = append(req.Args, args...)
		body, _ = json.Marshal(req)
	}
	return m.call(cmd.Context(), kp, name, body)
}

// call sends one request to the service at --server as the holder of kp
// and prints its reply; the error carries the reply's exit code.
func (m *Main) call(ctx context.Context, kp nkeys.KeyPair, name string, body []byte) error {
	pub, err := kp.PublicKey()
	if err != nil {
		return err
	}
	nc, err := nats.Connect(m.Server, nats.Nkey(pub, kp.Sign), nats.CustomInboxPrefix(jetstream.InboxPrefix(pub)), nats.Name("kaohe "+name))
	if err != nil {
		return checkFailed{fmt.Sprintf("--server %s: %v (is your key %s a current official's key on the roster?)", m.Server, err, pub)}
	}
	defer nc.Close()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
	}
	msg, err := nc.RequestWithContext(ctx, jetstream.ServicePrefix+"."+name, body)
	if err != nil {
		return checkFailed{fmt.Sprintf("--server %s: %s: %v", m.Server, name, err)}
	}
	var rep serviceReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return fmt.Errorf("--server %s: %s: unreadable reply: %w", m.Server, name, err)
	}
	fmt.Fprint(m.Stdout, rep.Stdout)
	fmt.Fprint(m.Stderr, rep.Stderr)
	return remoteExit{rep.Code}
}

// submitRemote signs commands the CLI built (publish, appeal file) with
// --key and submits them through the service; the error carries the exit
// code (0 too: what the service printed is the whole answer).
func (m *Main) submitRemote(ctx context.Context, cmds []commands.Command) error {
	kp, err := m.givenKey()
	if err != nil {
		return err
	}
	if kp == nil {
		return usageError{"--server needs your key: --key FILE or KAOHE_KEY"}
	}
	var body bytes.Buffer
	for i := range cmds {
		if err := commands.Sign(&cmds[i], kp); err != nil {
			return err
		}
		b, err := json.Marshal(cmds[i])
		if err != nil {
			return err
		}
		body.Write(append(b, '\n'))
	}
	return m.call(ctx, kp, "submit", body.Bytes())
}

// signedFile reads a command file and signs every command with kp: the
// JSON lines the service's submit endpoint takes.
func (m *Main) signedFile(name string, kp nkeys.KeyPair) ([]byte, error) {
	if strings.HasSuffix(strings.ToLower(name), ".xlsx") {
		return nil, usageError{"a score sheet (.xlsx) is submitted locally; through --server submit a command file"}
	}
	var r io.Reader = m.Stdin
	dir := "."
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		defer f.Close()
		r, dir = f, filepath.Dir(name)
	}
	readFile := commands.FilesBeside(dir)
	var buf bytes.Buffer
	dec := commands.NewDecoder(r)
	for {
		c, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if c.Type == "DefineScheme" {
			one := []commands.Command{c}
			if err := commands.ResolveFiles(one, readFile); err != nil {
				return nil, err
			}
			c = one[0]
		}
		if err := commands.Sign(&c, kp); err != nil {
			return nil, lineError(&c, err)
		}
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		buf.Write(append(b, '\n'))
	}
	if buf.Len() == 0 {
		return nil, usageError{"no commands in " + name}
	}
	return buf.Bytes(), nil
}
