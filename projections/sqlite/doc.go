// Package sqlite keeps kaohe's read models (投影) in one SQLite file: an
// index of every event, the current facts per unit, indicator and part, an
// audit table (who changed what, before and after), and each year's results
// — the canonical results JSON and the unit, team and cadre tables —
// scored by projections/engine.
//
// The file is disposable: it is derived from the event stream only, and
// Rebuild recreates it — a full rebuild in a new file, built without a
// journal and renamed over the old one when complete, so a rebuild that
// stops leaves the old file as it was. CatchUp applies the events after the checkpoint in
// transactions of a thousand; each transaction writes its rows and the new
// checkpoint together, so a crash at any point resumes without applying an
// event twice or skipping one. Years whose events changed are marked dirty
// in the same transaction and scored once when the catch-up ends.
//
// Time travel reads one year's events up to a sequence or time from the
// events index (which keeps each event's stored bytes) and folds them: the
// cost grows with the year, not with the stream. docs/projections.md
// explains the design and the tables.
package sqlite
