package validate

import "testing"

func TestAdminPassword(t *testing.T) {
	runStr(t, "AdminPassword", AdminPassword, []strCase{
		{"", msgRequired},
		{"short12", "must be at least 8 characters long"},
		{"éééééééé", ""},
		{"        ", ""},
		{"correct horse", ""},
		{r("a", 1024), ""},
		{r("a", 1025), "must be at most 1,024 characters"},
		{"abcdefg\xff", msgInvalidUTF8},
	})
}
