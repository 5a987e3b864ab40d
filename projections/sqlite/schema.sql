-- kaohe projections: read models derived from the event stream.
-- The file is disposable: every row here can be rebuilt from the stream.
-- PRAGMA user_version holds the schema version (schemaVersion in db.go);
-- a file of another version is dropped and rebuilt, never migrated.

-- meta holds the checkpoint: key 'last_seq' = the last stream sequence
-- applied, written in the same transaction as the rows it produced.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- events has one row per applied event: the events index (who, when,
-- what, the command and causation), the audit columns (unit or cadre,
-- indicator, old value → new value, what the event refers to) and the
-- event's stored bytes, so a year's events up to any point can be read
-- without the stream.
CREATE TABLE events (
	seq            INTEGER PRIMARY KEY, -- stream sequence
	id             TEXT NOT NULL,
	type           TEXT NOT NULL,
	v              INTEGER NOT NULL,
	year           INTEGER NOT NULL,
	aggregate      TEXT NOT NULL,
	actor_id       TEXT NOT NULL,
	actor_role     TEXT NOT NULL,
	recorded_ns    INTEGER NOT NULL,    -- unix nanoseconds
	occurred_ns    INTEGER NOT NULL,
	command_id     TEXT NOT NULL,
	causation_id   TEXT NOT NULL,
	correlation_id TEXT NOT NULL,
	reason         TEXT NOT NULL,
	kind           TEXT NOT NULL, -- unit | team | cadre | year | scheme
	subject        TEXT NOT NULL, -- unit or cadre id ('' for year and scheme events)
	indicator      TEXT NOT NULL, -- indicator, item, area, condition, group …
	part           TEXT NOT NULL, -- part, component, level …
	old_value      TEXT NOT NULL,
	new_value      TEXT NOT NULL,
	refers         TEXT NOT NULL, -- the event this one corrects, lifts or resolves
	detail         TEXT NOT NULL,
	data_at        INTEGER NOT NULL, -- offset of the payload in raw (-1: decode raw)
	raw            BLOB NOT NULL     -- the message exactly as stored
);

-- The secondary indexes (events_year, events_id, events_subject,
-- events_actor) are defined in db.go (indexes): a full rebuild creates
-- them once its rows are written.

-- audit is the inspector's view of events.
CREATE VIEW audit AS
	SELECT seq, id AS event_id, year, type, recorded_ns, occurred_ns, actor_id, actor_role,
		kind, subject, indicator, part, old_value, new_value, reason, refers,
		command_id, causation_id, detail
	FROM events;

-- facts is the current value of every fact as entered, with the event
-- that set it (seq: its row in events). fact: part | target | score |
-- grade | condition | status | social | votes | veto | appeal | unit |
-- registered (apply.go).
CREATE TABLE facts (
	year      INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	subject   TEXT NOT NULL,
	fact      TEXT NOT NULL,
	indicator TEXT NOT NULL,
	part      TEXT NOT NULL,
	value     TEXT NOT NULL,
	seq       INTEGER NOT NULL, -- the event that set it (events.seq)
	PRIMARY KEY (year, kind, subject, fact, indicator, part)
) WITHOUT ROWID;

-- schemes keeps every SchemeDefined; the latest of a year is in force.
CREATE TABLE schemes (
	year     INTEGER NOT NULL,
	seq      INTEGER NOT NULL,
	event_id TEXT NOT NULL,
	digest   TEXT NOT NULL,
	source   TEXT NOT NULL,
	PRIMARY KEY (year, seq)
) WITHOUT ROWID;

-- dirty_years lists years whose events changed since their results were
-- computed; cleared in the transaction that stores the new results.
CREATE TABLE dirty_years (
	year INTEGER PRIMARY KEY
);

-- year_results is the canonical results JSON of each year (engine.Compute
-- over the year's events), or the error that stopped scoring it.
CREATE TABLE year_results (
	year     INTEGER PRIMARY KEY,
	upto_seq INTEGER NOT NULL, -- the year's last event scored
	events   INTEGER NOT NULL,
	digest   TEXT NOT NULL,
	json     BLOB,
	error    TEXT NOT NULL
);

CREATE TABLE unit_results (
	year      INTEGER NOT NULL,
	unit      TEXT NOT NULL,
	name      TEXT NOT NULL,
	category  TEXT NOT NULL,
	scored    INTEGER NOT NULL,
	composite TEXT NOT NULL,
	rank_no   INTEGER NOT NULL,
	of_n      INTEGER NOT NULL,
	last      INTEGER NOT NULL,
	proposed  TEXT NOT NULL,
	decided   TEXT NOT NULL,
	final     TEXT NOT NULL,
	override  INTEGER NOT NULL,
	PRIMARY KEY (year, unit)
) WITHOUT ROWID;

CREATE TABLE team_results (
	year     INTEGER NOT NULL,
	unit     TEXT NOT NULL,
	name     TEXT NOT NULL,
	category TEXT NOT NULL,
	proposed TEXT NOT NULL,
	decided  TEXT NOT NULL,
	final    TEXT NOT NULL,
	override INTEGER NOT NULL,
	PRIMARY KEY (year, unit)
) WITHOUT ROWID;

CREATE TABLE cadre_results (
	year      INTEGER NOT NULL,
	cadre     TEXT NOT NULL,
	name      TEXT NOT NULL,
	unit      TEXT NOT NULL,
	class     TEXT NOT NULL,
	status    TEXT NOT NULL,
	composite TEXT NOT NULL,
	rank_no   INTEGER NOT NULL,
	of_n      INTEGER NOT NULL,
	proposed  TEXT NOT NULL,
	decided   TEXT NOT NULL,
	final     TEXT NOT NULL,
	override  INTEGER NOT NULL,
	PRIMARY KEY (year, cadre)
) WITHOUT ROWID;

-- quarantine lists the stream's messages that were not accepted into the
-- ledger (events.Admit): junk, or an event that does not belong on its
-- subject or does not link to its aggregate's last accepted event. They
-- have no events row: scoring never sees them, and each year's results
-- carry a warning per quarantined message of the year.
CREATE TABLE quarantine (
	seq      INTEGER PRIMARY KEY, -- stream sequence
	year     INTEGER NOT NULL,    -- the subject's year (0 when it has none)
	subject  TEXT NOT NULL,
	reason   TEXT NOT NULL,       -- events.Reason*
	detail   TEXT NOT NULL,
	raw_hash TEXT NOT NULL,       -- hex SHA-256 of the stored bytes
	event_id TEXT NOT NULL        -- the envelope's id, '' when there is none
);

-- chain_heads is each aggregate's last accepted event: the prev the next
-- event of the aggregate must carry (events.Head).
CREATE TABLE chain_heads (
	subject TEXT PRIMARY KEY,
	year    INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	hash    TEXT NOT NULL
) WITHOUT ROWID;

-- signed_runs is each signed command's accepted events on their chain:
-- the stream sequence of the latest and how many. A signed event of a
-- command whose events on the chain already ended is its signature
-- replayed (events.CheckRun; quarantine.go).
CREATE TABLE signed_runs (
	subject    TEXT NOT NULL, -- the chain (stream subject)
	command_id TEXT NOT NULL,
	year       INTEGER NOT NULL,
	seq        INTEGER NOT NULL,
	count      INTEGER NOT NULL,
	PRIMARY KEY (subject, command_id)
) WITHOUT ROWID;

-- heads is what the projections have seen of the stream: each subject's
-- last message applied, quarantined or not (its stream sequence and hash),
-- written in the transaction that moves the checkpoint. A stream behind it is an alarm
-- (heads.go): events were lost.
CREATE TABLE heads (
	subject TEXT PRIMARY KEY,
	seq     INTEGER NOT NULL,
	hash    TEXT NOT NULL
) WITHOUT ROWID;
