package commands

// Handlers of bonuses, deductions, vetoes and conditions: on a unit, a
// cadre or (bonuses, deductions, conditions) a whole office.

import (
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
	if x.StaffOnly && x.Office == "" {
		return fail(EINVALID, "data.staff_only", "only with data.office")
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
	it, ok := d.sc.Item(x.Item)
	if !ok {
		return fail(ENOTFOUND, "data.item", "unknown bonus/deduction item %q in the %d scheme", x.Item, d.c.Year)
	}
	if bonus != (it.Sign > 0) {
		kind := "deduction"
		if it.Sign > 0 {
			kind = "bonus"
		}
		return fail(EINVALID, "data.item", "item %s is a %s item: use the matching command", it.Code, kind)
	}
	if !it.AppliesTo(target) {
		if x.Office != "" {
			return fail(EINVALID, "data.item", "item %s does not apply to a %s, and office %s hits %ss", it.Code, target, x.Office, target)
		}
		return fail(EINVALID, "data.item", "item %s does not apply to a %s", it.Code, target)
	}
	// An accepted adjustment is never without effect: an item the scheme
	// would not count for this subject (for each unit of an office) is
	// refused here, not dropped later.
	switch {
	case x.Office != "":
		for _, u := range members {
			if why := d.sc.ItemEffect(it, "unit", u); why != "" {
				return fail(EINVALID, "data.item", "office %s: %s", x.Office, why)
			}
		}
	case x.Cadre != "":
		if why := d.sc.ItemEffect(it, "cadre", d.st.cadre.Class); why != "" {
			return fail(EINVALID, "data.item", "%s", why)
		}
	default:
		if why := d.sc.ItemEffect(it, "unit", x.Unit); why != "" {
			return fail(EINVALID, "data.item", "%s", why)
		}
	}
	if x.Points != "" {
		if err := number("data.points", x.Points); err != nil {
			return err
		}
	}
	if x.Count < 0 {
		return fail(EINVALID, "data.count", "cannot be negative")
	}
	if err := it.Check(x.Level, string(x.Points), x.Count); err != nil {
		return &Error{Code: EINVALID, Field: "data", Msg: err.Error()}
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
	if units, ok := d.sc.Office(id, staffOnly); ok {
		return "unit", units, nil
	}
	if _, ok := d.sc.Unit(id); ok {
		if staffOnly {
			return "", nil, fail(EINVALID, "data.staff_only", "office %s is a unit: its registered cadres have no supervising leader to leave out", id)
		}
		return "cadre", nil, nil
	}
	return "", nil, fail(ENOTFOUND, "data.office", "unknown office %q in the %d scheme: name an office of the scheme's units (their office) or a unit (its registered cadres)", id, d.c.Year)
}
