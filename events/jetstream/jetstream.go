package jetstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/events"
)

// Defaults of Config.
const (
	DefaultStream          = "KAOHE"
	DefaultDuplicateWindow = 2 * time.Minute
	// MaxBatch is the most messages one Append may write: nats-server's
	// limit for an atomic batch.
	MaxBatch = 1000
)

// Headers kaohe sets on stored messages (see doc.go).
const (
	HeaderMsgID               = "Nats-Msg-Id"
	HeaderExpectedLastSubjSeq = "Nats-Expected-Last-Subject-Sequence"
	HeaderBatchID             = "Nats-Batch-Id"
	HeaderBatchSeq            = "Nats-Batch-Sequence"
	HeaderBatchCommit         = "Nats-Batch-Commit"
)

// HeaderExpectedLastSubjSeqSubject names the filter an expectation is
// checked on when it is not the message's own subject (Pending.Expect).
const HeaderExpectedLastSubjSeqSubject = "Nats-Expected-Last-Subject-Sequence-Subject"

// JetStream API error codes that mean "someone else wrote first".
const (
	errCodeWrongLastSeq         = 10071 // JSStreamWrongLastSequenceErrF
	errCodeWrongLastSeqConstant = 10164 // JSStreamWrongLastSequenceConstantErr (replicated streams, batches)
	errCodeBatchDuplicate       = 10201 // JSAtomicPublishContainsDuplicateMessageErr
)

// Sentinel errors; callers branch with errors.Is.
var (
	// ErrConflict: an expected last subject sequence did not match, another
	// writer got there first. Reload the aggregate and retry.
	ErrConflict = errors.New("events: concurrent write conflict")
	// ErrDuplicate: the server already holds a message with this
	// Nats-Msg-Id within the duplicate window. Nothing was written.
	ErrDuplicate = errors.New("events: duplicate message id")
	// ErrBatchTooLarge: more than MaxBatch messages in one Append.
	ErrBatchTooLarge = errors.New("events: batch too large")
	// ErrInvalidEvent: a Pending is malformed (bad subject, envelope that
	// does not match its subject). Nothing was written.
	ErrInvalidEvent = errors.New("events: invalid event")
	// ErrStreamConfig: an existing stream is not configured as a ledger.
	ErrStreamConfig = errors.New("events: stream not configured as a ledger")
	// ErrNoLedger: the stream does not exist and Config.Create was not set.
	ErrNoLedger = errors.New("events: no ledger here")
	// ErrServerTooOld: the external server cannot write atomic batches.
	ErrServerTooOld = errors.New("events: NATS server too old")
)

// NoLedgerError: Open found no stream and was not asked to create one.
// errors.Is(err, ErrNoLedger) is true.
type NoLedgerError struct {
	Stream string
	Where  string // "data directory D" or "the NATS server at URL"
}

func (e *NoLedgerError) Error() string {
	return fmt.Sprintf("events: no ledger here: stream %s does not exist on %s", e.Stream, e.Where)
}

// Is makes errors.Is(err, ErrNoLedger) true.
func (e *NoLedgerError) Is(target error) bool { return target == ErrNoLedger }

// MinServerVersion is the oldest nats-server that can hold the ledger:
// 2.12 brought atomic batch publish, which every multi-event append needs.
const MinServerVersion = "2.12.0"

// ServerVersionError: the external server is older than MinServerVersion.
// errors.Is(err, ErrServerTooOld) is true.
type ServerVersionError struct {
	URL     string
	Version string
}

func (e *ServerVersionError) Error() string {
	return fmt.Sprintf("events: the NATS server at %s is version %s; kaohe needs nats-server %s or later (atomic batch publish)", e.URL, e.Version, MinServerVersion)
}

// Is makes errors.Is(err, ErrServerTooOld) true.
func (e *ServerVersionError) Is(target error) bool { return target == ErrServerTooOld }

// ConflictError reports a failed optimistic concurrency check.
// errors.Is(err, ErrConflict) is true.
type ConflictError struct {
	Subjects    []string // the subjects of the Append (one per distinct subject)
	Code        int      // JetStream API error code (10071 or 10164)
	Description string   // server's description, e.g. "wrong last sequence: 42"
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("events: concurrent write on %s: %s (%d)", strings.Join(e.Subjects, ", "), e.Description, e.Code)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// DuplicateError reports an Append refused as a duplicate Nats-Msg-Id.
// errors.Is(err, ErrDuplicate) is true.
type DuplicateError struct {
	MsgIDs []string // the message ids of the Append
	Seq    uint64   // stream sequence of the message already stored; 0 when the server does not say (batches)
}

func (e *DuplicateError) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("events: duplicate message id %s (already stored at seq %d)", strings.Join(e.MsgIDs, ", "), e.Seq)
	}
	return fmt.Sprintf("events: duplicate message id in %s", strings.Join(e.MsgIDs, ", "))
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// StreamConfigError lists what is wrong with an existing stream's config.
type StreamConfigError struct {
	Stream   string
	Problems []string
}

func (e *StreamConfigError) Error() string {
	return fmt.Sprintf("events: stream %s is not a ledger: %s", e.Stream, strings.Join(e.Problems, "; "))
}

// Is makes errors.Is(err, ErrStreamConfig) true.
func (e *StreamConfigError) Is(target error) bool { return target == ErrStreamConfig }

// Config says where the ledger lives.
type Config struct {
	URL             string        // NATS URL; empty = embedded server under DataDir/nats
	DataDir         string        // data directory (embedded server only)
	Stream          string        // stream name; default "KAOHE"
	Replicas        int           // stream replicas when creating it; default 1
	DuplicateWindow time.Duration // Nats-Msg-Id dedupe window; default 2m
	// Create the stream when it does not exist. Only `kaohe init` (and the
	// demo on an empty data directory) set it: a ledger that disappeared
	// must be an error (NoLedgerError), never silently a new empty one.
	Create bool

	Embedded    EmbeddedOptions // embedded server options (fsync, listener)
	NATSOptions []nats.Option   // extra connection options (credentials, TLS, error handler)
}

func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	return c
}

// Store is the event ledger on one JetStream stream. It is safe for
// concurrent use.
type Store struct {
	nc     *nats.Conn
	js     natsjs.JetStream
	stream natsjs.Stream
	name   string
	direct bool      // AllowDirect on the stream: last-message reads use direct get
	emb    *Embedded // nil when connected to an external server
	dir    string    // the data directory of the embedded server ("" for an external one)
	lock   *dirLock  // the data directory's lock, held while emb runs
	// destructive lists the stream-destroying API subjects an external
	// server let this user publish to (checked at Open).
	destructive []string
	created     bool // Open created the stream

	// replicated: Replicas > 1, where a follower may answer a direct get
	// from a copy behind the leader's (see ensureStream).
	replicated bool

	// delivered counts the messages Read, Load and Watch have delivered:
	// what a query read (Delivered).
	delivered atomic.Uint64
}

// Delivered is how many messages this store's reads (Read, Load, LoadFrom,
// Watch) have delivered since it was opened: a query's cost in messages,
// independent of timing (tests assert that a one-year query reads only
// that year's subjects; the bench reports it).
func (s *Store) Delivered() uint64 { return s.delivered.Load() }

// Open connects and checks the stream: an existing stream is checked,
// never updated (a StreamConfigError if it is not append-only); a missing
// one is created only with cfg.Create, otherwise Open fails with a
// NoLedgerError.
//
// With cfg.URL empty it runs the embedded server on cfg.DataDir, holding
// the directory's lock (LockFile) until Close: a second process, or a
// second Open in this one, gets a LockedError. With cfg.URL it refuses a
// server older than MinServerVersion (ServerVersionError) and checks
// whether the user may delete or purge streams (DestructiveAPIs).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if strings.ContainsAny(cfg.Stream, ". *>\t\r\n") {
		return nil, fmt.Errorf("events: invalid stream name %q", cfg.Stream)
	}
	s := &Store{name: cfg.Stream}
	var err error
	if cfg.URL == "" {
		if cfg.DataDir == "" {
			return nil, errors.New("events: Config needs a URL or a DataDir")
		}
		store := filepath.Join(cfg.DataDir, "nats")
		if _, serr := os.Stat(store); !cfg.Create && errors.Is(serr, os.ErrNotExist) {
			// Nothing was ever stored here: say so without leaving a
			// server's directories behind in a mistyped --data.
			return nil, &NoLedgerError{Stream: cfg.Stream, Where: "data directory " + cfg.DataDir}
		}
		if s.lock, err = lockDir(cfg.DataDir); err != nil {
			return nil, err
		}
		s.dir = cfg.DataDir
		if s.emb, err = StartEmbedded(store, cfg.Embedded); err != nil {
			s.Close()
			return nil, err
		}
		s.nc, err = s.emb.Connect(cfg.NATSOptions...)
	} else {
		s.nc, err = nats.Connect(cfg.URL, cfg.NATSOptions...)
		if err != nil {
			err = fmt.Errorf("events: connect %s: %w", cfg.URL, err)
		} else {
			err = checkServerVersion(cfg.URL, s.nc.ConnectedServerVersion())
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if s.js, err = natsjs.New(s.nc); err != nil {
		s.Close()
		return nil, fmt.Errorf("events: jetstream: %w", err)
	}
	if err = s.ensureStream(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	if s.emb == nil {
		s.destructive = probeDestructive(ctx, s.nc)
	}
	return s, nil
}

// StreamConfig is the configuration Open creates the ledger stream with.
func StreamConfig(cfg Config) natsjs.StreamConfig {
	cfg = cfg.withDefaults()
	return natsjs.StreamConfig{
		Name:               cfg.Stream,
		Description:        "kaohe assessment ledger (append-only)",
		Subjects:           []string{events.AllSubjects},
		Storage:            natsjs.FileStorage,
		Retention:          natsjs.LimitsPolicy, // with no limits set: keep everything
		Discard:            natsjs.DiscardNew,   // if a limit is ever hit, refuse writes rather than drop history
		Replicas:           cfg.Replicas,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowRollup:        false,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		Duplicates:         cfg.DuplicateWindow,
	}
}

func (s *Store) ensureStream(ctx context.Context, cfg Config) error {
	st, err := s.js.Stream(ctx, s.name)
	if errors.Is(err, natsjs.ErrStreamNotFound) {
		if !cfg.Create {
			where := "the NATS server at " + cfg.URL
			if cfg.URL == "" {
				where = "data directory " + cfg.DataDir
			}
			return &NoLedgerError{Stream: s.name, Where: where}
		}
		s.created = true
		st, err = s.js.CreateStream(ctx, StreamConfig(cfg))
		if errors.Is(err, natsjs.ErrStreamNameAlreadyInUse) {
			// Another process created it between our look-up and create.
			s.created = false
			st, err = s.js.Stream(ctx, s.name)
		}
	}
	if err != nil {
		return fmt.Errorf("events: stream %s: %w", s.name, err)
	}
	if err := checkStreamConfig(st.CachedInfo().Config); err != nil {
		return err
	}
	s.stream = st
	// Every replica answers direct gets, a follower from a copy that may
	// be behind the leader: a Load just after an append could miss it, and
	// LastSeqs as of a sequence the follower lacks would say "no event".
	// On a replicated stream the last message of a subject is asked of the
	// leader, a Load reads on until the leader's last match, and LastSeqs
	// as of a sequence asks the leader per subject.
	c := st.CachedInfo().Config
	s.direct = c.AllowDirect
	s.replicated = c.Replicas > 1
	return nil
}

// checkStreamConfig refuses a stream that could lose or rewrite history.
func checkStreamConfig(c natsjs.StreamConfig) error {
	var p []string
	if !c.DenyDelete {
		p = append(p, "DenyDelete is off")
	}
	if !c.DenyPurge {
		p = append(p, "DenyPurge is off")
	}
	if c.MaxAge > 0 || c.MaxMsgs > 0 || c.MaxBytes > 0 || c.MaxMsgsPerSubject > 0 {
		p = append(p, "a MaxAge/MaxMsgs/MaxBytes/MaxMsgsPerSubject limit would drop events")
	}
	if c.Storage != natsjs.FileStorage {
		p = append(p, "storage is not file (events would be lost when the server restarts)")
	}
	if c.AllowRollup {
		p = append(p, "AllowRollup is on (a roll-up message would remove events)")
	}
	if c.Retention != natsjs.LimitsPolicy {
		p = append(p, "retention is not limits (events would be removed once consumed)")
	}
	if !c.AllowAtomicPublish {
		p = append(p, "AllowAtomicPublish is off (multi-event appends need it)")
	}
	covers := false
	for _, subj := range c.Subjects {
		if subj == events.AllSubjects || subj == ">" {
			covers = true
		}
	}
	if !covers {
		p = append(p, "subjects do not include "+events.AllSubjects)
	}
	if len(p) > 0 {
		return &StreamConfigError{Stream: c.Name, Problems: p}
	}
	return nil
}

// Close closes the connection and, when embedded, shuts the server down
// and then releases the data directory's lock.
func (s *Store) Close() {
	if s.nc != nil {
		s.nc.Close()
	}
	if s.emb != nil {
		s.emb.Shutdown()
	}
	s.lock.unlock()
}

// Created reports whether Open created the stream (Config.Create).
func (s *Store) Created() bool { return s.created }

// DestructiveAPIs lists the JetStream API subjects (of DeniedAPISubjects)
// that the external server let this connection's user publish to: with
// them the user could delete, purge or reconfigure the ledger stream. Empty
// for the embedded server, and when the operator denied them all.
func (s *Store) DestructiveAPIs() []string { return s.destructive }

// Conn is the store's NATS connection (kaohe serve answers its service
// on it).
func (s *Store) Conn() *nats.Conn { return s.nc }

// Embedded is the in-process server, nil when connected to an external one.
func (s *Store) Embedded() *Embedded { return s.emb }

// DataDir is the data directory the embedded server runs on ("" when the
// store is on an external server).
func (s *Store) DataDir() string { return s.dir }

// StreamName is the name of the ledger stream.
func (s *Store) StreamName() string { return s.name }

// Pending is an event to append.
type Pending struct {
	Subject  string
	Envelope events.Envelope
	// ExpectedLastSubjectSeq is the stream sequence of the last message on
	// Subject the writer based its decision on; 0 = the subject must be
	// empty. Within a multi-event Append only the first Pending of each
	// subject is checked (later ones follow it inside the batch).
	ExpectedLastSubjectSeq uint64
	// MsgID is the Nats-Msg-Id: the command id, plus ":"+index when a
	// command writes several events. Empty = no server-side dedupe.
	MsgID string
	// Expect, when set, is the expectation this message carries instead of
	// the default one (ExpectedLastSubjectSeq, on the first message of its
	// subject only): the append succeeds only if the last message matching
	// Expect.Filter, a subject or a wildcard, is at Expect.Seq (0 = none).
	// It lets a message guard state the writer decided on but does not
	// write (a year's lifecycle, on a later message of a batch), or a whole
	// year (kaohe.<year>.>). On the first message of its subject the filter
	// must cover Subject, or that subject goes unguarded. nats-server 2.15
	// refuses (10164, a conflict) an expectation on a literal subject that
	// an earlier message of the same batch wrote.
	Expect *Expectation
}

// Expectation is a Nats-Expected-Last-Subject-Sequence check on any
// filter (Nats-Expected-Last-Subject-Sequence-Subject).
type Expectation struct {
	Filter string
	Seq    uint64
}

// setExpect puts an expectation on m: on seq of m's own subject, or of
// filter when it names another.
func setExpect(m *nats.Msg, filter string, seq uint64) {
	m.Header.Set(HeaderExpectedLastSubjSeq, strconv.FormatUint(seq, 10))
	if filter != "" && filter != m.Subject {
		m.Header.Set(HeaderExpectedLastSubjSeqSubject, filter)
	}
}

// Append writes the events atomically: one message with the expected
// subject sequence, or several as one JetStream atomic batch (all or
// nothing) with the expected sequence on the first message of each subject.
// It returns the stored events with their sequences, in the order given.
//
// Errors: ErrConflict (*ConflictError) when an expected sequence does not
// match; ErrDuplicate (*DuplicateError) when a Nats-Msg-Id was already
// stored within the window; ErrBatchTooLarge; ErrInvalidEvent. On any
// error nothing was written (a network error after sending may leave the
// outcome unknown: reload and check the command id).
func (s *Store) Append(ctx context.Context, msgs []Pending) ([]events.Stored, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	if len(msgs) > MaxBatch {
		return nil, fmt.Errorf("%w: %d events, at most %d", ErrBatchTooLarge, len(msgs), MaxBatch)
	}
	out := make([]events.Stored, len(msgs))
	for i, p := range msgs {
		st, err := prepare(p)
		if err != nil {
			return nil, fmt.Errorf("%w: event %d: %v", ErrInvalidEvent, i, err)
		}
		out[i] = st
	}
	if len(msgs) == 1 {
		return s.appendOne(ctx, msgs[0], out)
	}
	return s.appendBatch(ctx, msgs, out)
}

// prepare encodes an event and checks it belongs on its subject.
func prepare(p Pending) (events.Stored, error) {
	if strings.ContainsAny(p.Subject, "*> \t\r\n") {
		return events.Stored{}, fmt.Errorf("subject %q is not a literal subject", p.Subject)
	}
	year, agg, err := events.ParseSubject(p.Subject)
	if err != nil {
		return events.Stored{}, err
	}
	if p.Envelope.Year != year || p.Envelope.Aggregate != agg {
		return events.Stored{}, fmt.Errorf("envelope year %d aggregate %q does not match subject %s", p.Envelope.Year, p.Envelope.Aggregate, p.Subject)
	}
	raw, err := events.Encode(p.Envelope)
	if err != nil {
		return events.Stored{}, err
	}
	// Return the envelope exactly as a later read decodes it.
	env, err := events.Decode(raw)
	if err != nil {
		return events.Stored{}, err
	}
	return events.Stored{Envelope: env, Subject: p.Subject, Raw: raw}, nil
}

func (s *Store) appendOne(ctx context.Context, p Pending, out []events.Stored) ([]events.Stored, error) {
	m := nats.NewMsg(p.Subject)
	m.Data = out[0].Raw
	if p.Expect != nil {
		setExpect(m, p.Expect.Filter, p.Expect.Seq)
	} else {
		setExpect(m, "", p.ExpectedLastSubjectSeq)
	}
	if p.MsgID != "" {
		m.Header.Set(HeaderMsgID, p.MsgID)
	}
	ack, err := s.js.PublishMsg(ctx, m)
	if err != nil {
		return nil, appendError(err, []Pending{p})
	}
	if ack.Duplicate {
		return nil, &DuplicateError{MsgIDs: []string{p.MsgID}, Seq: ack.Sequence}
	}
	out[0].Seq = ack.Sequence
	return out, nil
}

// batchAck is the commit's reply: the PubAck with the batch fields.
type batchAck struct {
	Error     *natsjs.APIError `json:"error,omitempty"`
	Stream    string           `json:"stream"`
	Seq       uint64           `json:"seq"`
	Duplicate bool             `json:"duplicate,omitempty"`
	BatchID   string           `json:"batch,omitempty"`
	Count     int              `json:"count,omitempty"`
}

func (s *Store) appendBatch(ctx context.Context, msgs []Pending, out []events.Stored) ([]events.Stored, error) {
	batch := make([]*nats.Msg, len(msgs))
	seen := make(map[string]bool, 4)
	for i, p := range msgs {
		m := nats.NewMsg(p.Subject)
		m.Data = out[i].Raw
		// nats-server 2.15 checks a per-subject expectation on the first
		// write of each subject in a batch and refuses one on a later write
		// of the same subject (10164), so only the first carries it.
		switch {
		case p.Expect != nil:
			setExpect(m, p.Expect.Filter, p.Expect.Seq)
		case !seen[p.Subject]:
			setExpect(m, "", p.ExpectedLastSubjectSeq)
		}
		seen[p.Subject] = true
		if p.MsgID != "" {
			m.Header.Set(HeaderMsgID, p.MsgID)
		}
		batch[i] = m
	}
	ack, err := s.publishBatch(ctx, batch)
	if err != nil {
		return nil, appendError(err, msgs)
	}
	if ack.Duplicate {
		return nil, &DuplicateError{MsgIDs: msgIDs(msgs), Seq: ack.Seq}
	}
	if ack.Stream == "" || (ack.Count != 0 && ack.Count != len(msgs)) || ack.Seq < uint64(len(msgs)) {
		return nil, fmt.Errorf("events: append batch: unexpected ack %+v", ack)
	}
	// A committed batch is stored contiguously, ending at the ack's seq.
	first := ack.Seq - uint64(len(msgs)) + 1
	for i := range out {
		out[i].Seq = first + uint64(i)
	}
	return out, nil
}

// publishBatch sends msgs as one atomic batch: the batch headers are added
// here, the others are the caller's. The server's error comes back as a
// *natsjs.APIError.
func (s *Store) publishBatch(ctx context.Context, msgs []*nats.Msg) (batchAck, error) {
	id, err := newBatchID()
	if err != nil {
		return batchAck{}, err
	}
	ctx, cancel := withDefaultTimeout(ctx, apiTimeout)
	defer cancel()
	var resp *nats.Msg
	for i, m := range msgs {
		m.Header.Set(HeaderBatchID, id)
		m.Header.Set(HeaderBatchSeq, strconv.Itoa(i+1))
		if i < len(msgs)-1 {
			// Only the commit is acknowledged; the others are staged by the
			// server in order (one connection keeps the order).
			if err := s.nc.PublishMsg(m); err != nil {
				return batchAck{}, err
			}
			continue
		}
		m.Header.Set(HeaderBatchCommit, "1")
		if resp, err = s.nc.RequestMsgWithContext(ctx, m); err != nil {
			if errors.Is(err, nats.ErrNoResponders) {
				err = natsjs.ErrNoStreamResponse
			}
			return batchAck{}, err
		}
	}
	var ack batchAck
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return batchAck{}, natsjs.ErrInvalidJSAck
	}
	if ack.Error != nil {
		return batchAck{}, ack.Error
	}
	return ack, nil
}

// apiTimeout bounds a request whose ctx has no deadline, so a request the
// server never answers (a permissions violation) cannot hang forever.
const apiTimeout = 10 * time.Second

func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

func newBatchID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("events: batch id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func msgIDs(msgs []Pending) []string {
	var ids []string
	for _, p := range msgs {
		if p.MsgID != "" {
			ids = append(ids, p.MsgID)
		}
	}
	return ids
}

func distinctSubjects(msgs []Pending) []string {
	var subs []string
	seen := map[string]bool{}
	for _, p := range msgs {
		if !seen[p.Subject] {
			seen[p.Subject] = true
			subs = append(subs, p.Subject)
		}
	}
	return subs
}

// appendError maps JetStream API errors to the package's typed errors.
func appendError(err error, msgs []Pending) error {
	var apiErr *natsjs.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errCodeWrongLastSeq, errCodeWrongLastSeqConstant:
			return &ConflictError{Subjects: distinctSubjects(msgs), Code: int(apiErr.ErrorCode), Description: apiErr.Description}
		case errCodeBatchDuplicate:
			return &DuplicateError{MsgIDs: msgIDs(msgs)}
		}
	}
	return fmt.Errorf("events: append to %s: %w", strings.Join(distinctSubjects(msgs), ", "), err)
}

// LastSubjectSeq is the stream sequence of the last message on subject (a
// literal subject or a wildcard filter) and the chain hash of its bytes:
// what the next event of that aggregate puts in ExpectedLastSubjectSeq and
// Prev. 0, "" when there is none.
func (s *Store) LastSubjectSeq(ctx context.Context, subject string) (uint64, string, error) {
	seq, raw, err := s.lastFor(ctx, subject)
	if err != nil || seq == 0 {
		return 0, "", err
	}
	return seq, events.Hash(raw), nil
}

// lastFor is the last message matching filter: one direct get.
func (s *Store) lastFor(ctx context.Context, filter string) (uint64, []byte, error) {
	if !s.direct || s.replicated {
		return s.lastFromLeader(ctx, filter)
	}
	// The request-body form of direct get takes wildcards too (the
	// subject-suffix form nats.go uses cannot).
	req, _ := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{filter})
	ctx, cancel := withDefaultTimeout(ctx, apiTimeout)
	defer cancel()
	resp, err := s.nc.RequestWithContext(ctx, "$JS.API.DIRECT.GET."+s.name, req)
	if err != nil {
		return 0, nil, fmt.Errorf("events: last message of %s: %w", filter, err)
	}
	if st := resp.Header.Get("Status"); st != "" {
		if st == "404" {
			return 0, nil, nil
		}
		return 0, nil, fmt.Errorf("events: last message of %s: status %s %s", filter, st, resp.Header.Get("Description"))
	}
	seq, err := strconv.ParseUint(resp.Header.Get(natsjs.SequenceHeader), 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("events: last message of %s: bad sequence header: %w", filter, err)
	}
	return seq, resp.Data, nil
}

// lastFromLeader is lastFor through the message get API, which only the
// stream leader answers (nats.go's GetLastMsgForSubject would use a direct
// get whenever the stream allows them).
func (s *Store) lastFromLeader(ctx context.Context, filter string) (uint64, []byte, error) {
	req, _ := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{filter})
	ctx, cancel := withDefaultTimeout(ctx, apiTimeout)
	defer cancel()
	resp, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+s.name, req)
	if err != nil {
		return 0, nil, fmt.Errorf("events: last message of %s: %w", filter, err)
	}
	var r struct {
		Error   *natsjs.APIError `json:"error"`
		Message *struct {
			Seq  uint64 `json:"seq"`
			Data []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return 0, nil, fmt.Errorf("events: last message of %s: %w", filter, err)
	}
	switch {
	case r.Error != nil && r.Error.ErrorCode == natsjs.JSErrCodeMessageNotFound:
		return 0, nil, nil
	case r.Error != nil:
		return 0, nil, fmt.Errorf("events: last message of %s: %w", filter, r.Error)
	case r.Message == nil:
		return 0, nil, fmt.Errorf("events: last message of %s: empty answer", filter)
	}
	return r.Message.Seq, r.Message.Data, nil
}

// LastSeqs gives the stream sequence of the last message on each subject
// (literal subjects; 0 for one with none) as of upTo (0 = now), read as one
// snapshot: batched direct gets (multi_last) of at most multiLastBatch
// subjects each, isolated from concurrent writes, every one after the first
// as of the first's sequence. asOf is the stream sequence the snapshot is
// as of; 0 when the server does not say (no subject has a message yet, or
// where it reads LastSubjectSeq per subject: a stream without AllowDirect,
// and a replicated stream unless one current answer covers every subject).
func (s *Store) LastSeqs(ctx context.Context, subjects []string, upTo uint64) (last map[string]uint64, asOf uint64, err error) {
	if !s.direct || (s.replicated && (upTo > 0 || len(subjects) > multiLastBatch)) {
		// A follower answers as of upTo even when its copy stops short of
		// it, and a later batch of a multi-batch snapshot is as of upTo.
		return s.lastSeqsFromLeader(ctx, subjects, upTo)
	}
	var floor uint64 // replicated: the leader's last sequence before the call
	if s.replicated {
		if floor, err = s.LastSeq(ctx); err != nil {
			return nil, 0, err
		}
	}
	last = make(map[string]uint64, len(subjects))
	asOf = upTo
	for start := 0; start < len(subjects); start += multiLastBatch {
		at, err := s.multiLast(ctx, subjects[start:min(len(subjects), start+multiLastBatch)], asOf, last)
		if err != nil {
			return nil, 0, err
		}
		if s.replicated && at < floor {
			// A follower behind the leader answered (as of its own last
			// sequence, or "none" without one).
			return s.lastSeqsFromLeader(ctx, subjects, upTo)
		}
		if at == 0 {
			if upTo == 0 && start+multiLastBatch < len(subjects) {
				// No snapshot sequence to read the rest as of: one
				// request per subject, not a snapshot.
				for _, subj := range subjects[start+multiLastBatch:] {
					if last[subj], _, err = s.LastSubjectSeq(ctx, subj); err != nil {
						return nil, 0, err
					}
				}
				return last, 0, nil
			}
			at = upTo
		}
		asOf = at
	}
	return last, asOf, nil
}

// lastSeqsFromLeader is LastSeqs subject by subject through the leader,
// not a snapshot when upTo is 0 (it then says as of 0).
func (s *Store) lastSeqsFromLeader(ctx context.Context, subjects []string, upTo uint64) (map[string]uint64, uint64, error) {
	last := make(map[string]uint64, len(subjects))
	for _, subj := range subjects {
		if strings.ContainsAny(subj, "*>") {
			return nil, 0, fmt.Errorf("events: last sequences: %q is not a literal subject", subj)
		}
		seq, _, err := s.lastFromLeader(ctx, subj)
		if err != nil {
			return nil, 0, err
		}
		if upTo > 0 && seq > upTo {
			// The subject moved after upTo: its last event as of upTo is
			// found by reading it (no leader API answers "last before").
			seq = 0
			err = s.Read(ctx, subj, 1, upTo, func(st events.Stored) error {
				seq = st.Seq
				return nil
			})
			if err != nil {
				return nil, 0, err
			}
		}
		last[subj] = seq
	}
	return last, upTo, nil
}

// multiLastBatch bounds the subjects of one multi_last request (the
// server answers at most 1,024 messages to one).
const multiLastBatch = 256

// multiLast reads the last sequences of subjects as of upTo (0 = now) into
// out and returns the sequence the server read them as of (0 when it
// does not say).
func (s *Store) multiLast(ctx context.Context, subjects []string, upTo uint64, out map[string]uint64) (uint64, error) {
	ctx, cancel := withDefaultTimeout(ctx, apiTimeout)
	defer cancel()
	fail := func(err error) (uint64, error) {
		return 0, fmt.Errorf("events: last sequences of %d subjects: %w", len(subjects), err)
	}
	for _, subj := range subjects {
		if strings.ContainsAny(subj, "*>") {
			return fail(fmt.Errorf("%q is not a literal subject", subj))
		}
		out[subj] = 0
	}
	inbox := nats.NewInbox()
	ch := make(chan *nats.Msg, len(subjects)+2)
	sub, err := s.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return fail(err)
	}
	defer sub.Unsubscribe()
	req, _ := json.Marshal(struct {
		MultiLast []string `json:"multi_last"`
		UpToSeq   uint64   `json:"up_to_seq,omitempty"`
		Batch     int      `json:"batch"`
	}{subjects, upTo, len(subjects)})
	if err := s.nc.PublishRequest("$JS.API.DIRECT.GET."+s.name, inbox, req); err != nil {
		return fail(err)
	}
	for {
		m, err := directReply(ctx, ch)
		if err != nil {
			return fail(err)
		}
		switch st := m.Header.Get("Status"); st {
		case "": // the last message of one subject
			seq, err := directSeq(m)
			if err != nil {
				return fail(err)
			}
			out[m.Header.Get(natsjs.SubjectHeader)] = seq
		case "204": // end of the answer, with the sequence it is as of
			at, err := strconv.ParseUint(m.Header.Get("Nats-UpTo-Sequence"), 10, 64)
			if err != nil {
				return fail(fmt.Errorf("bad Nats-UpTo-Sequence header: %w", err))
			}
			return at, nil
		case "404": // none of the subjects has a message
			return upTo, nil
		default:
			return fail(fmt.Errorf("status %s %s", st, m.Header.Get("Description")))
		}
	}
}

// LastSeq is the stream's last sequence (0 when empty).
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	_, last, err := s.Extent(ctx)
	return last, err
}

// Messages is how many messages the stream holds now (after a purge it is
// 0 while LastSeq stays where it was).
func (s *Store) Messages(ctx context.Context) (uint64, error) {
	msgs, _, err := s.Extent(ctx)
	return msgs, err
}

// Extent is how many messages the stream holds and its last sequence, from
// one stream info request.
func (s *Store) Extent(ctx context.Context) (messages, last uint64, err error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("events: stream info: %w", err)
	}
	return info.State.Msgs, info.State.LastSeq, nil
}

// Load returns every event of one subject (or wildcard filter) in stream
// order. It uses batched direct gets: one request for an aggregate of up
// to a thousand events, no consumer created on the server, and each page
// is read in isolation from concurrent batch writes. Events appended while
// a multi-page Load runs are included up to the last sequence matching
// when the second page was requested (on a replicated stream: up to the
// leader's last match when the Load started, so a Load sees every event
// acknowledged before it, whichever replica answers). On a stream without
// AllowDirect it falls back to Read.
func (s *Store) Load(ctx context.Context, subject string) ([]events.Stored, error) {
	return s.LoadFrom(ctx, subject, 1)
}

// LoadFrom is Load of the events at fromSeq and after: what a writer
// holding an aggregate's state up to some sequence reads to catch up.
func (s *Store) LoadFrom(ctx context.Context, subject string, fromSeq uint64) ([]events.Stored, error) {
	if subject == "" {
		subject = events.AllSubjects
	}
	if fromSeq == 0 {
		fromSeq = 1
	}
	if !s.direct {
		var out []events.Stored
		err := s.Read(ctx, subject, fromSeq, 0, func(st events.Stored) error {
			out = append(out, st)
			return nil
		})
		return out, err
	}
	return s.loadDirect(ctx, subject, fromSeq)
}

// directReply waits for the next message of a batched direct get's answer.
func directReply(ctx context.Context, ch <-chan *nats.Msg) (*nats.Msg, error) {
	select {
	case m := <-ch:
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// directSeq is the stream sequence of a message in a direct get's answer.
func directSeq(m *nats.Msg) (uint64, error) {
	seq, err := strconv.ParseUint(m.Header.Get(natsjs.SequenceHeader), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad sequence header: %w", err)
	}
	return seq, nil
}

// directBatch is how many messages one batched direct get asks for.
const directBatch = 1000

func (s *Store) loadDirect(ctx context.Context, filter string, from uint64) ([]events.Stored, error) {
	ctx, cancel := withDefaultTimeout(ctx, time.Minute)
	defer cancel()
	fail := func(err error) ([]events.Stored, error) { return nil, fmt.Errorf("events: load %s: %w", filter, err) }
	inbox := nats.NewInbox()
	// Room for one whole page and its end marker (the default sync
	// subscription allocates a 64k channel per call).
	ch := make(chan *nats.Msg, directBatch+2)
	sub, err := s.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return fail(err)
	}
	defer sub.Unsubscribe()

	var out []events.Stored
	var end uint64 // bound once a second page is needed; 0 = not yet
	if s.replicated {
		// A follower may answer from behind: read on until the leader's
		// last match, asking again when an answer ends short of it.
		if end, _, err = s.lastFromLeader(ctx, filter); err != nil || end < from {
			return nil, err
		}
	}
	next := from
	for {
		req, _ := json.Marshal(struct {
			Seq     uint64 `json:"seq"`
			NextFor string `json:"next_by_subj"`
			Batch   int    `json:"batch"`
		}{next, filter, directBatch})
		if err := s.nc.PublishRequest("$JS.API.DIRECT.GET."+s.name, inbox, req); err != nil {
			return fail(err)
		}
	page:
		for {
			m, err := directReply(ctx, ch)
			if err != nil {
				return fail(err)
			}
			switch st := m.Header.Get("Status"); st {
			case "": // a message
				seq, err := directSeq(m)
				if err != nil {
					return fail(err)
				}
				if end != 0 && seq > end {
					return out, nil
				}
				subj := m.Header.Get(natsjs.SubjectHeader)
				s.delivered.Add(1)
				out = append(out, events.DecodeStored(seq, subj, m.Data))
				next = seq + 1
			case "404": // nothing (more) matches
				if s.replicated && next <= end {
					break page // a follower behind the leader answered
				}
				return out, nil
			case "204": // end of this page
				if m.Header.Get("Nats-Num-Pending") == "0" && !(s.replicated && next <= end) {
					return out, nil
				}
				if end == 0 {
					if end, _, err = s.lastFor(ctx, filter); err != nil {
						return nil, err
					}
				}
				if next > end {
					return out, nil
				}
				break page
			default:
				return fail(fmt.Errorf("status %s %s", st, m.Header.Get("Description")))
			}
		}
	}
}

// Read calls fn for every event matching filter (empty = all) with
// fromSeq <= seq <= toSeq, in stream order; toSeq 0 means up to the last
// matching message present when the call started. It streams through an
// ordered consumer (no per-message round trip) and decodes each message
// once. An error from fn stops the read and is returned as is.
func (s *Store) Read(ctx context.Context, filter string, fromSeq, toSeq uint64, fn func(events.Stored) error) error {
	if filter == "" {
		filter = events.AllSubjects
	}
	if fromSeq == 0 {
		fromSeq = 1
	}
	// The last matching sequence bounds the read: without it a filtered
	// consumer would wait forever for a message that never comes.
	last, _, err := s.lastFor(ctx, filter)
	if err != nil {
		return err
	}
	end := last
	if toSeq != 0 && toSeq < end {
		end = toSeq
	}
	if last == 0 || fromSeq > end {
		return nil
	}
	stop := errors.New("stop")
	err = s.consume(ctx, filter, fromSeq, func(st events.Stored) error {
		if st.Seq > end {
			return stop
		}
		if err := fn(st); err != nil {
			return err
		}
		if st.Seq == end {
			return stop
		}
		return nil
	})
	if err == stop {
		return nil
	}
	return err
}

// Watch calls fn for every event from fromSeq on (0 = from the start) and
// keeps following new ones until ctx is done; it then returns ctx.Err().
// An error from fn stops it and is returned as is.
func (s *Store) Watch(ctx context.Context, fromSeq uint64, fn func(events.Stored) error) error {
	if fromSeq == 0 {
		fromSeq = 1
	}
	return s.consume(ctx, events.AllSubjects, fromSeq, fn)
}

// readBatch is how many messages the ordered consumer asks for at a time.
const readBatch = 1000

func (s *Store) consume(ctx context.Context, filter string, fromSeq uint64, fn func(events.Stored) error) error {
	cons, err := s.js.OrderedConsumer(ctx, s.name, natsjs.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  natsjs.DeliverByStartSequencePolicy,
		OptStartSeq:    fromSeq,
		// The server drops the consumer soon after we stop pulling.
		InactiveThreshold: 10 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("events: read %s: %w", filter, err)
	}
	it, err := cons.Messages(natsjs.PullMaxMessages(readBatch))
	if err != nil {
		return fmt.Errorf("events: read %s: %w", filter, err)
	}
	defer func() {
		it.Stop()
		// Remove the consumer now rather than after InactiveThreshold:
		// the server allows 1,000 consumers per stream by default.
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_ = s.js.DeleteConsumer(dctx, s.name, info.Name)
			cancel()
		}
	}()
	next := natsjs.NextContext(ctx) // one option for every message, not one each
	for {
		msg, err := it.Next(next)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("events: read %s: %w", filter, err)
		}
		st, err := toStored(msg)
		if err != nil {
			return err
		}
		s.delivered.Add(1)
		if err := fn(st); err != nil {
			return err
		}
	}
}

func toStored(msg natsjs.Msg) (events.Stored, error) {
	md, err := msg.Metadata()
	if err != nil {
		return events.Stored{}, fmt.Errorf("events: message metadata: %w", err)
	}
	raw := msg.Data() // nats.go gives each message its own buffer: no copy needed
	return events.DecodeStored(md.Sequence.Stream, msg.Subject(), raw), nil
}
