package desk

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"testimony/keys"
)

// Passphrase strength, as the setup page estimates it. The estimate is
// deliberately rough and errs low: it counts how many guesses an attacker
// who knows how people choose passphrases would need, from the length, the
// kinds of characters and the number of words, and refuses the passphrases
// that lead every attacker's list. It is not a promise: a passphrase made
// of a famous quotation scores well here and falls at once.
//
// The desk refuses a passphrase that is shorter than
// [keys.MinPassphraseLength], that is (or starts with) a very common
// password, or that scores under weakBits; it accepts the rest, and says
// "fair" under strongBits. Each guess against the desk's key files costs
// an scrypt (about a second here), which is why 40 bits already stands up
// to a seized laptop for decades, but not to a password list.
const (
	weakBits   = 40
	strongBits = 60
)

// strength levels.
const (
	strengthWeak   = "weak"
	strengthFair   = "fair"
	strengthStrong = "strong"
)

// commonPasswords are passwords at the head of every leaked list, and
// Korean words as they come out when typed with the keyboard in English
// mode (사랑해 → tkfkdgo). Compared in lower case, without trailing digits
// and symbols.
var commonPasswords = map[string]bool{
	"password": true, "passw0rd": true, "qwerty": true, "qwertyuiop": true, "asdfghjkl": true,
	"zxcvbnm": true, "abcdefghij": true, "abcdefg": true, "iloveyou": true, "letmein": true,
	"welcome": true, "admin": true, "administrator": true, "princess": true, "dragon": true,
	"football": true, "baseball": true, "sunshine": true, "monkey": true, "master": true,
	"superman": true, "trustno1": true, "starwars": true, "whatever": true, "qazwsx": true,
	"1q2w3e4r": true, "1q2w3e4r5t": true, "q1w2e3r4": true, "qwer1234": true, "asdf1234": true,
	"correct horse battery staple": true, "correcthorsebatterystaple": true,
	"testimony": true, "korea": true, "seoul": true, "saranghae": true, "saranghaeyo": true,
	"tkfkdgo": true, "tkfkdgody": true, "dkssud": true, "dkssudgktpdy": true, "qlalfqjsgh": true,
	"wkdrmf": true, "rlawjddms": true, "사랑해": true, "사랑해요": true, "비밀번호": true, "안녕하세요": true,
	"대한민국": true, "password1": true, "changeme": true, "secret": true, "default": true,
}

// passphraseStrength returns an estimate of the passphrase's strength in
// bits, and whether it is on the list of common passwords.
func passphraseStrength(p string) (bits float64, common bool) {
	low := strings.ToLower(strings.TrimSpace(p))
	stem := strings.TrimRightFunc(low, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == ' ' })
	if commonPasswords[low] || commonPasswords[stem] || stem == "" {
		return 0, true
	}
	// A run of digits only is a number, like a phone number or a date.
	if strings.TrimFunc(low, unicode.IsDigit) == "" {
		return float64(utf8.RuneCountInString(low)) * math.Log2(10) / 2, false
	}
	var lower, upper, digit, symbol, hangul, other bool
	var prev rune
	effective := 0.0
	for i, r := range p {
		switch {
		case 'a' <= r && r <= 'z':
			lower = true
		case 'A' <= r && r <= 'Z':
			upper = true
		case '0' <= r && r <= '9':
			digit = true
		case unicode.Is(unicode.Hangul, r):
			hangul = true
		case r < 0x80:
			symbol = true
		default:
			other = true
		}
		// A character that repeats the last one, or follows it in order
		// (aaa, abc, 123), adds next to nothing.
		d := unicode.ToLower(r) - unicode.ToLower(prev)
		if i > 0 && (d == 0 || d == 1 || d == -1) {
			effective += 0.25
		} else {
			effective++
		}
		prev = r
	}
	pool := 0.0
	for _, c := range []struct {
		on   bool
		size float64
	}{{lower, 26}, {upper, 26}, {digit, 10}, {symbol, 33}, {hangul, 400}, {other, 100}} {
		if c.on {
			pool += c.size
		}
	}
	bits = effective * math.Log2(pool)
	// Words: an attacker guesses words, not letters. About 13 bits a word
	// (a list of 8,000 common words), plus what digits and symbols add.
	if words := strings.Fields(low); len(words) >= 2 {
		wordBits := float64(len(words))*13 + 4
		bits = min(bits, wordBits)
	}
	// A few distinct characters repeated are not a long passphrase.
	distinct := map[rune]bool{}
	for _, r := range low {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		bits = min(bits, float64(len(distinct))*math.Log2(pool)*1.5)
	}
	return bits, false
}

// strengthOf returns the level of a passphrase and the hint to show, in
// English (the page translates it).
func strengthOf(p string) (level, hint string) {
	if utf8.RuneCountInString(p) < keys.MinPassphraseLength {
		return strengthWeak, "Too short: use at least 10 characters, for example four or five unrelated words."
	}
	bits, common := passphraseStrength(p)
	switch {
	case common:
		return strengthWeak, "This is one of the most common passwords: attackers try it first. Choose another."
	case bits < weakBits:
		return strengthWeak, "Too easy to guess: make it longer, with unrelated words, or mix letters, digits and signs."
	case bits < strongBits:
		return strengthFair, "Fair: it will do, but a longer passphrase (one more word) is much stronger."
	}
	return strengthStrong, "Strong."
}
