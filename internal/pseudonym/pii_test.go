package pseudonym

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"strconv"
	"strings"
	"testing"
)

// piiApply replaces each span of text with its replacement.
func piiApply(text string, spans []piiSpan) string {
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.WriteString(text[last:s.Start])
		b.WriteString(s.Replacement)
		last = s.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// piiCheckSpans reports the first way spans break the findPII contract:
// in range, in order, not overlapping, on rune boundaries, a known kind, a
// replacement. Rune boundaries are where decoding text from its start puts
// them, an invalid byte counting as one rune.
func piiCheckSpans(t testing.TB, text string, spans []piiSpan) {
	t.Helper()
	boundary := map[int]bool{len(text): true}
	for i := range text {
		boundary[i] = true
	}
	last := 0
	for k, s := range spans {
		switch {
		case s.Start < last || s.End <= s.Start || s.End > len(text):
			t.Fatalf("findPII(%q): span %d [%d,%d) out of order, empty or out of range (previous end %d)", text, k, s.Start, s.End, last)
		case !boundary[s.Start] || !boundary[s.End]:
			t.Fatalf("findPII(%q): span %d [%d,%d) not on rune boundaries", text, k, s.Start, s.End)
		case s.Replacement == "":
			t.Fatalf("findPII(%q): span %d has no replacement", text, k)
		}
		switch s.Kind {
		case piiPhone, piiEmail, piiRRN, piiPRCID, piiPassport, piiBirthDate, piiMessenger:
		default:
			t.Fatalf("findPII(%q): span %d has unknown kind %q", text, k, s.Kind)
		}
		last = s.End
	}
}

// piiCases are inputs and their exact output. Placeholders are Korean
// unless Latin words outnumber Hangul words on the line, so bare
// identifiers get Korean ones.
var piiCases = []struct {
	in, want string
	kinds    []string // kinds found, in order
}{
	// --- PSEUDONYM-CASES.md case 41: phones ---

	// North Korean mobile in international form.
	{"+850 191 234 5678", "[전화번호]", []string{piiPhone}},
	// Chinese mobile in international form.
	{"+86 138 0013 8000", "[전화번호]", []string{piiPhone}},
	// Chinese mobile, 11 digits, no separators.
	{"13800138000", "[전화번호]", []string{piiPhone}},
	// South Korean mobile.
	{"010-1234-5678", "[전화번호]", []string{piiPhone}},
	// The same in an English sentence: English placeholders, the period kept.
	{"Call +86 138 0013 8000 or 010-1234-5678.", "Call [phone] or [phone].", []string{piiPhone, piiPhone}},
	// Korean particle glued to the number stays.
	{"전화번호는 010-1234-5678입니다", "전화번호는 [전화번호]입니다", []string{piiPhone}},
	// South Korean mobile without separators.
	{"연락처 01012345678", "연락처 [전화번호]", []string{piiPhone}},
	// Seoul landline with the area code in parentheses: the parentheses go too.
	{"사무실 (02) 123-4567", "사무실 [전화번호]", []string{piiPhone}},
	// Provincial landline.
	{"집 031-123-4567", "집 [전화번호]", []string{piiPhone}},
	// Country code in parentheses.
	{"Tel (+86) 138 0013 8000", "Tel [phone]", []string{piiPhone}},
	// South Korean mobile in international form with dashes.
	{"tel:+82-10-1234-5678", "tel:[phone]", []string{piiPhone}},
	// Trunk zero in parentheses.
	{"phone +82 (0)10 1234 5678", "phone [phone]", []string{piiPhone}},
	// International number dialled with 00.
	{"전화 0086 138 0013 8000", "전화 [전화번호]", []string{piiPhone}},
	// Pyongyang landline dialled from abroad, without '+'.
	{"평양 850-2-381-2345", "평양 [전화번호]", []string{piiPhone}},
	// A count after the number is not part of it.
	{"dialled +850 191 234 5678 24 times", "dialled [phone] 24 times", []string{piiPhone}},
	// Chinese mobile grouped 3-4-4 with spaces.
	{"手机 138 0013 8000", "手机 [전화번호]", []string{piiPhone}},
	// North Korean mobile grouped 3-3-4.
	{"손전화 191 234 5678", "손전화 [전화번호]", []string{piiPhone}},

	// --- case 42: birth dates keep the year, only in a birth context ---

	// 생 after the date: the span ends before it.
	{"1985년 3월 4일생", "1985년생", []string{piiBirthDate}},
	// A two-digit year, no context: an ordinary date, left alone.
	{"85.3.4", "85.3.4", nil},
	// Two-digit year with 생: written out in full.
	{"그는 85.3.4생이다", "그는 1985생이다", []string{piiBirthDate}},
	// Two-digit year after DOB.
	{"DOB 85.3.4", "DOB 1985", []string{piiBirthDate}},
	// English day-first date without context: left alone.
	{"4 March 1985", "4 March 1985", nil},
	// English day-first date after "born on".
	{"born on 4 March 1985 in Hyesan", "born on 1985 in Hyesan", []string{piiBirthDate}},
	// English month-first date, a place name between "born" and the date.
	{"She was born in Hyesan on March 4, 1985.", "She was born in Hyesan on 1985.", []string{piiBirthDate}},
	// A Juche year alone is only a year.
	{"주체74(1985)년", "주체74(1985)년", nil},
	// A Juche birth date keeps the Juche year and its Gregorian gloss.
	{"주체74(1985)년 3월 4일생", "주체74(1985)년생", []string{piiBirthDate}},
	// A Juche year without the gloss.
	{"주체74년 3월 4일 출생", "주체74년 출생", []string{piiBirthDate}},
	// After the label 생년월일.
	{"생년월일: 1985년 3월 4일", "생년월일: 1985년", []string{piiBirthDate}},
	// A two-digit year with 년 keeps its style.
	{"85년 3월 4일생", "85년생", []string{piiBirthDate}},
	// 태어났다 after a place name.
	{"1985년 3월 4일 혜산에서 태어났다", "1985년 혜산에서 태어났다", []string{piiBirthDate}},
	// 출생 after a place name.
	{"1985년 3월 4일 혜산 출생", "1985년 혜산 출생", []string{piiBirthDate}},
	// ISO date after "Date of birth:".
	{"Date of birth: 1985-03-04", "Date of birth: 1985", []string{piiBirthDate}},
	// Day-first numeric date after D.O.B.
	{"D.O.B. 04/03/1985", "D.O.B. 1985", []string{piiBirthDate}},
	// US month-first numeric date after Born:.
	{"Born: 12/31/1985", "Born: 1985", []string{piiBirthDate}},
	// "b." as a label.
	{"Kim Suk-Han (b. 4 March 1985)", "Kim Suk-Han (b. 1985)", []string{piiBirthDate}},
	// Korean dotted style with spaces and a lunar/solar note.
	{"생년월일 (양력) 1985. 3. 4.", "생년월일 (양력) 1985.", []string{piiBirthDate}},
	// Eight digits after a label.
	{"생년월일 19850304", "생년월일 1985", []string{piiBirthDate}},
	// Six digits after a label.
	{"생년월일 850304", "생년월일 1985", []string{piiBirthDate}},
	// Chinese date with 出生.
	{"1985年3月4日出生", "1985年出生", []string{piiBirthDate}},

	// --- case 43: resident registration numbers ---

	// With a dash.
	{"850304-1234567", "[주민등록번호]", []string{piiRRN}},
	// Without a separator.
	{"8503041234567", "[주민등록번호]", []string{piiRRN}},
	// With a space.
	{"850304 1234567", "[주민등록번호]", []string{piiRRN}},
	// Born in the 2000s (back part starts with 3), in English text.
	{"RRN 050304-3234567 on file", "RRN [ID number] on file", []string{piiRRN}},
	// The usual partly hidden form still gives the birth date and sex.
	{"주민번호 850304-1******", "주민번호 [주민등록번호]", []string{piiRRN}},

	// --- case 44: PRC identity card numbers ---

	// The case's number ends in X (its check digit would be 2): X never ends
	// an ordinary number, so the shape is enough.
	{"22240119850304123X", "[중국 신분증 번호]", []string{piiPRCID}},
	// The same number with its right check digit.
	{"身份证号 222401198503041232 (Chinese ID)", "身份证号 [Chinese ID number] (Chinese ID)", []string{piiPRCID}},
	// Grouped 6-8-4.
	{"중국 신분증 222401 19850304 123X", "중국 신분증 [중국 신분증 번호]", []string{piiPRCID}},
	// A wrong check digit after a label is still masked (a typo).
	{"身份证号：222401198503041230", "身份证号：[중국 신분증 번호]", []string{piiPRCID}},
	// The old 15-digit form after a label.
	{"신분증 222401850304123", "신분증 [중국 신분증 번호]", []string{piiPRCID}},

	// --- case 45: e-mail ---

	// Plain address.
	{"sukhan.kim85@gmail.com", "[이메일]", []string{piiEmail}},
	// The sentence's period is not part of the domain.
	{"Write to sukhan_85@naver.com.", "Write to [email].", []string{piiEmail}},
	// A QQ mailbox: the digits are the local part, not a phone.
	{"메일 13800138000@qq.com으로", "메일 [이메일]으로", []string{piiEmail}},
	// Spelled out.
	{"email sukhan.kim85 at gmail dot com", "email [email]", []string{piiEmail}},
	// Bracketed.
	{"mail sukhan [at] gmail [dot] com", "mail [email]", []string{piiEmail}},

	// --- case 46: messenger IDs ---

	// WeChat with a colon.
	{"WeChat: jinxihan1985", "WeChat: [messenger ID]", []string{piiMessenger}},
	// 카톡 with ID.
	{"카톡 ID sukhan85", "카톡 ID [메신저 ID]", []string{piiMessenger}},
	// 微信 with a fullwidth colon.
	{"微信：jinxihan1985", "微信：[메신저 ID]", []string{piiMessenger}},
	// QQ number.
	{"QQ 12345678", "QQ [messenger ID]", []string{piiMessenger}},
	// QQ号 with a fullwidth colon.
	{"QQ号：12345678", "QQ号：[messenger ID]", []string{piiMessenger}},
	// LINE with a colon and an ID-like token.
	{"LINE: sukhan85", "LINE: [messenger ID]", []string{piiMessenger}},
	// A Telegram handle: the @ goes too.
	{"Telegram @sukhan_85", "Telegram [messenger ID]", []string{piiMessenger}},
	// 아이디 with a particle and a token of letters only.
	{"카카오톡 아이디는 sukhan", "카카오톡 아이디는 [메신저 ID]", []string{piiMessenger}},
	// A particle on the keyword.
	{"그의 카톡으로 sukhan85에게 연락했다", "그의 카톡으로 [메신저 ID]에게 연락했다", []string{piiMessenger}},
	// "ID is" then a token of letters only.
	{"WeChat ID is jinxihan", "WeChat ID is [messenger ID]", []string{piiMessenger}},
	// Kakao Talk in two words.
	{"Kakao Talk: sukhan85", "Kakao Talk: [messenger ID]", []string{piiMessenger}},
	// A phone number after a messenger name is masked as a phone.
	{"WhatsApp +86 138 0013 8000", "WhatsApp [phone]", []string{piiPhone}},

	// --- passports ---

	// After "Passport No.".
	{"Passport No. M12345678", "Passport No. [passport number]", []string{piiPassport}},
	// After 여권번호.
	{"여권번호: M12345678", "여권번호: [여권번호]", []string{piiPassport}},
	// After 护照号码.
	{"护照号码：E12345678", "护照号码：[여권번호]", []string{piiPassport}},
	// A North Korean passport: nine digits, after a keyword.
	{"passport 836123456", "passport [passport number]", []string{piiPassport}},
	// Bare Chinese and 2021 Korean forms.
	{"G12345678 and M123A4567", "[passport number] and [passport number]", []string{piiPassport, piiPassport}},
	// The comma after the number stays.
	{"Passport: M12345678, valid", "Passport: [passport number], valid", []string{piiPassport}},

	// --- negatives: ordinary numbers and dates of events stay ---

	// A year.
	{"그는 2009년에 떠났다", "그는 2009년에 떠났다", nil},
	// A date of an event.
	{"2009년 3월 4일에 탈북했다", "2009년 3월 4일에 탈북했다", nil},
	// A date of an event followed by a later birth.
	{"2009년 3월 4일에 탈북한 뒤 태어난 아이", "2009년 3월 4일에 탈북한 뒤 태어난 아이", nil},
	// 출생 after a year belongs to that year, not to the next date.
	{"1980년 출생, 2009년 3월 4일 탈북", "1980년 출생, 2009년 3월 4일 탈북", nil},
	// 출생 after a place is not a label for what follows.
	{"혜산 출생, 2009년 3월 4일 탈북", "혜산 출생, 2009년 3월 4일 탈북", nil},
	// "born" with a year between it and the date.
	{"born 1990, crossed 4 March 2009", "born 1990, crossed 4 March 2009", nil},
	// "born" with ordinary words between it and the date.
	{"She was born there and left on 4 March 2009", "She was born there and left on 4 March 2009", nil},
	// Crossing date in English.
	{"arrived on 4 March 2009", "arrived on 4 March 2009", nil},
	// A dotted date of an event.
	{"2009.3.4 탈북", "2009.3.4 탈북", nil},
	// Counts.
	{"158명", "158명", nil},
	// Counts in English.
	{"24 interviews", "24 interviews", nil},
	// Prices.
	{"3,000 위안", "3,000 위안", nil},
	// Times.
	{"10:30", "10:30", nil},
	// A room.
	{"Room 1203", "Room 1203", nil},
	// A 13-digit number whose date part is not a date (month 34).
	{"1234567890123", "1234567890123", nil},
	// An 18-digit number with a bad PRC check digit.
	{"222401198503041230", "222401198503041230", nil},
	// Version numbers.
	{"v1.2.3 and 2.10.15", "v1.2.3 and 2.10.15", nil},
	// An ISBN-13.
	{"ISBN 978-89-12345-67-8", "ISBN 978-89-12345-67-8", nil},
	// An ISBN-10 that looks like a Korean landline.
	{"ISBN 0316406152", "ISBN 0316406152", nil},
	// URLs are skipped whole.
	{"https://example.com/13800138000 www.x.com/010-1234-5678", "https://example.com/13800138000 www.x.com/010-1234-5678", nil},
	// A phone number inside a longer number.
	{"12-010-1234-5678", "12-010-1234-5678", nil},
	// A phone number continued by another group.
	{"010-1234-5678-9999", "010-1234-5678-9999", nil},
	// Digits glued to letters.
	{"abc13800138000", "abc13800138000", nil},
	// A big number with thousands separators.
	{"1,380,013,800", "1,380,013,800", nil},
	// A messenger name followed by an ordinary word.
	{"I contacted him on WeChat yesterday", "I contacted him on WeChat yesterday", nil},
	// "line" as a word.
	{"the line between 2009 and 2010", "the line between 2009 and 2010", nil},
	// "Signal" as a word, even with a colon.
	{"Signal: weak", "Signal: weak", nil},
	// 온라인 is not 라인.
	{"온라인 ID: sukhan85", "온라인 ID: sukhan85", nil},
	// A price after 카톡.
	{"카톡으로 30000원 보냈다", "카톡으로 30000원 보냈다", nil},
	// A date after "passport" is not a passport number.
	{"passport expires 2025-03-04", "passport expires 2025-03-04", nil},
	// A lower-case bare code is not a passport.
	{"m12345678", "m12345678", nil},
	// "at" without an address.
	{"we met at 10 and looked at him", "we met at 10 and looked at him", nil},
	// An event date with a day-first English form and "May".
	{"The 4 May 1985 meeting", "The 4 May 1985 meeting", nil},

	// --- rules that keep findPII idempotent ---

	// "QQ" glued to its number goes with it.
	{"QQ12345678 only", "[messenger ID] only", []string{piiMessenger}},
	// A spelled-out address cut short by a birth date before it: the date's
	// year would become its local part, so the address goes from "at".
	{"DOB 850304 at gmail dot com", "DOB 1985 [email]", []string{piiBirthDate, piiEmail}},
	// An address takes every label of its domain, even after the TLD.
	{"mail kim@b.com.G12345678", "mail [email]", []string{piiEmail}},
	// An address glued to '+' is none, and nothing in it is masked.
	{"mail kim@b.com+8613800138000", "mail kim@b.com+8613800138000", nil},
	// A birth date whose year would join the number before it into a phone.
	{"010 1234 85.3.4생", "010 1234 85.3.4생", nil},
	// A Korean birth date followed by another month and day.
	{"생년월일 85년 3월 4일 3월 5일", "생년월일 85년 3월 4일 3월 5일", nil},
	// A word and a '.' before a phone number do not glue.
	{"Tel.010-1234-5678", "Tel.[phone]", []string{piiPhone}},
	// An '@' glued to a word is not a handle.
	{"QQ@12345678", "QQ@12345678", nil},
}

func TestFindPIICases(t *testing.T) {
	for _, c := range piiCases {
		spans := findPII(c.in)
		piiCheckSpans(t, c.in, spans)
		if got := piiApply(c.in, spans); got != c.want {
			t.Errorf("findPII(%q) gives %q, want %q", c.in, got, c.want)
		}
		var kinds []string
		for _, s := range spans {
			kinds = append(kinds, s.Kind)
		}
		if strings.Join(kinds, ",") != strings.Join(c.kinds, ",") {
			t.Errorf("findPII(%q) kinds %v, want %v", c.in, kinds, c.kinds)
		}
	}
}

// TestFindPIIIdempotent runs findPII on each output: it finds nothing.
func TestFindPIIIdempotent(t *testing.T) {
	for _, c := range piiCases {
		out := piiApply(c.in, findPII(c.in))
		if again := findPII(out); len(again) != 0 {
			t.Errorf("findPII(%q) finds %v in its own output %q", c.in, again, out)
		}
	}
	doc := piiBenchText(64 << 10)
	out := piiApply(doc, findPII(doc))
	if again := findPII(out); len(again) != 0 {
		t.Errorf("findPII finds %d spans in its own output, first %q", len(again), out[again[0].Start:again[0].End])
	}
}

// TestFindPIIDocument checks a whole note: every span in order, each
// placeholder in the language of its line.
func TestFindPIIDocument(t *testing.T) {
	doc := "면담 기록\n" +
		"김석한은 1985년 3월 4일생이다. 2009년 3월 4일에 탈북했다.\n" +
		"연락처: 010-1234-5678, 카톡 ID sukhan85\n" +
		"Contact: sukhan.kim85@gmail.com, WeChat: jinxihan1985\n" +
		"Chinese ID 22240119850304123X, passport No. G12345678.\n"
	want := "면담 기록\n" +
		"김석한은 1985년생이다. 2009년 3월 4일에 탈북했다.\n" +
		"연락처: [전화번호], 카톡 ID [메신저 ID]\n" +
		"Contact: [email], WeChat: [messenger ID]\n" +
		"Chinese ID [Chinese ID number], passport No. [passport number].\n"
	spans := findPII(doc)
	piiCheckSpans(t, doc, spans)
	if got := piiApply(doc, spans); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestFindPIITwoDigitYears pins the century rule for two-digit years.
func TestFindPIITwoDigitYears(t *testing.T) {
	for in, want := range map[string]string{
		"DOB 31.1.2":  "DOB 1931",
		"DOB 99.1.2":  "DOB 1999",
		"DOB 00.1.2":  "DOB 2000",
		"DOB 30.1.2":  "DOB 2030",
		"DOB 850229":  "DOB 850229", // 1985 had no 29 February
		"DOB 040229":  "DOB 2004",
		"DOB 1900229": "DOB 1900229", // seven digits: no form
	} {
		if got := piiApply(in, findPII(in)); got != want {
			t.Errorf("findPII(%q) gives %q, want %q", in, got, want)
		}
	}
}

// piiFragments are the pieces FuzzFindPII builds notes from: parts of
// identifiers, labels, keywords, separators and words, so that random input
// reaches the rules and not only the byte-level scanning.
var piiFragments = [...]string{
	" ", " ", "\n", "-", ".", "/", ",", ":", "(", ")", "+", "@", "[", "]", "*", "：",
	"0", "1", "4", "85", "00", "010", "02", "1234", "5678", "138", "0013", "8000", "850",
	"1985", "2009", "03", "04", "850304", "1234567", "13800138000", "22240119850304123",
	"X", "M12345678", "G1234567", "836123456", "+86", "+850", "+82", "0086",
	"년", "월", "일", "3월", "4일", "생", "출생", "생년월일", "생일", "태어났다", "에", "에서",
	"은", "는", "이", "혜산", "탈북", "주체74", "(1985)", "年", "月", "日", "出生", "身份证",
	"born", "Born", "DOB", "D.O.B.", "b.", "date of birth", "on", "in", "Hyesan", "March",
	"Mar", "May", "4th", "of", "kim", "sukhan85", "sukhan_85", "gmail", "com", "at", "dot",
	"[at]", "WeChat", "微信", "카톡", "카카오톡", "ID", "아이디", "QQ", "LINE", "라인",
	"Telegram", "passport", "Passport No.", "여권번호", "护照", "ISBN", "https://", "www",
	"Room", "명", "위안", "interviews", "_", "x", "a", "1203",
}

// piiCompose builds a note from data, one fragment per byte.
func piiCompose(data string) string {
	var b strings.Builder
	for i := 0; i < len(data); i++ {
		b.WriteString(piiFragments[int(data[i])%len(piiFragments)])
	}
	return b.String()
}

// FuzzFindPII checks, on the input itself and on a note built from it,
// that findPII does not panic, returns valid spans, and finds nothing in its
// own output.
func FuzzFindPII(f *testing.F) {
	for _, c := range piiCases {
		f.Add(c.in)
	}
	f.Add("생년월일: 1985년 3월 4일, 탈북일: 2009년 3월 4일")
	f.Add("(+86) 138 0013 8000 / sukhan [at] gmail [dot] com / 주체74(1985)년 3월 4일생")
	// Found by fuzzing; each broke idempotence or span validity once.
	f.Add("생일00년1월1일\x880")                 // a span ends before a stray continuation byte
	f.Add("+1000000+1000000")               // '+' after a number glues
	f.Add("13800138000,138 0013 8000")      // ',' between digits glues
	f.Add("a@b.com+8613800138000")          // '+' after an address glues
	f.Add("身份证00100000000 100000001010000") // a label's reach stops at a number
	f.Add("0100000000(0100000000")          // '(' between digits glues
	f.Add("850304-1234567(0100000000")      // on both sides of a match
	f.Add("020000000((0100000000")          // so do up to three joiners
	f.Add("13800138000생일850304")            // a label after a number describes it
	f.Add("카카오톡1234567,13800138000")        // a messenger ID glued to a number
	f.Add("LINE아이디LINE,13800138000")        // a word before ",digits" is not glued
	f.Add("카톡04ISBN3월13800138000")          // ISBN must be a label of its own
	f.Add("G12345670/.0412340086")          // joiners after a code
	f.Add("at[at]b.QQ13800138000생")         // QQ and its number go together
	f.Add("微信에서04.QQ@850304")               // an '@' glued to a word is no handle
	f.Add("QQ에서850304.G12345673월")          // QQ takes digits only
	f.Add("at[at]at.at.G12345673월")         // an address takes its whole domain
	f.Add("at[at]at.at.13800138000.at+86")  // nothing inside a glued address
	f.Add("04.0404 040404생")                // a year must not join a phone
	f.Add("D.O.B.850304년3월4일")              // nor become a Korean date
	f.Add("13800138000 850304생")            // nor follow a placeholder
	f.Add("b.850304[at]b.at")               // nor become a local part
	f.Add("13800138000/04[at]D.O.B.at")     // a local part glued to a number
	f.Add("17000000000(.0[At]0.AA")         // through more than one joiner
	f.Add("at[at]at.at.04,04[at]at.at")     // an address glued like a number
	f.Fuzz(func(t *testing.T, data string) {
		for _, text := range [...]string{data, piiCompose(data)} {
			spans := findPII(text)
			piiCheckSpans(t, text, spans)
			out := piiApply(text, spans)
			if again := findPII(out); len(again) != 0 {
				t.Fatalf("findPII(%q) → %q: finds %q again", text, out, out[again[0].Start:again[0].End])
			}
		}
	})
}

// piiBenchText returns about n bytes of interview notes in Korean and
// English with a few identifiers per kilobyte.
func piiBenchText(n int) string {
	paras := []string{
		"면담자는 2009년 3월 4일 혜산에서 압록강을 건너 장백으로 갔다고 진술했다. 그 뒤 3년 동안 중국 연길과 심양에서 식당 일을 하며 지냈고, 2012년에 라오스를 거쳐 한국에 입국했다. 하나원에서 12주 교육을 받은 뒤 인천에 정착했다. ",
		"The interviewee said she worked for 24 months at a textile factory and paid 3,000 yuan to a broker. She described the crossing in detail; the river was frozen and the guards had been paid in advance. Her brother stayed behind in Ryanggang Province. ",
		"연락처는 010-1234-5678이고 카톡 ID sukhan85로 연락한다. 생년월일: 1985년 3월 4일. ",
		"Contact by e-mail at sukhan.kim85@gmail.com or WeChat: jinxihan1985; Chinese mobile +86 138 0013 8000. ",
		"북한에서는 배급이 끊긴 뒤 장마당에서 옷과 신발을 팔았다. 158명이 같은 인민반에 살았고, 보위부 감시가 심했다고 한다. 어머니는 2001년에 사망했다. ",
		"In the 1990s famine the family ate grass porridge; two of five siblings died. Page 12 of the notes records the route via Shenyang, Kunming and Vientiane, with dates of arrival and the names of the brokers withheld. ",
	}
	var b strings.Builder
	for k := 0; b.Len() < n; k++ {
		// mostly narrative; identifiers in one paragraph of six
		switch k % 12 {
		case 5:
			b.WriteString(paras[2])
		case 11:
			b.WriteString(paras[3])
		default:
			b.WriteString(paras[[]int{0, 1, 4, 5}[k%4]])
		}
		if k%3 == 2 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func BenchmarkFindPII(b *testing.B) {
	text := piiBenchText(1 << 20)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		findPII(text)
	}
}

// TestPIIWordsListed: every word atWord and piiMonthLower switch on is in
// piiWords, whose shapes let a word through to the switch at all; a case
// added to the code and not to the list would never be reached.
func TestPIIWordsListed(t *testing.T) {
	fs := gotoken.NewFileSet()
	f, err := parser.ParseFile(fs, "pii.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, w := range piiWords {
		listed[w] = true
	}
	n := 0
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || (fn.Name.Name != "atWord" && fn.Name.Name != "piiMonthLower") {
			continue
		}
		ast.Inspect(fn.Body, func(nd ast.Node) bool {
			cc, ok := nd.(*ast.CaseClause)
			if !ok {
				return true
			}
			for _, e := range cc.List {
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
					w, _ := strconv.Unquote(lit.Value)
					n++
					if !listed[w] {
						t.Errorf("%q is a case in %s but not in piiWords: it would never be reached", w, fn.Name.Name)
					}
				}
			}
			return true
		})
	}
	if n < len(piiWords) {
		t.Errorf("found %d cases, fewer than the %d listed words: did the switches move?", n, len(piiWords))
	}
}
