package desk

// Korean for the texts of filling a survey (survey_fill.go, survey.html,
// survey.js's messages and the surveys on the interviewer's home page).
// They are kept apart from messages_ko.go only so that several parts can
// be edited at the same time; the test that finds texts without Korean
// covers every file.
func init() {
	for en, k := range map[string]string{
		// The home page.
		"Surveys":                              "설문",
		"Survey":                               "설문",
		"New survey: %s":                       "새 설문: %s",
		"(this desk no longer holds its form)": "(이 데스크에 그 설문지가 더 이상 없습니다)",
		"version %s":                           "버전 %s",
		"Forms are kept on this computer: surveys can be filled without a network.":             "설문지는 이 컴퓨터에 보관되어 있어 네트워크 없이도 설문을 작성할 수 있습니다.",
		"No survey forms yet. They arrive when you sync, once your organisation publishes one.": "아직 설문지가 없습니다. 단체가 설문지를 게시하면 동기화할 때 받아집니다.",
		"This desk holds no such form. Sync to fetch the forms your organisation published.":    "이 데스크에는 그런 설문지가 없습니다. 동기화하여 단체가 게시한 설문지를 받으십시오.",

		// The survey page.
		"Form %s, version %s": "설문지 %s, 버전 %s",
		"Version %s of this form was published after this draft was started. The draft keeps answering version %s, the one it started with; start a new survey to answer the new version.": "이 초안을 시작한 뒤에 이 설문지의 버전 %s이(가) 게시되었습니다. 이 초안은 시작할 때의 버전 %s에 계속 답합니다. 새 버전에 답하려면 새 설문을 시작하십시오.",
		"This draft answers a version of a form that this desk no longer holds. Sync to fetch it again, or delete the draft.":                                                              "이 초안이 답하는 설문지 버전이 이 데스크에 더 이상 없습니다. 동기화하여 다시 받거나 초안을 삭제하십시오.",
		"Answers to check":          "확인할 답변",
		"Language of the questions": "질문 언어",
		"%d of %d answered":         "%d / %d 답변함",
		"Next required question":    "다음 필수 질문",
		"required":                  "필수",
		"Add: %s":                   "추가: %s",
		"Other: please specify":     "기타: 직접 입력",
		"Latitude and longitude separated by a space, typed or pasted. Exports coarsen it.": "위도와 경도를 공백으로 구분하여 입력하거나 붙여 넣으십시오. 내보낼 때는 대략적인 위치로 바뀝니다.",
		"People, places, note and attachments":                                              "사람, 장소, 메모와 첨부 파일",
		"People in the answers":                                                             "답변에 나오는 사람",
		"Places in the answers":                                                             "답변에 나오는 장소",
		"Every name of the person, separated by commas: in Hangul and as written in English, nicknames too. They are replaced in the note and in written answers.": "그 사람의 모든 이름을 쉼표로 구분하여 적으십시오: 한글 이름, 영문 표기, 별명까지. 메모와 서술형 답변에서 바뀝니다.",
		"Note (optional)": "메모 (선택)",
		"Sealing checks every answer again, then encrypts the answers to the reviewers. After that, not even this desk can read them.":    "봉인할 때 모든 답변을 다시 확인한 뒤 검토자에게만 암호화합니다. 그 뒤에는 이 데스크도 읽을 수 없습니다.",
		"No written answers yet. Only written answers and the note are pseudonymized; choices, numbers and dates are sealed as they are.": "아직 서술형 답변이 없습니다. 가명 처리는 서술형 답변과 메모에만 적용되며, 선택지·숫자·날짜는 그대로 봉인됩니다.",
		"Pseudonyms in this survey:": "이 설문의 가명:",

		// Answers the rules refuse.
		"This question needs an answer.": "이 질문에 답해야 합니다.",
		"This answer is not allowed.":    "이 답변은 허용되지 않습니다.",
		"Enter a whole number, like 42.": "42처럼 정수를 입력하십시오.",
		"Enter a number, like 1.5.":      "1.5처럼 숫자를 입력하십시오.",
		"Enter a date, like 2026-03-14.": "2026-03-14처럼 날짜를 입력하십시오.",
		"Enter a latitude and a longitude separated by a space, like 37.5665 126.978.":            "37.5665 126.978처럼 위도와 경도를 공백으로 구분하여 입력하십시오.",
		"This answer does not fit the form: %s":                                                   "이 답변은 설문지에 맞지 않습니다: %s",
		"Some answers need attention; each problem is shown by its question. Nothing was sealed.": "확인이 필요한 답변이 있습니다. 문제마다 해당 질문 옆에 표시했습니다. 아무것도 봉인되지 않았습니다.",
		"The survey could not be sealed. Nothing was sealed; the draft is kept.":                  "설문을 봉인하지 못했습니다. 아무것도 봉인되지 않았으며 초안은 남아 있습니다.",
		"An answer is too long or not text.":                                                      "답변이 너무 길거나 텍스트가 아닙니다.",
		"A repeat can be answered at most 500 times.":                                             "반복 항목은 500번까지 답할 수 있습니다.",
		"The repeats of this form are nested too deeply.":                                         "이 설문지의 반복 항목이 너무 깊게 중첩되어 있습니다.",
	} {
		ko[en] = k
	}
}
