package desk

// Korean for the texts of signed annotations. They are kept apart from
// messages_ko.go only so that the two can be edited at the same time; the
// test that finds texts without Korean covers both.
func init() {
	for en, k := range map[string]string{
		"Not shown": "표시하지 않음",
		"Refused: not signed by a reviewer in the roster (forged, or by a reviewer since removed).": "거부됨: 명단에 있는 검토자가 서명하지 않았습니다 (위조되었거나, 이후 명단에서 빠진 검토자의 메모).",
		"Refused: changed after it was signed.":                                                     "거부됨: 서명된 뒤에 바뀌었습니다.",
		"Refused: a copy of another note, filed under another ID.":                                  "거부됨: 다른 메모의 사본이 다른 ID로 올라왔습니다.",
		"Refused: not a valid signed note.":                                                         "거부됨: 올바르게 서명된 메모가 아닙니다.",
		"The signature verifies with this reviewer's signing key in the roster.":                    "명단에 있는 이 검토자의 서명 키로 서명이 확인됩니다.",
		"signed by %s": "%s 서명",
		"unverified (unsigned, from before signatures)": "확인되지 않음 (서명 없음, 서명 도입 이전)",
		"the server says: %s":                           "서버의 주장: %s",
		"You cannot annotate yet: the roster does not list your signing key. Ask the admin to add it (testimony roster set-signer) and give them this key:":               "아직 메모를 남길 수 없습니다: 명단에 당신의 서명 키가 없습니다. 관리자에게 추가를 요청하고 (testimony roster set-signer) 이 키를 전달하십시오:",
		"The roster does not list your signing key, so you cannot annotate yet. Ask the admin to add it (testimony roster set-signer) and give them the key shown below.": "명단에 당신의 서명 키가 없어 아직 메모를 남길 수 없습니다. 관리자에게 추가를 요청하고 (testimony roster set-signer) 아래 키를 전달하십시오.",
		"Signed by you, and sealed to the organisation's reviewers only.":                                                                                                 "당신이 서명하고, 단체의 검토자에게만 봉인됩니다.",
		"A note can have at most 64 tags.":                "메모의 태그는 64개까지입니다.",
		"Only unsigned notes carry this tag: unverified.": "서명 없는 메모에만 있는 태그입니다: 확인되지 않음.",
	} {
		ko[en] = k
	}
}
