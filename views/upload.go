package views

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
)

// uploadJS checks chosen files and shows the upload's progress on the
// forms that take files; both work without it.
//
//go:embed upload.js
var uploadJS []byte

// uploadName is the script's served name: its content's hash in it, so it
// can be cached for good and a new build is a new name.
var uploadName = func() string {
	sum := sha256.Sum256(uploadJS)
	return "upload." + hex.EncodeToString(sum[:6]) + ".js"
}()

// AssetsPrefix is where the pages' static files are served.
const AssetsPrefix = "/portal/assets/"

// UploadScript returns the upload script's served name (under
// AssetsPrefix) and its content, which the caller must not change.
func UploadScript() (name string, body []byte) { return uploadName, uploadJS }

// uploadScriptURL is the script's address for <script src>.
func uploadScriptURL() string { return AssetsPrefix + uploadName }
