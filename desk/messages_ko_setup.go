package desk

// Korean for the texts of the setup page (setup*.go, templates/setup.html).
// Kept apart from messages_ko.go so that both can be edited at the same
// time; the test that finds texts without Korean covers both. The words
// follow docs/glossary.md: passphrase 암호 (never 암호문, which is
// ciphertext), custodian 신원관리자.
func init() {
	for en, k := range map[string]string{
		// The page.
		"Set up this desk":      "이 데스크 설정하기",
		"Waiting for the admin": "관리자를 기다리는 중",
		"This computer has no desk yet. You need what the admin gave you: an invitation file (on a USB stick), or the server's address and the admin key; and a one-time enrollment code. Your keys are made here and never leave this computer.": "이 컴퓨터에는 아직 데스크가 없습니다. 관리자에게 받은 것이 필요합니다: 초대 파일(USB 메모리에 담긴 것) 또는 서버 주소와 관리자 키, 그리고 한 번만 쓰는 등록 코드입니다. 키는 이 컴퓨터에서 만들어지며 이 컴퓨터를 떠나지 않습니다.",
		"1. Your role": "1. 역할",
		"Interviewer":  "면담자",
		"Reviewer":     "검토자",
		"Custodian":    "신원관리자",
		"writes and seals interviews on this laptop":       "이 노트북에서 면담을 작성하고 봉인합니다",
		"reads and searches the testimony":                 "증언을 읽고 검색합니다",
		"re-identifies a pseudonym when there is a reason": "이유가 있을 때 가명의 실제 신원을 확인합니다",
		"2. What the admin gave you":                       "2. 관리자에게 받은 것",
		"Invitation file":                                  "초대 파일",
		"The file carries the server's address and the admin key. An interviewer's laptop needs it: it also carries the organisation's pseudonym key, locked with your code.": "이 파일에는 서버 주소와 관리자 키가 들어 있습니다. 면담자의 노트북에는 반드시 필요합니다: 등록 코드로 잠긴 단체의 가명 키도 들어 있기 때문입니다.",
		"No invitation file? (reviewers and custodians)": "초대 파일이 없습니까? (검토자와 신원관리자)",
		"Server address": "서버 주소",
		"Admin key":      "관리자 키",
		"Take the admin key from the admin, never from the server or a web page. After setup this page shows its fingerprint, to compare with the admin's.": "관리자 키는 반드시 관리자에게 직접 받으십시오. 서버나 웹 페이지에서 가져오면 안 됩니다. 설정이 끝나면 이 페이지에 키의 지문이 표시되니, 관리자의 것과 비교하십시오.",
		"Enrollment code": "등록 코드",
		"The code works once and for 15 minutes. The admin gives it to you on paper or over the phone, not with the file.": "코드는 한 번만, 15분 동안 쓸 수 있습니다. 관리자는 파일과 따로, 종이에 적어 주거나 전화로 알려 줍니다.",
		"3. Your passphrase": "3. 암호",
		"It protects your keys on this computer. Nobody can recover it: if you forget it, the admin must set up your desk again. Several unrelated words are strong and easy to remember.": "암호는 이 컴퓨터에 있는 키를 보호합니다. 아무도 되찾아 줄 수 없으므로, 잊으면 관리자가 데스크를 처음부터 다시 설정해야 합니다. 서로 관계없는 단어 여러 개를 이어 쓰면 강하고 기억하기도 쉽습니다.",
		"New passphrase":                        "새 암호",
		"The same passphrase again":             "같은 암호 한 번 더",
		"Make my keys and enroll":               "키를 만들고 등록하기",
		"Passphrase":                            "암호",
		"Type your passphrase.":                 "암호를 입력하십시오.",
		"1. Read this fingerprint to the admin": "1. 이 지문을 관리자에게 읽어 주십시오",
		"Your keys were made on this computer and are protected by your passphrase. The server enrolled this desk as %s (%s) of %s.":                                                      "키가 이 컴퓨터에서 만들어졌고 암호로 보호됩니다. 서버는 이 데스크를 %[3]s의 %[1]s(%[2]s)(으)로 등록했습니다.",
		"Read it to the admin over the phone or in person, not by e-mail or chat: the admin compares it with the key they add to the roster, so that nobody can swap the key on the way.": "이메일이나 메신저가 아니라 전화로 또는 직접 만나서 읽어 주십시오. 관리자는 명단에 추가하는 키와 이 지문을 비교합니다. 그래야 중간에 누가 키를 바꿔치기할 수 없습니다.",
		"2. Give the admin this file":               "2. 이 파일을 관리자에게 전달하십시오",
		"this laptop's public key":                  "이 노트북의 공개 키",
		"your public key (recipient)":               "공개 키(수신자 키)",
		"your signing key for annotations (public)": "메모 서명용 키(공개)",
		"It holds only public keys: it may travel by USB stick or e-mail. Your private keys never leave this computer.": "공개 키만 들어 있으므로 USB 메모리나 이메일로 보내도 됩니다. 개인 키는 이 컴퓨터를 떠나지 않습니다.",
		"What the admin runs":    "관리자가 실행할 명령",
		"3. Check the admin key": "3. 관리자 키 확인하기",
		"This desk trusts only rosters signed by the admin key with this fingerprint:":                                                        "이 데스크는 다음 지문을 가진 관리자 키로 서명된 명단만 믿습니다:",
		"Ask the admin to read out theirs ('testimony invite' prints it). If the two differ, stop: do not use this desk, and tell the admin.": "관리자에게 관리자 키의 지문을 읽어 달라고 하십시오('testimony invite'가 출력합니다). 둘이 다르면 멈추십시오: 이 데스크를 쓰지 말고 관리자에게 알리십시오.",
		"4. When the admin has added your key": "4. 관리자가 키를 추가한 뒤",
		"Until the admin adds your key to the roster and publishes it, this desk cannot open. Then type your passphrase here.": "관리자가 키를 명단에 추가해 게시하기 전에는 이 데스크를 열 수 없습니다. 그 뒤에 여기에 암호를 입력하십시오.",
		"Check the roster and open my desk": "명단을 확인하고 데스크 열기",

		// Strength.
		"Too short: use at least 10 characters, for example four or five unrelated words.":           "너무 짧습니다: 10자 이상으로, 예를 들어 서로 관계없는 단어 네다섯 개로 만드십시오.",
		"This is one of the most common passwords: attackers try it first. Choose another.":          "가장 흔한 비밀번호 가운데 하나입니다: 공격자가 가장 먼저 시도합니다. 다른 것을 고르십시오.",
		"Too easy to guess: make it longer, with unrelated words, or mix letters, digits and signs.": "너무 쉽게 추측됩니다: 서로 관계없는 단어를 더해 길게 만들거나, 글자와 숫자와 기호를 섞으십시오.",
		"Fair: it will do, but a longer passphrase (one more word) is much stronger.":                "보통: 쓸 수는 있지만, 단어 하나를 더하면 훨씬 강해집니다.",
		"Strong.": "강함.",

		// Refusals.
		"An interviewer's laptop is set up with the invitation file from the admin: it carries the organisation's pseudonym key. Open it above.": "면담자의 노트북은 관리자에게 받은 초대 파일로 설정합니다: 단체의 가명 키가 그 안에 있습니다. 위에서 파일을 여십시오.",
		"Choose your role: interviewer, reviewer or custodian.":                                                                                  "역할을 고르십시오: 면담자, 검토자 또는 신원관리자.",
		"The admin key is not one. Paste the whole line the admin gave you (it looks like name+1a2b3c4d+…).":                                     "관리자 키가 아닙니다. 관리자에게 받은 한 줄 전체를 붙여 넣으십시오(name+1a2b3c4d+… 와 같은 모양입니다).",
		"The desk could not be set up.": "데스크를 설정하지 못했습니다.",
		"The desk could not fetch the roster from the server. Check that this computer is online, and try again.":                                                        "서버에서 명단을 가져오지 못했습니다. 이 컴퓨터가 인터넷에 연결되어 있는지 확인하고 다시 시도하십시오.",
		"The desk could not reach the server at this address. Check the address, and that this computer is online, and try again: the code was not used.":                "이 주소의 서버에 연결하지 못했습니다. 주소와 인터넷 연결을 확인하고 다시 시도하십시오. 코드는 사용되지 않았습니다.",
		"The enrollment code is four groups of five letters and digits, like ABCDE-FGHIJ-KLMNO-PQRST. Check what you typed.":                                             "등록 코드는 ABCDE-FGHIJ-KLMNO-PQRST처럼 글자와 숫자 다섯 개씩 네 묶음입니다. 입력한 것을 확인하십시오.",
		"The invitation's pseudonym key could not be opened.":                                                                                                            "초대 파일의 가명 키를 열지 못했습니다.",
		"The proxy to reach the server cannot be used.":                                                                                                                  "서버에 연결할 프록시를 사용할 수 없습니다.",
		"The roster (version %d) does not list this desk's key yet. Read the fingerprint to the admin, give them the key file, and check again once they have added it.": "명단(버전 %d)에 아직 이 데스크의 키가 없습니다. 관리자에게 지문을 읽어 주고 키 파일을 전달한 뒤, 관리자가 추가하면 다시 확인하십시오.",
		"The roster names no log key for the server, so its receipts cannot be checked. Ask the admin to add it.":                                                        "명단에 서버의 기록 키가 없어 영수증을 확인할 수 없습니다. 관리자에게 추가해 달라고 하십시오.",
		"The server at this address did not answer as a testimony server. Check the address the admin gave you.":                                                         "이 주소의 서버는 testimony 서버처럼 응답하지 않았습니다. 관리자에게 받은 주소를 확인하십시오.",
		"The server did not give its roster. Try again later; the code is used up, so ask the admin for a new one.":                                                      "서버가 명단을 주지 않았습니다. 코드는 이미 사용되었으니, 나중에 관리자에게 새 코드를 받아 다시 시도하십시오.",
		"The server does not accept this code: it is mistyped, already used, or older than 15 minutes. Check it, or ask the admin for a new one.":                        "서버가 이 코드를 받지 않습니다: 잘못 입력했거나, 이미 사용했거나, 15분이 지났습니다. 확인하거나 관리자에게 새 코드를 받으십시오.",
		"The server refused the enrollment: the code may be for another role. Ask the admin which role it is for.":                                                       "서버가 등록을 거부했습니다: 다른 역할의 코드일 수 있습니다. 어느 역할의 코드인지 관리자에게 물어보십시오.",
		"The server refused this laptop's key for this device. Ask the admin.":                                                                                           "서버가 이 기기에 대해 이 노트북의 키를 거부했습니다. 관리자에게 문의하십시오.",
		"The server says this code is for a %s (device %q), not for this desk. The code is used up: ask the admin for a new one, for the right role.":                    "서버에 따르면 이 코드는 이 데스크가 아니라 %s(기기 %q)의 코드입니다. 코드는 이미 사용되었으니 관리자에게 맞는 역할의 새 코드를 받으십시오.",
		"The server's address must look like https://intake.example.org. Copy it exactly as the admin gave it.":                                                          "서버 주소는 https://intake.example.org 와 같은 모양이어야 합니다. 관리자에게 받은 그대로 옮겨 적으십시오.",
		"The server's roster is not signed by the admin key you gave. Do not use this server: tell the admin, and check the server's address and the admin key.":         "서버의 명단이 입력한 관리자 키로 서명되지 않았습니다. 이 서버를 쓰지 마십시오: 관리자에게 알리고, 서버 주소와 관리자 키를 확인하십시오.",
		"The server's roster was refused: it is not signed by the admin key, or older than the one this desk has. Tell the admin.":                                       "서버의 명단을 거부했습니다: 관리자 키로 서명되지 않았거나, 이 데스크에 있는 것보다 오래된 명단입니다. 관리자에게 알리십시오.",
		"The two passphrases are not the same. Type the same passphrase twice.":                                                                                          "두 암호가 같지 않습니다. 같은 암호를 두 번 입력하십시오.",
		"This code does not belong to this invitation. Check the code, or ask the admin which code goes with the file.":                                                  "이 코드는 이 초대 파일의 코드가 아닙니다. 코드를 확인하거나, 어느 코드가 이 파일과 짝인지 관리자에게 물어보십시오.",
		"This desk already has a profile.": "이 데스크에는 이미 프로필이 있습니다.",
		"This file is not a desk invitation. Open the file the admin gave you (it ends in .json), or fill in the server's address and the admin key instead.": "이 파일은 데스크 초대 파일이 아닙니다. 관리자에게 받은 파일(.json으로 끝납니다)을 열거나, 대신 서버 주소와 관리자 키를 입력하십시오.",
		"This invitation is for the role %s, but you chose %s. Choose the role the admin gave you.":                                                           "이 초대 파일은 %s 역할용인데 %s을(를) 골랐습니다. 관리자가 정해 준 역할을 고르십시오.",
		"This passphrase cannot be used. Use letters, digits, spaces and signs only.":                                                                         "이 암호는 쓸 수 없습니다. 글자, 숫자, 띄어쓰기, 기호만 쓰십시오.",
		"The form could not be read; the invitation file may be too large to be one.":                                                                         "양식을 읽지 못했습니다. 초대 파일이라기에는 너무 큰 파일일 수 있습니다.",
		"The invitation file could not be read.":                                                                                                              "초대 파일을 읽지 못했습니다.",
	} {
		if _, ok := ko[en]; !ok {
			ko[en] = k
		}
	}
}
