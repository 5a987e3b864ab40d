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

-- events is the index of every applied event, with its stored bytes so a
-- year's events up to any point can be read without the stream.
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
	raw            BLOB NOT NULL        -- the payload exactly as stored
);

-- audit has one row per event: who changed what, before and after.
CREATE TABLE audit (
	seq          INTEGER PRIMARY KEY,
	event_id     TEXT NOT NULL,
	year         INTEGER NOT NULL,
	type         TEXT NOT NULL,
	recorded_ns  INTEGER NOT NULL,
	occurred_ns  INTEGER NOT NULL,
	actor_id     TEXT NOT NULL,
	actor_role   TEXT NOT NULL,
	kind         TEXT NOT NULL, -- unit | team | cadre | year | scheme
	subject      TEXT NOT NULL, -- unit or cadre id ('' for year and scheme events)
	indicator    TEXT NOT NULL, -- indicator, item, area, condition, group, component …
	part         TEXT NOT NULL,
	old_value    TEXT NOT NULL,
	new_value    TEXT NOT NULL,
	reason       TEXT NOT NULL,
	refers       TEXT NOT NULL, -- the event this one supersedes, lifts or resolves
	command_id   TEXT NOT NULL,
	causation_id TEXT NOT NULL,
	detail       TEXT NOT NULL
);

-- facts is the current value of every fact as entered, with the event
-- that set it. fact: part | target | score | grade | condition | status |
-- social | votes | veto | unit | registered.
CREATE TABLE facts (
	year      INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	subject   TEXT NOT NULL,
	fact      TEXT NOT NULL,
	indicator TEXT NOT NULL,
	part      TEXT NOT NULL,
	value     TEXT NOT NULL,
	event_id  TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	PRIMARY KEY (year, kind, subject, fact, indicator, part)
) WITHOUT ROWID;

-- entries maps an event that set a value (a score entry, a correction, a
-- veto, an appeal) to what it set, so a later event that refers to it by
-- id (a correction of it, a lift, a resolution) knows the old value.
CREATE TABLE entries (
	event_id  TEXT PRIMARY KEY,
	year      INTEGER NOT NULL,
	type      TEXT NOT NULL,
	kind      TEXT NOT NULL,
	subject   TEXT NOT NULL,
	fact      TEXT NOT NULL,
	indicator TEXT NOT NULL,
	part      TEXT NOT NULL,
	value     TEXT NOT NULL
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
