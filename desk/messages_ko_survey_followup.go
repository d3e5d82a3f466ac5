package desk

// Korean for the texts of the survey follow-ups: repeats counted by an
// earlier answer (survey_fill.go, survey.js) and forms the desk refused
// at a sync (forms_sync.go, the interviewer's home and the reviewer's
// surveys page). Kept apart from the other message files only so that
// several parts can be edited at the same time.
func init() {
	for en, k := range map[string]string{
		"Answered %d times, as an earlier answer says.":            "앞의 답변에 따라 %d번 답합니다.",
		"Answered %d times, as an earlier answer says: remove %d.": "앞의 답변에 따라 %d번 답합니다. %d개를 삭제하십시오.",
		"Answered as many times as an earlier answer says.":        "앞의 답변에서 정한 횟수만큼 답합니다.",

		// Forms a sync refused.
		"A form from the server was refused and not kept: %s version %s, because %s. Tell your organisation's admin.": "서버에서 받은 설문지를 거부하고 보관하지 않았습니다: %s 버전 %s. 이유: %s. 단체의 관리자에게 알리십시오.",
		"it is not signed by your organisation's admin key":                                                           "단체 관리자의 키로 서명되지 않았습니다",
		"it was changed after it was signed":                                                                          "서명된 뒤에 바뀌었습니다",
		"it was published for another organisation":                                                                   "다른 단체를 위해 게시되었습니다",
		"another form was published under a version this desk already holds":                                          "이 데스크에 이미 있는 버전 번호로 다른 설문지가 게시되었습니다",
		"the server listed it as another form or version":                                                             "서버가 다른 설문지나 버전으로 목록에 올렸습니다",
		"it could not be checked":                                                                                     "확인할 수 없었습니다",
	} {
		ko[en] = k
	}
}
