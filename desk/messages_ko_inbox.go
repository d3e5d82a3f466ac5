package desk

// Korean for the texts of the reviewer's inbox at scale: pages of the list,
// files being opened into the encrypted store, a search made before the
// search text is read.
func init() {
	for en, k := range map[string]string{
		"The search text is still being read: this search ran over part of the inbox. Search again in a moment.": "검색용 텍스트를 아직 읽는 중입니다: 이 검색은 받은 편지함의 일부만 찾았습니다. 잠시 후 다시 검색하십시오.",
		"Opening %d new sealed files…": "봉인된 새 파일 %d개를 여는 중…",
		"Pages":                        "페이지",
		"Newer":                        "최근",
		"Older":                        "이전",
		"Page %d of %d":                "%d / %d 페이지",
	} {
		ko[en] = k
	}
}
