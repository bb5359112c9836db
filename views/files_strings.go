package views

// FileStrings are the texts about attachments.
type FileStrings struct {
	Label string `msg:"portal.files.label"`
	// Hint and TooLarge name the limits: %[1]s files, %[2]s each, %[3]s
	// together.
	Hint        string `msg:"portal.files.hint"`
	TooLarge    string `msg:"portal.files.too_large"`
	AttachAgain string `msg:"portal.files.attach_again"`
}
