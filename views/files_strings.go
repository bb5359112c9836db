package views

import "fmt"

// FileStrings are the texts about attachments.
type FileStrings struct {
	Label string `msg:"portal.files.label"`
	// Hint and TooLarge name the limits: %[1]s files, %[2]s each, %[3]s
	// together.
	Hint     string `msg:"portal.files.hint"`
	TooLarge string `msg:"portal.files.too_large"`
	// Refused says why the files sent were refused (%s: validate's
	// message) and asks for them again.
	Refused string `msg:"portal.files.refused"`
}

// FileProblem words a refusal of the files sent; msg is the field's
// message in this language (Field), "" when none.
func (s Strings) FileProblem(msg string) string {
	if msg == "" {
		return ""
	}
	return fmt.Sprintf(s.Files.Refused, msg)
}
