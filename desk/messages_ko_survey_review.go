package desk

// Korean for the texts of the reviewers' survey statistics. They are kept
// apart from messages_ko.go only so that the two can be edited at the same
// time; the test that finds texts without Korean covers both.
func init() {
	for en, k := range map[string]string{
		"Surveys":                   "설문",
		"Survey statistics":         "설문 통계",
		"Cross-table":               "교차표",
		"Every question":            "모든 문항",
		"Views":                     "보기",
		"Newest version":            "최신 판",
		"Responses":                 "응답",
		"Problems":                  "문제",
		"Rows":                      "행",
		"Columns":                   "열",
		"Show":                      "보기",
		"Total":                     "합계",
		"Answer":                    "답",
		"Count":                     "수",
		"Answered (N)":              "응답자 (N)",
		"Not answered":              "응답 없음",
		"Not answered or not asked": "응답 없음 또는 묻지 않음",
		"%d responses.":             "응답 %d건.",
		"Responses to a form this desk does not have: %d":                                                                                         "이 데스크에 없는 양식에 대한 응답 %d건",
		"They name a version or a form digest that no form kept here has, or their answers cannot be read. They are not counted.":                 "여기 보관된 어떤 양식에도 없는 판이나 양식 다이제스트를 가리키거나, 답을 읽을 수 없습니다. 세지 않았습니다.",
		"They answer versions %s of the form, and are counted with the questions of version %s.":                                                  "응답은 이 양식의 %s 판에 대한 것이며, %s 판의 문항으로 셉니다.",
		"Statistics of the survey responses in your inbox, computed on this computer. Small counts are hidden so that no one can be singled out.": "받은 편지함에 있는 설문 응답의 통계로, 이 컴퓨터에서 계산합니다. 누구도 특정되지 않도록 작은 수는 숨깁니다.",
		"This desk has no survey forms yet. They come with the roster when the admin publishes one.":                                              "이 데스크에는 아직 설문 양식이 없습니다. 관리자가 양식을 게시하면 명단과 함께 받습니다.",
		"This desk has no such form.":                                                 "이 데스크에는 그런 양식이 없습니다.",
		"Minimum cell: %d; %d for questions marked sensitive.":                        "최소 칸 크기: %d, 민감 문항은 %d.",
		"sensitive: minimum cell %d":                                                  "민감 문항: 최소 칸 크기 %d",
		"Mean %s, median %s.":                                                         "평균 %s, 중앙값 %s.",
		"Each cell: the count, and its percentage of the row. Minimum cell: %d.":      "각 칸: 수와 그 행에서 차지하는 비율. 최소 칸 크기: %d.",
		"0 % or 100 % of its row or column: says something about everyone in a group": "행이나 열의 0 % 또는 100 %: 한 집단의 모든 사람에 대해 무언가를 알려 줍니다",
		"What is hidden, and why":                                                     "무엇을, 왜 숨기는가",
		"A count from 1 to %d is shown as “<%d” (%d and %d for questions marked sensitive). A group that small can be a person someone knows; a 0 is shown, since it is nobody.": "1에서 %d까지의 수는 “<%d”로 표시합니다 (민감 문항은 %d와 %d). 그만큼 작은 집단은 누군가 아는 사람일 수 있습니다. 0은 아무도 아니므로 그대로 표시합니다.",
		"“x” is a count hidden so that a small one cannot be worked out by subtraction from the totals, the other counts or the percentages.":                                    "“x”는 합계, 다른 수, 비율에서 빼서 작은 수를 알아낼 수 없도록 함께 숨긴 수입니다.",
		"A table is withheld when too few answered the question.":                                                                                                       "문항에 답한 사람이 너무 적으면 표 전체를 보이지 않습니다.",
		"In a cross-table, ⚑ marks 0 % and 100 %: it says something about everyone in a group.":                                                                         "교차표에서 ⚑는 0 %와 100 %를 표시합니다: 한 집단의 모든 사람에 대해 무언가를 알려 줍니다.",
		"These rules do not protect against combining many tables, free text, or what someone already knows about a person. Read docs/disclosure.md before publishing.": "이 규칙은 여러 표를 조합하는 것, 자유 서술, 누군가 이미 어떤 사람에 대해 아는 것으로부터는 보호하지 못합니다. 공개하기 전에 docs/disclosure.md를 읽으십시오.",
		"Hatched: hidden (fewer than %d, or hidden so that a small count cannot be worked out)":                                                                         "빗금: 숨김 (%d 미만이거나, 작은 수를 알아낼 수 없도록 함께 숨김)",
		"Percentages of all responses: the number who answered is hidden, since it would show how few did not.":                                                         "전체 응답에 대한 비율입니다: 답하지 않은 사람이 몇 명인지 드러나지 않도록 응답자 수를 숨겼습니다.",
		"Percentages of the %s who answered.": "답한 %s명에 대한 비율입니다.",
		"Share of the %s who answered that chose each; one person may choose several, so the shares may add up to more than 100 %%.": "답한 %s명 가운데 각 항목을 고른 비율입니다. 한 사람이 여러 개를 고를 수 있어 합이 100 %%를 넘을 수 있습니다.",
		"Withheld: fewer than %d answered this question.":                                                       "보이지 않음: 이 문항에 답한 사람이 %d명 미만입니다.",
		"Withheld: fewer than %d answered one of the two questions.":                                            "보이지 않음: 두 문항 중 하나에 답한 사람이 %d명 미만입니다.",
		"Withheld: its small counts could not be hidden so that they cannot be worked out from the rest.":       "보이지 않음: 작은 수를 나머지에서 알아낼 수 없도록 숨길 방법이 없었습니다.",
		"Free text is not counted. Read the answers in each testimony.":                                         "자유 서술은 세지 않습니다. 각 증언에서 답을 읽으십시오.",
		"Not counted: one person can answer a question in a repeated block several times.":                      "세지 않음: 반복 블록의 문항은 한 사람이 여러 번 답할 수 있습니다.",
		"Not counted: attachments, locations, notes, calculations and the desk's own dates are not summarised.": "세지 않음: 첨부, 위치, 안내문, 계산 항목, 데스크가 기록한 날짜는 요약하지 않습니다.",
		"The statistics could not be computed.":                                                                 "통계를 계산할 수 없습니다.",
		"Choose two different questions that sort people into groups: a single choice, or a number.":            "사람을 집단으로 나누는 서로 다른 두 문항을 고르십시오: 하나를 고르는 문항이나 숫자 문항.",
	} {
		ko[en] = k
	}
}
