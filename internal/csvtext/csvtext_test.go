package csvtext

import "testing"

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"plain":                    "plain",
		"a=b":                      "a=b",
		"=SUM(A1:A2)":              "'=SUM(A1:A2)",
		"@SUM(1)":                  "'@SUM(1)",
		"-2+3":                     "'-2+3",
		"+HYPERLINK(\"http://x\")": "'+HYPERLINK(\"http://x\")",
		"+cmd|' /C calc'!A0":       "'+cmd|' /C calc'!A0",
		"\tTAB":                    "'\tTAB",
		"\rCR":                     "'\rCR",
		"+14155550100":             "+14155550100",
		"-2.5":                     "-2.5",
		"+1.":                      "'+1.",
		"+.5":                      "'+.5",
		"+":                        "'+",
		"-":                        "'-",
		"=1":                       "'=1",
		"@1":                       "'@1",
		"+1.2.3":                   "'+1.2.3",
		"9876543":                  "9876543",
		"-0001":                    "-0001",
		"+91 22 7126 4217":         "'+91 22 7126 4217",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
	if OptSafe(nil) != "" {
		t.Error("OptSafe(nil) is not empty")
	}
	s := "=1"
	if OptSafe(&s) != "'=1" {
		t.Errorf("OptSafe(%q) = %q", s, OptSafe(&s))
	}
}
