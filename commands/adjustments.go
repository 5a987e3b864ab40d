package commands

// Handlers of bonuses, deductions, vetoes and conditions: on a unit, a
// cadre or (bonuses, deductions, conditions) a whole office.

import (
	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
)

func (d *decision) bonusOrDeduction(x *BonusOrDeduction) error {
	bonus := d.c.Type == "GrantBonus"
	what := "a deduction"
	if bonus {
		what = "a bonus"
	}
	if err := d.needReason(what); err != nil {
		return err
	}
	if err := ruleBroken(rules.StaffOnly(x.StaffOnly, x.Office)); err != nil {
		return err
	}
	target := "unit"
	var members []string // an office's units
	switch {
	case x.Office != "":
		kind, units, err := d.office(x.Office, x.StaffOnly)
		if err != nil {
			return err
		}
		target, members = kind, units
	case x.Cadre != "":
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
		target = "cadre"
	default:
		if _, err := d.unit(x.Unit); err != nil {
			return err
		}
	}
	it, b := rules.Item(d.sc, x.Item, bonus, target, x.Office)
	if b != nil {
		return ruleBroken(b)
	}
	// An accepted adjustment is never without effect: an item the scheme
	// would not count for this subject (for each unit of an office) is
	// refused here, not dropped later.
	switch {
	case x.Office != "":
		b = rules.CountsForOffice(d.sc, it, x.Office, members)
	case x.Cadre != "":
		b = rules.Counts(d.sc, it, "cadre", d.st.cadre.Class)
	default:
		b = rules.Counts(d.sc, it, "unit", x.Unit)
	}
	if b == nil {
		b = rules.ItemValues(it, &events.BonusGranted{Level: x.Level, Points: x.Points, Count: x.Count})
	}
	if b != nil {
		return ruleBroken(b)
	}
	p := events.BonusGranted{Item: it.Code, Level: x.Level, Matter: x.Matter, Points: x.Points, Count: x.Count, StaffOnly: x.StaffOnly}
	if bonus {
		return d.emit(&p)
	}
	dd := events.DeductionApplied(p)
	return d.emit(&dd)
}

func (d *decision) imposeVeto(x *ImposeVeto) error {
	if err := d.needReason("a veto (一票否决)"); err != nil {
		return err
	}
	if x.Cadre != "" {
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
	} else if _, err := d.unit(x.Unit); err != nil {
		return err
	}
	if !d.sc.VetoArea(x.Area) {
		return fail(ENOTFOUND, "data.area", "%q is not a veto area of the %d scheme", x.Area, d.c.Year)
	}
	return d.emit(&events.VetoImposed{Area: x.Area})
}

func (d *decision) liftVeto(x *LiftVeto) error {
	if err := d.needReason("lifting a veto"); err != nil {
		return err
	}
	x.Veto = d.st.ref(x.Veto)
	active, ok := d.st.vetoes.get(x.Veto)
	if !ok {
		return fail(ENOTFOUND, "data.veto", "no veto %s on %s", x.Veto, d.aggregate)
	}
	if !active {
		return fail(EINVALID, "data.veto", "veto %s was already lifted", x.Veto)
	}
	return d.emit(&events.VetoLifted{Veto: x.Veto})
}

func (d *decision) condition(x *Condition) error {
	if err := d.needReason("a grade condition"); err != nil {
		return err
	}
	if x.StaffOnly && x.Office == "" {
		return fail(EINVALID, "data.staff_only", "only with data.office")
	}
	switch {
	case x.Office != "":
		if _, _, err := d.office(x.Office, x.StaffOnly); err != nil {
			return err
		}
	case x.Cadre != "":
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
	default:
		if _, err := d.unit(x.Unit); err != nil {
			return err
		}
	}
	if !d.sc.Condition(x.Condition) {
		return fail(ENOTFOUND, "data.condition", "%q is not a condition of the %d scheme", x.Condition, d.c.Year)
	}
	if d.c.Type == "ClearCondition" {
		if flagged, _ := d.st.conditions.get(x.Condition); !flagged {
			return fail(EINVALID, "data.condition", "%s is not flagged on %s", x.Condition, d.aggregate)
		}
		return d.emit(&events.ConditionCleared{Condition: x.Condition})
	}
	return d.emit(&events.ConditionFlagged{Condition: x.Condition, Note: x.Note, StaffOnly: x.StaffOnly})
}

// office resolves an office-wide target: an office of the scheme's units
// (kind "unit": its members, and unless staffOnly the leaders supervising
// it), or else a unit of the scheme (kind "cadre": the cadres registered with
// it when the event occurs, expanded by the engine). staff_only means
// something only for the first.
func (d *decision) office(id string, staffOnly bool) (kind string, units []string, err error) {
	kind, units, b := rules.Office(d.sc, id, staffOnly)
	return kind, units, ruleBroken(b)
}
