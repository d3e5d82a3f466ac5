// Command gen writes the demo organisation's sample survey,
// examples/forms/defector-survey.xlsx: a bilingual (Korean and English)
// XLSForm for a survey of North Korean defectors living in South Korea.
// Run it from the repository's root after changing the form:
//
//	go run ./examples/forms/gen
//
// A test checks that the committed workbook is what this program writes.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/xuri/excelize/v2"
)

// The form's sheets, row by row. Survey columns are in surveyHeader's
// order; a row may stop early.
var surveyHeader = []string{
	"type", "name", "label::Korean (ko)", "label::English (en)", "hint::Korean (ko)", "hint::English (en)",
	"required", "relevant", "constraint", "constraint_message::Korean (ko)", "constraint_message::English (en)",
	"choice_filter", "appearance", "sensitive", "identifier",
}

// q is a survey row by column name.
type q map[string]string

const consented = "${consent_given} = 'yes'"

var surveyRows = []q{
	{"type": "today", "name": "today"},
	{"type": "note", "name": "intro",
		"label::Korean (ko)":  "이 설문은 북한에서의 생활과 떠나온 경험에 관한 것입니다. 이름은 묻지 않으며, 답하고 싶지 않은 질문은 건너뛰셔도 되고 언제든지 그만두실 수 있습니다.",
		"label::English (en)": "This survey is about life in North Korea and the experience of leaving. We do not ask for your name; you may skip any question you prefer not to answer, and you may stop at any time."},
	{"type": "select_one yes_no", "name": "consent_given", "required": "yes",
		"label::Korean (ko)":  "설문에 참여하는 데 동의하십니까?",
		"label::English (en)": "Do you agree to take part in this survey?"},

	{"type": "begin group", "name": "about_you", "relevant": consented,
		"label::Korean (ko)": "본인에 대하여", "label::English (en)": "About you"},
	{"type": "select_one sex", "name": "sex", "required": "yes", "identifier": "sex",
		"label::Korean (ko)": "성별", "label::English (en)": "Sex"},
	{"type": "integer", "name": "age", "required": "yes", "identifier": "age",
		"label::Korean (ko)": "만 나이", "label::English (en)": "Age, in full years",
		"constraint":                       ". >= 18 and . <= 100",
		"constraint_message::Korean (ko)":  "18세에서 100세 사이의 나이를 입력해 주십시오.",
		"constraint_message::English (en)": "Please enter an age between 18 and 100."},
	{"type": "select_one province", "name": "home_province", "identifier": "place", "appearance": "minimal",
		"label::Korean (ko)":  "북한에서 마지막으로 살았던 도(직할시)",
		"label::English (en)": "Province (or city) where you last lived in North Korea"},
	{"type": "select_one county", "name": "home_county", "identifier": "place", "appearance": "minimal",
		"relevant": "${home_province} != ''", "choice_filter": "province = ${home_province}",
		"label::Korean (ko)": "시·군", "label::English (en)": "City or county"},
	{"type": "integer", "name": "year_left", "identifier": "year",
		"label::Korean (ko)": "북한을 떠난 해", "label::English (en)": "Year you left North Korea",
		"hint::Korean (ko)": "예: 2015", "hint::English (en)": "For example 2015",
		"constraint":                       ". >= 1950 and . <= 2026",
		"constraint_message::Korean (ko)":  "1950년에서 2026년 사이의 연도를 입력해 주십시오.",
		"constraint_message::English (en)": "Please enter a year between 1950 and 2026."},
	{"type": "date", "name": "arrival_date",
		"label::Korean (ko)":               "한국에 도착한 날짜",
		"label::English (en)":              "Date you arrived in South Korea",
		"hint::Korean (ko)":                "정확하지 않아도 괜찮습니다. 그 달의 1일로 적으셔도 됩니다.",
		"hint::English (en)":               "An approximate date is fine: the first of the month will do.",
		"constraint":                       ". <= today()",
		"constraint_message::Korean (ko)":  "오늘 이후의 날짜는 입력할 수 없습니다.",
		"constraint_message::English (en)": "The date cannot be after today."},
	{"type": "end group"},

	{"type": "begin group", "name": "leaving", "relevant": consented,
		"label::Korean (ko)": "떠나온 경험", "label::English (en)": "Leaving North Korea"},
	{"type": "select_multiple reasons or_other", "name": "reasons",
		"label::Korean (ko)":  "북한을 떠난 이유는 무엇입니까?",
		"label::English (en)": "Why did you leave North Korea?",
		"hint::Korean (ko)":   "해당하는 것을 모두 고르십시오.",
		"hint::English (en)":  "Choose all that apply."},
	{"type": "select_one yes_no_pns", "name": "detained",
		"label::Korean (ko)":  "북한이나 제3국에서 구금된 적이 있습니까?",
		"label::English (en)": "Were you ever detained, in North Korea or in another country?"},
	{"type": "begin group", "name": "detention", "relevant": "${detained} = 'yes'",
		"label::Korean (ko)": "구금 경험", "label::English (en)": "Detention"},
	{"type": "select_one country", "name": "detention_country",
		"label::Korean (ko)": "어느 나라에서 구금되었습니까?", "label::English (en)": "In which country were you detained?"},
	{"type": "select_multiple facility", "name": "facility",
		"label::Korean (ko)":  "어떤 시설에 구금되었습니까?",
		"label::English (en)": "What kind of facility were you held in?",
		"hint::Korean (ko)":   "해당하는 것을 모두 고르십시오.",
		"hint::English (en)":  "Choose all that apply."},
	{"type": "select_one yes_no_pns", "name": "ill_treatment", "sensitive": "yes",
		"label::Korean (ko)":  "구금되어 있는 동안 구타나 가혹행위를 당하셨습니까?",
		"label::English (en)": "While detained, were you beaten or otherwise ill-treated?",
		"hint::Korean (ko)":   "답하고 싶지 않으시면 '답하고 싶지 않음'을 고르십시오.",
		"hint::English (en)":  "If you prefer not to answer, choose 'Prefer not to say'."},
	{"type": "end group"},
	{"type": "end group"},

	{"type": "begin group", "name": "living", "relevant": consented, "appearance": "field-list",
		"label::Korean (ko)": "북한에서의 생활", "label::English (en)": "Life in North Korea"},
	{"type": "select_one difficulty", "name": "food_access", "appearance": "likert",
		"label::Korean (ko)":  "북한에 계실 때 충분한 식량을 구하기가 얼마나 어려웠습니까?",
		"label::English (en)": "When you lived in North Korea, how hard was it to get enough food?"},
	{"type": "select_one difficulty", "name": "health_access", "appearance": "likert",
		"label::Korean (ko)":  "아플 때 치료나 약을 구하기가 얼마나 어려웠습니까?",
		"label::English (en)": "When you were ill, how hard was it to get medical care or medicine?"},
	{"type": "end group"},

	{"type": "select_one yes_no_pns", "name": "has_family", "relevant": consented,
		"label::Korean (ko)":  "북한에 남아 있는 가족이 있습니까?",
		"label::English (en)": "Do you have family members still in North Korea?"},
	{"type": "begin repeat", "name": "family", "relevant": "${has_family} = 'yes'",
		"label::Korean (ko)":  "북한에 남아 있는 가족",
		"label::English (en)": "Family member still in North Korea",
		"hint::Korean (ko)":   "이름은 적지 마십시오. 가족 한 사람마다 하나씩 추가하십시오.",
		"hint::English (en)":  "Do not write names. Add one for each family member."},
	{"type": "select_one relationship", "name": "relationship",
		"label::Korean (ko)": "본인과의 관계", "label::English (en)": "Their relationship to you"},
	{"type": "select_one contact", "name": "contact",
		"label::Korean (ko)": "얼마나 자주 연락하십니까?", "label::English (en)": "How often are you in contact?"},
	{"type": "end repeat"},

	{"type": "text", "name": "comments", "relevant": consented, "appearance": "multiline",
		"label::Korean (ko)":  "더 하고 싶은 말씀이 있으십니까?",
		"label::English (en)": "Is there anything else you would like to add?",
		"hint::Korean (ko)":   "사람과 장소의 이름은 가명으로 바뀐 뒤에 저장됩니다.",
		"hint::English (en)":  "Names of people and places are replaced with pseudonyms before anything is kept."},
	{"type": "note", "name": "thanks",
		"label::Korean (ko)":  "참여해 주셔서 감사합니다.",
		"label::English (en)": "Thank you for taking part."},
}

var choicesHeader = []string{"list_name", "name", "label::Korean (ko)", "label::English (en)", "province"}

// provinces are North Korea's provinces and directly governed cities, as
// the defectors' own documents name them.
var provinces = [][3]string{
	{"hamgyong_bukto", "함경북도", "Hamgyong-bukto (North Hamgyong)"},
	{"hamgyong_namdo", "함경남도", "Hamgyong-namdo (South Hamgyong)"},
	{"ryanggang", "량강도", "Ryanggang"},
	{"jagang", "자강도", "Jagang"},
	{"pyongan_bukto", "평안북도", "Pyongan-bukto (North Pyongan)"},
	{"pyongan_namdo", "평안남도", "Pyongan-namdo (South Pyongan)"},
	{"hwanghae_bukto", "황해북도", "Hwanghae-bukto (North Hwanghae)"},
	{"hwanghae_namdo", "황해남도", "Hwanghae-namdo (South Hwanghae)"},
	{"kangwon", "강원도", "Kangwon"},
	{"pyongyang", "평양시", "Pyongyang"},
	{"rason", "라선시", "Rason"},
}

// counties are a few cities and counties, each with its province; every
// province also has "elsewhere".
var counties = [][4]string{
	{"musan", "무산군", "Musan", "hamgyong_bukto"},
	{"hoeryong", "회령시", "Hoeryong", "hamgyong_bukto"},
	{"onsong", "온성군", "Onsong", "hamgyong_bukto"},
	{"chongjin", "청진시", "Chongjin", "hamgyong_bukto"},
	{"hamhung", "함흥시", "Hamhung", "hamgyong_namdo"},
	{"hyesan", "혜산시", "Hyesan", "ryanggang"},
	{"samjiyon", "삼지연시", "Samjiyon", "ryanggang"},
	{"kanggye", "강계시", "Kanggye", "jagang"},
	{"sinuiju", "신의주시", "Sinuiju", "pyongan_bukto"},
	{"pyongsong", "평성시", "Pyongsong", "pyongan_namdo"},
	{"sariwon", "사리원시", "Sariwon", "hwanghae_bukto"},
	{"haeju", "해주시", "Haeju", "hwanghae_namdo"},
	{"wonsan", "원산시", "Wonsan", "kangwon"},
}

// lists are the other choice lists: name, Korean, English.
var lists = []struct {
	name    string
	choices [][3]string
}{
	{"yes_no", [][3]string{{"yes", "예", "Yes"}, {"no", "아니요", "No"}}},
	{"yes_no_pns", [][3]string{{"yes", "예", "Yes"}, {"no", "아니요", "No"}, {"pns", "답하고 싶지 않음", "Prefer not to say"}}},
	{"sex", [][3]string{{"female", "여성", "Female"}, {"male", "남성", "Male"}, {"pns", "답하고 싶지 않음", "Prefer not to say"}}},
	{"reasons", [][3]string{
		{"food", "식량난", "Lack of food"},
		{"economic", "경제적 어려움", "Economic hardship"},
		{"persecution", "정치적 탄압이나 감시", "Political persecution or surveillance"},
		{"family", "가족과 함께 살기 위해", "To be with family"},
		{"freedom", "자유를 찾아서", "To live in freedom"},
		{"education", "자녀 교육", "Children's education"},
		{"pns", "답하고 싶지 않음", "Prefer not to say"},
	}},
	{"country", [][3]string{{"north_korea", "북한", "North Korea"}, {"china", "중국", "China"}, {"elsewhere", "다른 나라", "Another country"}}},
	{"facility", [][3]string{
		{"police", "안전부(보안서) 구류장", "Police holding cell"},
		{"security", "보위부 구류장", "State security holding cell"},
		{"holding_center", "집결소", "Holding centre (jipkyulso)"},
		{"labor_camp", "노동단련대", "Labour training camp"},
		{"prison", "교화소", "Prison (kyohwaso)"},
		{"political_camp", "관리소", "Political prison camp (kwanliso)"},
		{"foreign", "외국의 구금 시설", "A detention facility abroad"},
		{"pns", "답하고 싶지 않음", "Prefer not to say"},
	}},
	{"difficulty", [][3]string{
		{"very_hard", "매우 어려웠다", "Very hard"},
		{"hard", "어려웠다", "Hard"},
		{"neither", "보통이었다", "Neither hard nor easy"},
		{"easy", "쉬웠다", "Easy"},
		{"very_easy", "매우 쉬웠다", "Very easy"},
	}},
	{"relationship", [][3]string{
		{"parent", "부모", "Parent"},
		{"sibling", "형제자매", "Brother or sister"},
		{"spouse", "배우자", "Spouse"},
		{"child", "자녀", "Child"},
		{"relative", "다른 친척", "Other relative"},
	}},
	{"contact", [][3]string{
		{"monthly", "한 달에 한 번 이상", "At least once a month"},
		{"yearly", "1년에 몇 번", "A few times a year"},
		{"rarely", "1년에 한 번도 안 됨", "Less than once a year"},
		{"never", "연락이 끊김", "No contact"},
	}},
}

var settings = [][]string{
	{"form_title::Korean (ko)", "form_title::English (en)", "form_id", "version", "default_language", "min_cell", "min_cell_sensitive"},
	{"북한이탈주민 생활 경험 설문", "Survey of North Korean defectors' experiences", "defector-survey", "2026120601", "ko", "5", "10"},
}

// build returns the workbook.
func build() ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", "survey"); err != nil {
		return nil, err
	}
	for _, s := range []string{"choices", "settings"} {
		if _, err := x.NewSheet(s); err != nil {
			return nil, err
		}
	}
	var rows [][]string
	rows = append(rows, surveyHeader)
	for _, r := range surveyRows {
		row := make([]string, len(surveyHeader))
		for i, h := range surveyHeader {
			row[i] = r[h]
		}
		rows = append(rows, row)
	}
	if err := writeSheet(x, "survey", rows); err != nil {
		return nil, err
	}
	rows = [][]string{choicesHeader}
	for _, l := range lists[:3] {
		for _, c := range l.choices {
			rows = append(rows, []string{l.name, c[0], c[1], c[2]})
		}
	}
	for _, p := range provinces {
		rows = append(rows, []string{"province", p[0], p[1], p[2]})
	}
	for _, c := range counties {
		rows = append(rows, []string{"county", c[0], c[1], c[2], c[3]})
	}
	for _, p := range provinces {
		rows = append(rows, []string{"county", "elsewhere_" + p[0], p[1] + "의 다른 지역", "Elsewhere in " + p[2], p[0]})
	}
	for _, l := range lists[3:] {
		for _, c := range l.choices {
			rows = append(rows, []string{l.name, c[0], c[1], c[2]})
		}
	}
	if err := writeSheet(x, "choices", rows); err != nil {
		return nil, err
	}
	if err := writeSheet(x, "settings", settings); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeSheet writes rows as text cells (a version typed as a number would
// lose its meaning), with a bold, frozen header row.
func writeSheet(x *excelize.File, sheet string, rows [][]string) error {
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if err := x.SetSheetRow(sheet, cell, &cells); err != nil {
			return err
		}
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := x.SetRowStyle(sheet, 1, 1, bold); err != nil {
		return err
	}
	if err := x.SetColWidth(sheet, "A", "Z", 18); err != nil {
		return err
	}
	return x.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

func main() {
	out := flag.String("out", "examples/forms/defector-survey.xlsx", "the workbook to write")
	flag.Parse()
	b, err := build()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: failed to build the form: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}
