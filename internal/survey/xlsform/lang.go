package xlsform

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/language"
)

// languageNames maps the lowercase names that forms write in their column
// headers ("label::English", "label::한국어") to language codes: the English
// name and the language's own name of the languages survey teams use.
var languageNames = map[string]string{
	"afrikaans": "af", "albanian": "sq", "shqip": "sq", "amharic": "am", "አማርኛ": "am",
	"arabic": "ar", "العربية": "ar", "armenian": "hy", "հայերեն": "hy",
	"azerbaijani": "az", "azərbaycan": "az", "bengali": "bn", "bangla": "bn", "বাংলা": "bn",
	"bosnian": "bs", "bosanski": "bs", "bulgarian": "bg", "български": "bg",
	"burmese": "my", "myanmar": "my", "မြန်မာ": "my", "catalan": "ca", "català": "ca",
	"chinese": "zh", "中文": "zh", "汉语": "zh", "漢語": "zh", "mandarin": "zh",
	"croatian": "hr", "hrvatski": "hr", "czech": "cs", "čeština": "cs",
	"danish": "da", "dansk": "da", "dutch": "nl", "nederlands": "nl",
	"english": "en", "영어": "en", "estonian": "et", "eesti": "et",
	"farsi": "fa", "persian": "fa", "فارسی": "fa", "filipino": "fil", "tagalog": "tl",
	"finnish": "fi", "suomi": "fi", "french": "fr", "français": "fr", "francais": "fr",
	"georgian": "ka", "ქართული": "ka", "german": "de", "deutsch": "de",
	"greek": "el", "ελληνικά": "el", "haitian creole": "ht", "kreyòl ayisyen": "ht",
	"hausa": "ha", "hebrew": "he", "עברית": "he", "hindi": "hi", "हिन्दी": "hi", "हिंदी": "hi",
	"hungarian": "hu", "magyar": "hu", "igbo": "ig", "indonesian": "id", "bahasa indonesia": "id",
	"italian": "it", "italiano": "it", "japanese": "ja", "日本語": "ja", "일본어": "ja",
	"kazakh": "kk", "қазақ": "kk", "khmer": "km", "ខ្មែរ": "km", "kinyarwanda": "rw",
	"korean": "ko", "한국어": "ko", "조선어": "ko", "조선말": "ko", "kurdish": "ku", "kurdî": "ku",
	"lao": "lo", "ລາວ": "lo", "latvian": "lv", "latviešu": "lv", "lingala": "ln",
	"lithuanian": "lt", "lietuvių": "lt", "luganda": "lg", "malay": "ms", "bahasa melayu": "ms",
	"mongolian": "mn", "монгол": "mn", "nepali": "ne", "नेपाली": "ne",
	"norwegian": "no", "norsk": "no", "oromo": "om", "afaan oromoo": "om",
	"pashto": "ps", "پښتو": "ps", "polish": "pl", "polski": "pl",
	"portuguese": "pt", "português": "pt", "portugues": "pt", "romanian": "ro", "română": "ro",
	"russian": "ru", "русский": "ru", "러시아어": "ru", "serbian": "sr", "српски": "sr", "srpski": "sr",
	"sinhala": "si", "සිංහල": "si", "slovak": "sk", "slovenčina": "sk",
	"slovenian": "sl", "slovenščina": "sl", "somali": "so", "soomaali": "so",
	"spanish": "es", "español": "es", "espanol": "es", "swahili": "sw", "kiswahili": "sw",
	"swedish": "sv", "svenska": "sv", "tamil": "ta", "தமிழ்": "ta", "telugu": "te", "తెలుగు": "te",
	"thai": "th", "ไทย": "th", "tigrinya": "ti", "ትግርኛ": "ti", "turkish": "tr", "türkçe": "tr",
	"ukrainian": "uk", "українська": "uk", "urdu": "ur", "اردو": "ur",
	"uzbek": "uz", "oʻzbek": "uz", "vietnamese": "vi", "tiếng việt": "vi",
	"xhosa": "xh", "isixhosa": "xh", "yoruba": "yo", "yorùbá": "yo", "zulu": "zu", "isizulu": "zu",
}

// languageWithCode is "Name (code)", as XLSForm writes a language.
var languageWithCode = regexp.MustCompile(`^(.*?)\s*\(\s*([^()\s]+)\s*\)$`)

// parseLanguage reads the language part of a column header ("English
// (en)", "English", "en", "한국어") and returns its BCP 47 code and its name
// as the header writes it. "default" is the text without a language, as
// pyxform writes it: code "".
func parseLanguage(s string) (code, name string, err error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "default") {
		return "", "", nil
	}
	if m := languageWithCode.FindStringSubmatch(s); m != nil {
		tag, err := language.Parse(m[2])
		if err != nil {
			return "", "", fmt.Errorf("%q is not a language code: write a code such as en, ko or es in the parentheses", m[2])
		}
		name = strings.TrimSpace(m[1])
		if name == "" {
			name = tag.String()
		}
		return tag.String(), name, nil
	}
	if c, ok := languageNames[strings.Join(strings.Fields(strings.ToLower(s)), " ")]; ok {
		return c, s, nil
	}
	// A bare code: label::en, LABEL::EN.
	if len(s) >= 2 && len(s) <= 3 {
		if b, err := language.ParseBase(s); err == nil {
			return b.String(), s, nil
		}
	}
	if s == "" {
		return "", "", fmt.Errorf("the language is empty: write it as Name (code), for example English (en)")
	}
	return "", "", fmt.Errorf("testimony does not know the language %q: add its code, as in %s (xx) with xx its code (en, ko, es…)", s, s)
}
