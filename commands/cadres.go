package commands

// Handlers of the cadre roster of a year: registration, component scores,
// status.

import (
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
)

func (d *decision) registerCadre(x *RegisterCadre) error {
	if d.st.cadre != nil {
		return fail(EINVALID, "data.cadre", "cadre %s is already registered for %d", x.Cadre, d.c.Year)
	}
	if strings.TrimSpace(x.Name) == "" {
		return fail(EINVALID, "data.name", "required")
	}
	if _, err := d.unit(x.Unit); err != nil {
		return err
	}
	if !d.sc.CadreClass(x.Class) {
		return fail(ENOTFOUND, "data.class", "unknown cadre class %q in the %d scheme", x.Class, d.c.Year)
	}
	return d.emit(&events.CadreRegistered{Name: x.Name, Unit: x.Unit, Class: x.Class, Post: x.Post})
}

func (d *decision) cadreScore(x *RecordCadreScore) error {
	if err := d.cadre(x.Cadre); err != nil {
		return err
	}
	if err := ruleBroken(rules.Component(d.sc, d.st.cadre.Class, x.Component, x.Value)); err != nil {
		return err
	}
	if err := d.notRecorded("data.component", fmt.Sprintf("component %s of cadre %s", x.Component, x.Cadre), true, recordKey("component", x.Component)); err != nil {
		return err
	}
	return d.emit(&events.CadreScoreRecorded{Component: x.Component, Value: x.Value, Note: x.Note})
}

func (d *decision) cadreStatus(x *SetCadreStatus) error {
	if err := d.needReason("a roster status"); err != nil {
		return err
	}
	if err := d.cadre(x.Cadre); err != nil {
		return err
	}
	switch x.Status {
	case events.StatusActive, events.StatusLongLeave, events.StatusInvestigation:
	default:
		return fail(EINVALID, "data.status", "unknown status %q (active, long_leave, under_investigation)", x.Status)
	}
	return d.emit(&events.CadreStatusSet{Status: x.Status})
}
