// Package pseudonym replaces the people and places an interviewer declares
// with keyed pseudonyms, in every spelling people write them, masks phone
// numbers, ID numbers, e-mail addresses, birth dates and messenger IDs, and
// flags words that look like names nobody declared.
//
// It works on note text in Korean and English (and mixtures): Hangul with
// the particles that attach to it, the North and South spellings of the
// initial sound (리/이), the romanizations in use (Revised, McCune–Reischauer
// with or without breves and apostrophes, North Korean syllable-split
// spellings, traditional personal spellings), Chinese-character aliases,
// and text that was typed or pasted with invisible characters, fullwidth or
// mathematical letters, or letters from other scripts that look Latin.
//
// The package holds no key: a [Keyed] (from package keys) computes the
// HMAC that picks each pseudonym.
package pseudonym
