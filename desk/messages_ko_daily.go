package desk

// Korean for the texts of daily use: what a post did, shown on the page it
// redirects to (result.go), the unlock's progress, the flags list, the
// marks of pseudonyms. The words follow docs/glossary.md.
func init() {
	for en, k := range map[string]string{
		// What a post did.
		"The draft was deleted.":                          "임시 저장본을 삭제했습니다.",
		"The draft is saved, encrypted on this computer.": "임시 저장본을 이 컴퓨터에 암호화하여 저장했습니다.",
		"The form could not be read (is an attachment larger than 64 MiB?). What was typed since the last save is lost; the draft is kept.":                                     "양식을 읽을 수 없었습니다 (첨부 파일이 64MiB보다 큽니까?). 마지막으로 저장한 뒤에 입력한 내용은 사라졌고, 임시 저장본은 남아 있습니다.",
		"The draft could not be saved. What was typed since the last save is lost.":                                                                                             "임시 저장본을 저장하지 못했습니다. 마지막으로 저장한 뒤에 입력한 내용은 사라졌습니다.",
		"The note is empty. Write the note before sealing; nothing was sealed.":                                                                                                 "면담 기록이 비어 있습니다. 봉인하기 전에 기록을 작성하십시오. 아무것도 봉인되지 않았습니다.",
		"The people and places table has a mistake: a name is given twice, or a row is not complete. Nothing was sealed.":                                                       "사람·장소 표에 잘못된 곳이 있습니다: 같은 이름이 두 번 적혔거나, 채우다 만 줄이 있습니다. 아무것도 봉인되지 않았습니다.",
		"An attachment could not be read; add it again.":                                                                                                                        "첨부 파일을 읽을 수 없었습니다. 다시 추가하십시오.",
		"The lookup is recorded in the server's log; here is the answer.":                                                                                                       "조회가 서버 로그에 기록되었습니다. 결과는 다음과 같습니다.",
		"The check asks the server for its log and compares it with the receipts this desk keeps: every file must still be there, unchanged, and the log must only have grown.": "서버에 로그를 요청하여 이 데스크가 가진 영수증과 대조합니다: 모든 파일이 바뀌지 않은 채 남아 있어야 하고, 로그는 늘어나기만 했어야 합니다.",

		// The draft list.
		"Draft":              "임시 저장본",
		"Interview note":     "면담 기록",
		"%d words":           "%d단어",
		"%d people declared": "선언한 사람 %d명",
		"%d attachment(s)":   "첨부 파일 %d개",
		"saved %s":           "%s 저장",

		// Pseudonyms in the reviewer's view.
		"Name": "이름",
		"Underlined names are pseudonyms: the desk that sealed the testimony replaced the real names. They are not the names of real people; a custodian alone can say whom one stands for.": "밑줄 친 이름은 가명입니다: 증언을 봉인한 데스크가 실제 이름을 바꾸었습니다. 실제 사람의 이름이 아니며, 가명이 누구를 가리키는지는 신원관리자만 알 수 있습니다.",

		// The unlock's progress.
		"Unlocking…": "잠금 해제 중…",
		"Each key takes a moment to open: that slowness is what protects it from guessing.": "키마다 여는 데 잠시 걸립니다. 이 느림이 추측으로부터 키를 지켜 줍니다.",
		"Unlocked; opening the page…":           "잠금 해제됨. 페이지를 여는 중…",
		"%d of %d steps":                        "%d/%d단계",
		"Progress of the unlock":                "잠금 해제 진행 상황",
		"Opening the key to the server":         "서버 접속 키 여는 중",
		"Opening this laptop's signing key":     "이 노트북의 서명 키 여는 중",
		"Opening the pseudonym key":             "가명 키 여는 중",
		"Opening the drafts key":                "임시 저장본 키 여는 중",
		"Opening the list of pseudonyms used":   "사용한 가명 목록 여는 중",
		"Opening your identity key":             "신원 키 여는 중",
		"Opening the inbox":                     "받은 편지함 여는 중",
		"Opening the re-identification records": "재식별 기록 여는 중",

		// A very long note.
		"This note is very long: the preview no longer follows your typing, so that the page stays quick. Update it when you want to check it.": "기록이 매우 깁니다. 페이지가 느려지지 않도록 미리보기가 입력을 따라가지 않습니다. 확인하고 싶을 때 미리보기를 새로 고치십시오.",

		// The flags.
		"Show it in the note":   "기록에서 위치 보기",
		"Show it in the answer": "답변에서 위치 보기",
		"a place nobody declared: it will be replaced by its province, %s": "선언되지 않은 장소입니다. 도(道) 이름으로 바뀝니다: %s",
		"Accepted: the province replaces it.":                              "허용함: 도(道) 이름으로 바뀝니다.",
	} {
		ko[en] = k
	}
}
