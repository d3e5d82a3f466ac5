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
	} {
		ko[en] = k
	}
}
