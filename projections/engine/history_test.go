package engine

import "testing"

func TestMultiYearFlags(t *testing.T) {
	f := zhashuiFacts(t)
	// t3 is 较差 this year (composite 64.00) and was 较差 in 2021 → two years running (000.47)
	must(t, f.AddHistory("unit", "t3", Past{Year: 2021, Grade: "较差"}))
	// t2 was 较差 in 2020 but 良好 in 2021: no streak
	must(t, f.AddHistory("unit", "t2", Past{Year: 2021, Grade: "良好"}))
	must(t, f.AddHistory("unit", "t2", Past{Year: 2020, Grade: "较差"}))
	// c1 优秀 this year, 2021 and 2020 → merit (000.49); c3 优秀 in 2021 only
	must(t, f.AddHistory("cadre", "c1", Past{Year: 2021, Grade: "优秀"}))
	must(t, f.AddHistory("cadre", "c1", Past{Year: 2020, Grade: "优秀"}))
	must(t, f.AddHistory("cadre", "c3", Past{Year: 2021, Grade: "优秀"}))
	// team t2 一般 this year (no tally) and in 2021 → 000.48; s1 一般 this year, a gap in 2021
	must(t, f.AddHistory("team", "t2", Past{Year: 2021, Grade: "一般"}))
	must(t, f.AddHistory("team", "s1", Past{Year: 2020, Grade: "一般"}))
	if err := f.AddHistory("unit", "t1", Past{Year: 2022, Grade: "优秀"}); err == nil {
		t.Fatal("history of the current year accepted")
	}
	r := score(t, f)
	var got []string
	for _, fl := range r.Flags {
		switch fl.Flag {
		case "adjust_principal", "team_removal", "merit":
			got = append(got, fl.Flag+":"+fl.Subject)
		}
	}
	if want := []string{"adjust_principal:t3", "team_removal:t2", "merit:c1"}; !sameSet(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestLastPlaceStreak(t *testing.T) {
	f := hengyangFacts(t)
	// u20 is last this year (30.50); last in 2016 too → admonishment; not 3 years → no post change
	must(t, f.AddHistory("unit", "u20", Past{Year: 2016, Last: true}))
	// u22 不合格 this year and 2016 → post change
	must(t, f.AddHistory("unit", "u22", Past{Year: 2016, Grade: "不合格"}))
	r := score(t, f)
	var got []string
	for _, fl := range r.Flags {
		if fl.Flag == "admonish_last" || fl.Flag == "change_post" {
			got = append(got, fl.Flag+":"+fl.Subject)
		}
	}
	if want := []string{"admonish_last:u20", "change_post:u22"}; !sameSet(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
