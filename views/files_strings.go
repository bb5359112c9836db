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
	// What the page's script (upload.js) says about the files chosen,
	// before sending: TooMany has the most files, TotalTooLarge the most
	// together, FileTooLarge the most each and {file} where the script puts
	// the file's name.
	TooMany       string `msg:"portal.files.too_many"`
	FileTooLarge  string `msg:"portal.files.file_too_large"`
	TotalTooLarge string `msg:"portal.files.total_too_large"`
}

// FileProblem words a refusal of the files sent; msg is the field's
// message in this language (Field), "" when none.
func (s Strings) FileProblem(msg string) string {
	if msg == "" {
		return ""
	}
	return fmt.Sprintf(s.Files.Refused, msg)
}
