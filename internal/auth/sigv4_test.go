package auth

import "testing"

func TestEncodePath(t *testing.T) {
	for in, want := range map[string]string{
		"media/a b+c.mp4": "media/a%20b%2Bc.mp4",
		"b/ünï/~x_y-z.":   "b/%C3%BCn%C3%AF/~x_y-z.",
		"b/dir//k?=&":     "b/dir//k%3F%3D%26",
	} {
		if got := EncodePath(in); got != want {
			t.Errorf("EncodePath(%q) = %q, want %q", in, got, want)
		}
	}
}
