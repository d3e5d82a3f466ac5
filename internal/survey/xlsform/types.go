package xlsform

import (
	"fmt"
	"regexp"
	"strings"

	"testimony/internal/survey"
)

// rowType is the meaning of a survey row's type cell.
type rowType struct {
	t       survey.Type // the question's type; Group or Repeat for begin and end
	end     bool        // end group / end repeat
	list    string      // a select's list
	orOther bool
}

// simpleTypes maps the type names and their older spellings (pyxform's
// aliases) to the supported types.
var simpleTypes = map[string]survey.Type{
	"text": survey.Text, "string": survey.Text, "q string": survey.Text, "add text prompt": survey.Text,
	"integer": survey.Integer, "int": survey.Integer, "q int": survey.Integer, "add integer prompt": survey.Integer,
	"decimal": survey.Decimal, "q decimal": survey.Decimal, "add decimal prompt": survey.Decimal,
	"date": survey.Date, "q date": survey.Date, "add date prompt": survey.Date,
	"note": survey.Note, "q note": survey.Note, "add note prompt": survey.Note,
	"calculate": survey.Calculate, "q calculate": survey.Calculate, "add calculate prompt": survey.Calculate,
	"image": survey.Image, "photo": survey.Image, "q picture": survey.Image, "q image": survey.Image,
	"add image prompt": survey.Image, "add photo prompt": survey.Image,
	"audio": survey.Audio, "q audio": survey.Audio, "add audio prompt": survey.Audio,
	"video": survey.Video, "q video": survey.Video, "add video prompt": survey.Video,
	"file": survey.File, "add file prompt": survey.File,
	"geopoint": survey.Geopoint, "gps": survey.Geopoint, "location": survey.Geopoint,
	"q geopoint": survey.Geopoint, "q location": survey.Geopoint, "add location prompt": survey.Geopoint,
	"start": survey.Start, "start time": survey.Start, "get start time": survey.Start,
	"end": survey.End, "end time": survey.End, "get end time": survey.End,
	"today": survey.Today, "get today": survey.Today,
}

// Why other types are refused. A type not listed gets a general message.
const (
	whyDevice = "it records the device, the phone or the interviewer, which testimony never collects"
	whyTime   = "testimony keeps times to the day only: use date"
)

var refusedTypes = map[string]string{
	"deviceid": whyDevice, "imei": whyDevice, "device id": whyDevice, "get device id": whyDevice,
	"subscriberid": whyDevice, "subscriber id": whyDevice, "get subscriber id": whyDevice,
	"simserial": whyDevice, "sim id": whyDevice, "get sim id": whyDevice,
	"phonenumber": whyDevice, "get phone number": whyDevice, "username": whyDevice, "email": whyDevice,
	"uri:deviceid": whyDevice, "uri:subscriberid": whyDevice, "uri:simserial": whyDevice,
	"uri:phonenumber": whyDevice, "uri:username": whyDevice, "uri:email": whyDevice,
	"audit": whyDevice, "start-geopoint": whyDevice, "background-geopoint": whyDevice,
	"background-audio": "recording the interview in the background is not supported: ask for an audio answer instead",
	"time":             whyTime, "datetime": whyTime, "date time": whyTime, "q date time": whyTime, "q datetime": whyTime,
	"add date time prompt": whyTime, "add datetime prompt": whyTime,
	"acknowledge":            "use a note, or a select_one with a single choice",
	"q acknowledge":          "use a note, or a select_one with a single choice",
	"add acknowledge prompt": "use a note, or a select_one with a single choice",
	"trigger":                "use a note, or a select_one with a single choice",
	"barcode":                "scanning barcodes is not supported: use text",
	"q barcode":              "scanning barcodes is not supported: use text",
	"add barcode prompt":     "scanning barcodes is not supported: use text",
	"range":                  "use integer or decimal with a constraint",
	"rank":                   "ranking is not supported: use select_one questions, one per rank",
	"geotrace":               "only single points (geopoint) are supported",
	"geoshape":               "only single points (geopoint) are supported",
	"hidden":                 "use calculate",
	"phone number":           "use text (phone numbers are identifiers the pseudonymizer masks)",
	"percentage":             "use integer with a constraint",
	"xml-external":           "external data files are not supported",
	"csv-external":           "external data files are not supported",
	"osm":                    "OpenStreetMap questions are not supported",
}

var (
	beginEnd = regexp.MustCompile(`^(begin|end)[ _](group|repeat|lgroup|looped group|loop)(?: (.*))?$`)
	selectRe = regexp.MustCompile(`^(select_one|select one|select1|select one from|select one using|add select one prompt using|` +
		`select_multiple|select all that apply|select all that apply from|select multiple from|select multiple using|add select multiple prompt using) ` +
		`(\S+)(?: (or_other|or other|or specify other))?$`)
	// fromFile are the selects whose choices come from a file or an
	// external sheet.
	fromFile = regexp.MustCompile(`^(select_one_from_file|select_multiple_from_file|select one from file|select multiple from file|select_one_external|select_multiple_external)\b`)
)

// parseType reads a survey row's type cell. The error is the message a
// person reads.
func parseType(cell string) (rowType, error) {
	s := strings.Join(strings.Fields(cell), " ")
	low := strings.ToLower(s)
	if t, ok := simpleTypes[low]; ok {
		return rowType{t: t}, nil
	}
	if m := beginEnd.FindStringSubmatch(low); m != nil {
		kind := survey.Group
		switch m[2] {
		case "repeat", "lgroup", "looped group":
			kind = survey.Repeat
		case "loop":
			return rowType{}, fmt.Errorf("the type %q (a loop over a choice list) is not supported: use a repeat", s)
		}
		if m[3] != "" {
			return rowType{}, fmt.Errorf("the type %q has extra words: write %s %s", s, m[1], kind)
		}
		return rowType{t: kind, end: m[1] == "end"}, nil
	}
	if fromFile.MatchString(low) {
		return rowType{}, fmt.Errorf("the type %q is not supported: choices from a file or an external sheet cannot be signed with the form; put them in the choices sheet and use select_one or select_multiple", s)
	}
	// Match the select spellings on the lowercase text; take the list
	// name, whose case matters, from the original.
	if m := selectRe.FindStringSubmatch(low); m != nil {
		words := strings.Fields(s)
		n := len(strings.Fields(m[1]))
		r := rowType{t: survey.SelectOne, list: words[n], orOther: m[3] != ""}
		if strings.Contains(m[1], "multiple") || strings.Contains(m[1], "all that apply") {
			r.t = survey.SelectMultiple
		}
		if strings.HasPrefix(r.list, "${") {
			return rowType{}, fmt.Errorf("choices from earlier answers (%s) are not supported: name a list of the choices sheet", r.list)
		}
		return r, nil
	}
	for _, sel := range []string{"select_one", "select_multiple", "select one", "select all that apply"} {
		if low == sel || low == sel+" from" {
			return rowType{}, fmt.Errorf("the type %q names no choice list: write %s LIST, with LIST a list_name of the choices sheet", s, sel)
		}
	}
	first, _, _ := strings.Cut(low, " ")
	if why, ok := refusedTypes[low]; ok {
		return rowType{}, fmt.Errorf("the type %q is not supported: %s", s, why)
	}
	if why, ok := refusedTypes[first]; ok {
		return rowType{}, fmt.Errorf("the type %q is not supported: %s", s, why)
	}
	if first == "include" {
		return rowType{}, fmt.Errorf("the type %q (including another form) is not supported: copy its rows into this form", s)
	}
	return rowType{}, fmt.Errorf("the type %q is not supported: testimony supports text, integer, decimal, select_one, select_multiple, date, note, calculate, begin/end group, begin/end repeat, image, audio, video, file, geopoint, start, end and today", s)
}
