// Package events is what kaohe's ledger is: the event catalogue (a named
// constant per type, events.Type*), the envelope and its JSON codec, the
// per-aggregate hash chain, subjects, roles, the roster, the quarantine rule
// every reader applies (Admit) and signature verification. Every fact of an
// annual assessment (年度考核) is one immutable message; nothing here knows
// about scoring. It imports the standard library only, so the pure engine
// and the scheme parser take no NATS code with it; nkey public keys are read
// here (nkey.go), signing with a seed is the commands package's part.
//
// The store on a NATS JetStream stream — the stream, its embedded server,
// the checks of an external server, the data directory's lock — is package
// events/jetstream. This comment documents the stored format field by
// field, stream and headers included, so the ledger can be read and
// verified with any NATS client and without this code. In the sections
// Stream, Data directory, Headers, Atomic batches, Concurrency and
// idempotency, Reading and Durability, the names Open, Config, Store,
// Pending, MaxBatch, DeniedAPISubjects, LockFile and the store's errors are
// those of events/jetstream.
//
// # Stream
//
// One stream holds every year. Open creates it only when Config.Create is
// set (kaohe init, the demo on an empty data directory); otherwise a
// missing stream is a NoLedgerError, so a deleted ledger is never silently
// replaced by an empty one. When it exists Open checks it
// (StreamConfigError) and never updates it.
//
//	name                 KAOHE (Config.Stream)
//	subjects             kaohe.>
//	storage              file
//	retention            limits, with no limit set: no MaxAge, MaxMsgs,
//	                     MaxBytes or MaxMsgsPerSubject (any would drop events)
//	discard              new (should a limit ever be set, refuse writes)
//	replicas             Config.Replicas (1 for the embedded server)
//	deny_delete          true (no message delete)
//	deny_purge           true (no purge; also disables rollups)
//	allow_rollup_hdrs    false
//	allow_direct         true (last-message and batched direct gets)
//	allow_atomic         true (multi-event appends are atomic batches)
//	duplicate_window     Config.DuplicateWindow, default 2m
//
// DenyDelete and DenyPurge do not stop deleting or reconfiguring the whole
// stream. The embedded server closes that with permissions: the
// application user may not publish to DeniedAPISubjects
// ($JS.API.STREAM.DELETE.>, $JS.API.STREAM.PURGE.>,
// $JS.API.STREAM.MSG.DELETE.>, $JS.API.STREAM.UPDATE.>,
// $JS.API.ACCOUNT.PURGE.>); such a request gets no reply, only a
// permissions violation on the connection. Against an external server
// (Config.URL) the operator must grant the same restricted permissions;
// Open probes them with requests naming a stream that does not exist and
// reports the ones answered (Store.DestructiveAPIs). It also refuses a
// server older than MinServerVersion (no atomic batches).
//
// With EmbeddedOptions.ServiceKey (kaohe serve) the embedded server takes
// no password but nkeys (service_auth.go): the service key is the
// application user above, the only one that may publish on kaohe.> or
// use the JetStream API; an official's current roster key
// (EmbeddedOptions.Official) may only publish on ServiceSubjects
// (kaohesvc.>, outside the stream) and subscribe to its own inbox,
// InboxPrefix(key)+".>"; every other connection is refused.
//
// # Data directory
//
// The embedded server stores under Config.DataDir/nats. The process running
// it holds an exclusive flock on DataDir/kaohe.lock (LockFile), which names
// the holder as JSON ({"pid","command","since"}), from before the server
// starts until after it has shut down: a second Open on the directory, in
// any process, gets a LockedError instead of a second server on the same
// store. The kernel drops the lock when its process dies.
//
// # Subjects
//
// One subject per aggregate; the message order on a subject is that
// aggregate's history, the stream sequence is the global order.
//
//	kaohe.<year>.scheme           the year's scheme (indicators, weights, rules)
//	kaohe.<year>.unit.<unit-id>   an assessed unit (被考核单位) in the year
//	kaohe.<year>.cadre.<id>       a cadre (干部, a leader) in the year
//	kaohe.<year>.office.<id>      an office (办站所) or a unit's cadres: office-wide
//	                              bonuses, deductions and conditions (002.9–002.13),
//	                              expanded by the engine from the year's roster
//	kaohe.<year>.year             the year itself: grades, publications, the notice
//	                              period and appeal window (WindowOpened, WindowClosed:
//	                              window "notice" 公示期 or "appeal" 复核申请期; closes,
//	                              when the scheme sets a length, is when it ends by
//	                              business time), closing
//	kaohe.org.official.<id>       an official of the roster (官员名册): key, role,
//	                              rotation, revocation (official.go)
//
// Ids are [A-Za-z0-9_-]+. kaohe.<year>.> selects a year, kaohe.> all.
// The organisation's aggregates are outside the years: their token is
// "org" where a year would be, their envelopes carry year 0 (OrgYear), and
// ParseSubject gives year 0 for them (a subject kaohe.0.… is refused).
// kaohe.org.> (OrgSubjects) selects them, kaohe.org.official.>
// (RosterSubjects) the roster. They are hash-chained like every subject,
// indexed by the projections (kaohe log) but never scored.
//
// # Headers
//
// The payload is the envelope; the headers are only for the server's
// checks, and are kept with the message (so the stored message shows what
// its writer expected).
//
//	Nats-Msg-Id                          the command id; "<command id>:<i>"
//	                                     (i from 0) when a command writes
//	                                     several events. The server drops a
//	                                     repeat within the duplicate window.
//	Nats-Expected-Last-Subject-Sequence  stream sequence of the last message on
//	                                     the subject the writer decided on; 0 =
//	                                     the subject must be empty. Set on every
//	                                     single append, and in a batch on the
//	                                     first message of each subject only.
//	Nats-Expected-Last-Subject-Sequence-Subject
//	                                     with the above, the filter (a subject or
//	                                     wildcard) the expectation is checked on
//	                                     instead of the message's subject
//	                                     (Pending.Expect): commands guard the
//	                                     year's lifecycle, or a whole year, with it.
//	Nats-Batch-Id                        random hex id of an atomic batch
//	Nats-Batch-Sequence                  1..n within the batch
//	Nats-Batch-Commit                    "1" on the last message of a batch
//
// The server keeps its own store time (Nats-Time-Stamp on reads); the
// ledger's own times are in the envelope.
//
// # Atomic batches
//
// Append of several events sends them as one atomic batch (at most
// MaxBatch = 1000): messages 1..n-1 are plain publishes, only the commit
// is acknowledged, and the server stores all of them contiguously or none.
// nats-server 2.15 checks Nats-Expected-Last-Subject-Sequence on the first
// write of each subject in a batch (against the state before the batch)
// and refuses it on a later write of the same subject with error 10164,
// even when true; see TestServerBatchExpectationRules. So each subject's
// first event carries its expectation and the others follow it. The
// Nats-Expected-Last-Subject-Sequence-Subject wildcard form also works on a
// first message but is not needed.
//
// # Concurrency and idempotency
//
// A failed expectation (API error 10071, or 10164 on replicated streams
// and batches) is ErrConflict (*ConflictError): reload the aggregate and
// decide again. A repeated Nats-Msg-Id within the window is ErrDuplicate
// (*DuplicateError, with the stored sequence for single messages): nothing
// was written. One server checks the expected sequence before the msg id
// for a single message, so resending a single event whose first send
// landed gives ErrConflict there; a replicated stream (a cluster) checks
// the msg id first and gives ErrDuplicate; in a batch the msg id is
// checked first. Either way nothing is written twice, and since the
// window is short, command handlers must also look for their command id
// in the reloaded aggregate (the durable check).
//
// # Envelope
//
// The message payload is the JSON of Envelope, fields in this order:
//
//	id              ULID of the event
//	type            explicit event name, e.g. "ScoreRecorded" (catalogue.go)
//	v               schema version of data; old versions are upcast on read
//	year            assessment year; equals the subject's <year>
//	aggregate       the subject after kaohe.<year>., e.g. "unit.town-a"
//	occurred_at     business time (RFC 3339): when the fact happened
//	recorded_at     when the ledger accepted it
//	actor           {"id": ..., "role": ...}, role from roles.go
//	reason          why; required for corrections, adjustments, vetoes...
//	command_id      the command that wrote it (also Nats-Msg-Id)
//	causation_id    optional: what caused the command
//	correlation_id  optional: the workflow it belongs to
//	prev            hex SHA-256 of the previous event of the same subject
//	data            the type's payload: facts as entered, never totals
//	sig             the official's signature of the command that wrote the
//	                event (see Signatures); absent on events recorded
//	                before the ledger had a roster
//
// # Hash chain
//
// For each subject, the first accepted event has prev "" and every later
// one has prev = hex(SHA-256(stored bytes of the previous accepted event on
// that subject)); a quarantined message (below) is no link. The hash is
// over the exact message payload as stored (Stored.Raw); an envelope is
// never re-encoded after it is written. Changing or dropping an event
// therefore breaks the next event's link. VerifyChain and ChainChecker
// check this, that each envelope matches its stored bytes, and that
// year/aggregate match the subject; a *ChainError names the first bad
// event. The last event of each subject has no successor to vouch for it:
// publication digests anchor those.
//
// # Quarantine
//
// Anyone with publish rights on kaohe.> can store any bytes on a subject.
// Admit (quarantine.go) is the one rule every reader applies to each
// message, against its aggregate's Head (last accepted event): the bytes
// must be JSON, an envelope, of a catalogued type and version whose data
// decodes, of the subject's year and aggregate (Check), and prev must be
// the head's hash (Link), and it must be validly signed by an official
// current on the roster as it stood when it was recorded — every accepted
// roster event of lower stream sequence — or be unsigned from before the
// roster existed (Authenticate; a roster event must also fit the roster).
// Otherwise the message is quarantined, a *QuarantineError with a Reason*
// (append-only set; bad_signature for a forgery however well chained):
// it stays in the stream, is excluded from scoring with a warning on its
// year's results, is listed by verify and kaohe quarantine, and the next
// event of the aggregate links to the last accepted one. Readers of the
// whole stream fold the roster as they admit (the zero Admitter); readers
// of some subjects read the roster's events too (NewAdmitter), and only
// accepted roster events count (AcceptedRoster), so a forged registration
// vouches for nothing.
//
// # Transparency log and loss
//
// The whole stream is also an RFC 6962 transparency log: leaf i is the
// tlog.RecordHash of the stored bytes of the message at stream sequence
// i+1 (replay/witness). Each ResultsPublished carries, in its optional
// checkpoint field, the signed checkpoint (C2SP signed note: origin
// kaohe/<stream>, size, base64 root) of the stream when it was computed;
// events written before the field existed decode unchanged. kaohe never
// deletes or purges a message, so a hole in the stream's sequences is
// loss: a *LossError (errors.Is ErrLoss) names the first missing or
// changed event, from what the projections or a witness remember.
//
// # Roster
//
// Officials are events on kaohe.org.official.<id> (year 0): OfficialRegistered
// {name, role, acts_for, key}, OfficialKeyRotated {key}, OfficialRoleChanged
// {role, acts_for}, OfficialRevoked {}; the envelope's actor says who did it
// (an admin, or the official rotating its own key) and its reason why. Keys
// are NATS nkey user keys ("U…": base32 of the ed25519 public key with a
// prefix byte and a CRC16), the seed "SU…" stays with the official. A key
// names one official forever. Roles are those of roles.go, admin included
// (registers officials, scores nothing). acts_for is the id the official
// acts as in events: its department or unit for those roles (default: its
// own id), or an account several officials share (the office "khb" also
// organising ballots as raters). Roster folds the events (pure); RosterAsOf
// gives the roster as it stood when an event was recorded: every roster
// event of a lower stream sequence. The first registration of a ledger is
// its first admin, signed by the key it registers (kaohe init).
//
// # Signatures
//
// Every command to a ledger with a roster is signed by the official who
// gives it, and every event it writes carries in "sig":
//
//	key      the official's nkey public user key, "U…"
//	command  the signed command: its canonical JSON, as a JSON string
//	sig      standard base64 (with padding) of the 64-byte ed25519 signature
//
// The signed bytes are exactly
//
//	"kaohe-command-v1\n" + command
//
// (SignaturePrefix, a domain-separation line, then the command text). To
// check an event with any ed25519 tool: decode the key (nkeys: base32, drop
// the prefix byte and the 2-byte CRC16: 32 bytes), decode sig from base64,
// verify over those bytes. The command is the submitted command
// (docs/commands.md) without its "signer" and "sig" fields, in
// CanonicalJSON form: object keys sorted by their bytes, no whitespace,
// numbers as written, strings escaped as Go's encoding/json without HTML
// escaping, optional fields that were not given left out. Because the
// signed text is stored, nobody needs to rebuild it to check a signature.
// The web pages (kaohe serve --http, docs/web.md) sign the same bytes in
// the browser with WebCrypto Ed25519; their login signs
// "kaohe-login-v1\n" + a server challenge instead, so no login signature
// is ever a command's.
//
// CheckSignature decides whether an event is validly signed: the signature
// verifies; the key was then the current key of an official not revoked
// (events signed with a since-rotated key before the rotation stay valid,
// anything signed with a revoked or replaced key after the fact does not);
// the event's actor is the one the roster gives that official; the signed
// command has the event's year and command id (or, for an appeal's
// correction, names it among data.corrections), the unit, cadre or office
// its data names is the event's aggregate, the event's reason and
// occurred_at are those the ledger writes for the command (its reason, or
// a decision's or a correction's own; its occurred_at, a correction's
// else the resolution's, and with none the event's recorded_at), and
// every data field the event shares with the command holds the same
// value, while a field the command leaves out is one the ledger derives
// (derived, with its value where the event and command say it) or empty,
// a DecideGrades' event records one of its decisions, and the official's
// role is one that may write the event's type (Writers: the roles the
// ledger's commands accept; a unit's signed decision of its own grade is
// not a decision), a unit's only on its own chain. replay.Verify adds
// that one command's events are stored together (one atomic append), so a
// signature copied onto a later event is named too. An event without sig is
// ErrUnsigned, acceptable only before the roster's first event (an older
// ledger); after it, it is a *SignatureError (the typed errors name the
// problem: unsigned, invalid, unknown-key, rotated-key, revoked, actor,
// command, role). Every event of an appeal resolution carries the whole
// resolution command; a reader checks a run of events with a Verifier (one
// per goroutine), which verifies the same key, signature and command bytes
// once and checks each further event of that command against its fields.
//
// # Reading
//
// A message that is not an envelope is delivered all the same, with
// Stored.DecodeErr set, never an error that stops the read: Check
// quarantines it and the readers go on past it.
//
// Decode reads an envelope in exactly Encode's layout (fields in order, no
// escapes, no white space: nearly every stored one) without reflection,
// and anything else through encoding/json, with the same result either
// way; Payload does the same for the most frequent payload types.
// Every read counts the messages it delivered (jetstream.Store.Delivered):
// a one-year query is seen to read that year's subjects only.
//
// Load reads one aggregate (or a wildcard) with batched direct gets: one
// request for up to a thousand events, no server-side consumer. Read and
// Watch stream through an ordered consumer (flow-controlled pulls of a
// thousand, each message decoded once) and delete it when done; Read
// stops at the last matching message present when it started.
//
// Every replica of a replicated stream answers direct gets, a follower
// from a copy that may be behind the leader's. So there the last message
// of a subject is asked of the leader (the message get API), a Load reads
// on until the leader's last match, and LastSeqs takes a follower's
// snapshot only when it is as of the leader's last sequence or later, else
// (and always as of a given sequence) asks the leader subject by subject:
// a read sees every event acknowledged before it, on one server or three.
//
// # Durability and cost
//
// The embedded server runs with SyncAlways: an event is fsynced before
// its ack, where the default file store would fsync every two minutes and
// could lose acknowledged events on power failure. Measured on the
// development VM (2 vCPU, BenchmarkAppend*): about 0.23 ms per single
// append with SyncAlways against 0.03-0.05 ms without; an atomic batch
// pays one fsync for all its events. Read streams about 170,000 events a
// second (BenchmarkRead), mostly JSON decoding.
package events
