package desk

// Korean for the survey export page. Kept apart from messages_ko.go so
// that it can be edited at the same time; the test that finds texts
// without Korean covers it.
func init() {
	for key, en := range map[string]string{
		"identifier:age":   "age",
		"identifier:year":  "year",
		"identifier:sex":   "sex",
		"identifier:place": "place",
		"identifier:other": "identifier",
	} {
		enKeyed[key] = en
	}
	for en, k := range map[string]string{
		"Export the answers to %s":                                                                "%s 응답 내보내기",
		"Form %s, version %s: %d response(s) in the inbox.":                                       "설문 %s, 버전 %s: 받은 편지함에 응답 %d건.",
		"%d response(s) could not be used (another or unknown form version, or damaged answers).": "응답 %d건은 쓸 수 없습니다 (다른 버전이나 모르는 버전의 설문, 또는 손상된 응답).",
		"There are no responses to this form in the inbox.":                                       "받은 편지함에 이 설문의 응답이 없습니다.",
		"Version": "버전",
		"File":    "파일",
		"CSV (opens in Excel, with Korean intact)": "CSV (엑셀에서 한글이 깨지지 않고 열림)",
		"Excel workbook (XLSX)":                    "엑셀 통합 문서 (XLSX)",
		"JSON Lines (for programs)":                "JSON Lines (프로그램용)",
		"Question names as headers":                "열 제목은 질문 이름",
		"Question and choice labels":               "질문과 보기의 표시 문구",
		"in":                                       "언어",
		"Include free-text answers (pseudonymized; they can still describe a person)": "자유 응답 포함 (가명 처리되었지만 여전히 사람을 묘사할 수 있음)",
		"identifier:age":          "나이",
		"identifier:year":         "연도",
		"identifier:sex":          "성별",
		"identifier:place":        "장소",
		"identifier:other":        "식별 정보",
		"Geopoints":               "위치 좌표",
		"rounded to about 11 km":  "약 11km 단위로 반올림",
		"rounded to about 110 km": "약 110km 단위로 반올림",
		"rounded to about 1 km":   "약 1km 단위로 반올림",
		"left out":                "제외",
		"Who could be recognised": "누가 알아볼 수 있는가",
		"Mark the questions whose answers, together, could point at one person (age, sex, home, year of leaving…). Responses with the same answers to all of them form a group; a group smaller than k can be one person.": "함께 보면 한 사람을 가리킬 수 있는 질문(나이, 성별, 고향, 탈북 연도…)을 표시하십시오. 표시한 모든 질문에 같은 답을 한 응답들이 한 집단이 되며, k보다 작은 집단은 한 사람일 수 있습니다.",
		"The form's minimum is %d.":          "설문의 최소값은 %d입니다.",
		"Generalize:":                        "일반화:",
		"ages in bands of":                   "나이 구간 폭",
		"no bands":                           "구간 없음",
		"years in ranges of":                 "연도 범위 폭",
		"no ranges":                          "범위 없음",
		"places as their province":           "장소를 도 단위로",
		"Responses still in groups below k:": "여전히 k보다 작은 집단에 있는 응답:",
		"keep (the download is refused while there are any)": "유지 (하나라도 있으면 내려받기가 거부됨)",
		"leave them out":             "제외",
		"blank their marked answers": "표시한 질문의 답을 비움",
		"Download anyway, with small groups (risky: keep the file to yourself)": "작은 집단이 있어도 내려받기 (위험: 파일을 다른 사람과 공유하지 마십시오)",
		"Groups over the marked questions (k = %d)":                             "표시한 질문 기준 집단 (k = %d)",
		"Responses":         "응답",
		"Groups":            "집단",
		"Unique":            "유일",
		"In groups below k": "k 미만 집단",
		"As answered":       "응답 그대로",
		"Generalized":       "일반화 후",
		"As downloaded":     "내려받을 파일",
		"%d response(s) are still in groups below k.": "응답 %d건이 여전히 k보다 작은 집단에 있습니다.",
		"No group is smaller than k.":                 "k보다 작은 집단이 없습니다.",
		"%d response(s) suppressed.":                  "응답 %d건을 가렸습니다.",
		"Not checked: %s (%s).":                       "확인하지 않음: %s (%s).",
		"Check":                                       "확인",
		"The download is a zip holding the table(s) and a record of what was done to protect the people in it (.disclosure.json). Once saved, it is not encrypted: keep it where testimony belongs.": "내려받는 zip 파일에는 표와, 응답자를 보호하기 위해 한 일의 기록(.disclosure.json)이 들어 있습니다. 저장된 파일은 암호화되어 있지 않으니 증언을 보관하는 곳에만 두십시오.",
		"Nothing was downloaded: %d of %d responses are in groups of fewer than %d people with the same answers to the marked questions. Generalize, suppress, or mark fewer questions.":             "내려받지 않았습니다: 응답 %[2]d건 중 %[1]d건이 표시한 질문에 같은 답을 한 사람이 %[3]d명보다 적은 집단에 있습니다. 일반화하거나, 가리거나, 표시한 질문을 줄이십시오.",
		"These choices do not fit the form: %s":    "이 선택은 설문에 맞지 않습니다: %s",
		"The form could not be read.":              "입력 내용을 읽을 수 없습니다.",
		"k must be a whole number from %d to 1000": "k는 %d부터 1000까지의 정수여야 합니다",
		"choose how precisely geopoints are kept":  "위치 좌표를 얼마나 정밀하게 남길지 선택하십시오",
		"choose CSV, JSON Lines or XLSX":           "CSV, JSON Lines, XLSX 중에서 선택하십시오",
	} {
		ko[en] = k
	}
}
