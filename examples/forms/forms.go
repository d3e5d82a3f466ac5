// Package forms holds the sample survey of the demo organisation that
// 'testimony quickstart' makes: defector-survey.xlsx, a bilingual (Korean,
// English) XLSForm for a survey of North Korean defectors living in South
// Korea, with a skip rule, a constraint, a choice filter, a sensitive
// question, identifiers, a Likert list and a repeat. It is written by the
// program in gen/ (go generate, or go run ./examples/forms/gen from the
// repository's root); a test checks that the committed file is what gen
// writes.
package forms

import _ "embed"

//go:generate go run ./gen -out defector-survey.xlsx

// DefectorSurvey is the workbook (.xlsx) of the sample survey.
//
//go:embed defector-survey.xlsx
var DefectorSurvey []byte
