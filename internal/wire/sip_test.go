package wire

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
)

// TestSIPCredentialAppendJSON checks that the hand-built body is what
// encoding/json writes, and that it reads back to the same credential.
func TestSIPCredentialAppendJSON(t *testing.T) {
	c := &partnerd.SIPCredential{Username: "desk<1>&", Realm: "partnerd.local", HA1: "939e7578ed9e3c518a452acee763bce9",
		HA1SHA256: "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232", AccountAuthID: "MA_48149cf4", EndpointID: "EP_ABCDEFGH"}
	b := NewSIPCredential(c)
	want, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b.AppendJSON(nil)); got != string(want)+"\n" {
		t.Errorf("AppendJSON:\n got %s want %s", got, want)
	}
	var back SIPCredential
	if err := json.Unmarshal(b.AppendJSON(nil), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back.SIPCredential()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
