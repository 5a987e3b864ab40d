package events

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// SubjectPrefix is the first token of every kaohe subject.
const SubjectPrefix = "kaohe"

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidID reports whether id is a subject-safe token ([A-Za-z0-9_-]+).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Aggregate names. A unit or cadre aggregate is "unit.<id>" / "cadre.<id>",
// an office "office.<id>".
const (
	AggScheme = "scheme"
	AggYear   = "year"
)

// UnitAggregate is the aggregate name of an assessed unit.
func UnitAggregate(id string) string { return "unit." + id }

// CadreAggregate is the aggregate name of a cadre (leader).
func CadreAggregate(id string) string { return "cadre." + id }

// OfficeAggregate is the aggregate name of an office (办站所, 002) or of a
// unit's roster of cadres: the items and conditions that hit everyone in it
// (expanded by the scoring engine from the year's roster).
func OfficeAggregate(id string) string { return "office." + id }

// Subject is the stream subject of an aggregate in a year: kaohe.<year>.<aggregate>.
// Year OrgYear (0) gives the organisation's subjects: kaohe.org.<aggregate>.
func Subject(year int, aggregate string) string {
	if year == OrgYear {
		return SubjectPrefix + "." + OrgToken + "." + aggregate
	}
	return SubjectPrefix + "." + strconv.Itoa(year) + "." + aggregate
}

// YearSubjects is the wildcard covering every aggregate of a year.
func YearSubjects(year int) string { return SubjectPrefix + "." + strconv.Itoa(year) + ".>" }

// AllSubjects is the wildcard covering the whole ledger.
const AllSubjects = SubjectPrefix + ".>"

// ParseSubject splits a subject into its year and aggregate; the
// organisation's subjects (kaohe.org.…) give year OrgYear.
func ParseSubject(subject string) (year int, aggregate string, err error) {
	parts := strings.SplitN(subject, ".", 3)
	if len(parts) != 3 || parts[0] != SubjectPrefix {
		return 0, "", fmt.Errorf("subject %q is not a kaohe subject", subject)
	}
	if parts[1] == OrgToken {
		return OrgYear, parts[2], nil
	}
	year, err = strconv.Atoi(parts[1])
	if err == nil && year == OrgYear {
		err = fmt.Errorf("year 0 is written %q", OrgToken)
	}
	if err != nil {
		return 0, "", fmt.Errorf("subject %q: year %q is not a number", subject, parts[1])
	}
	return year, parts[2], nil
}
