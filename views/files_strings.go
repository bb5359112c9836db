package views

// FileStrings are the texts about attachments.
type FileStrings struct {
	Label       string
	Hint        string
	TooLarge    string
	AttachAgain string
	Download    string
}

// EnglishFiles are the English texts about attachments.
var EnglishFiles = FileStrings{
	Label:       "Attach files",
	Hint:        "Up to 5 files, 10 MB each and 25 MB together: pictures, PDF, text or zip.",
	TooLarge:    "Your files are too large to send, so nothing was sent. At most 5 files, 10 MB each and 25 MB together.",
	AttachAgain: "Please choose your files again.",
	Download:    "Download",
}
