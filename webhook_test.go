package partnerd

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestWebhookEndpointInputValidate(t *testing.T) {
	for _, tc := range []struct {
		in     WebhookEndpointInput
		fields []string
	}{
		{WebhookEndpointInput{URL: "https://hooks.example/x"}, nil},
		{WebhookEndpointInput{URL: "http://10.0.0.1:8080/x", EventTypes: []string{EventBalanceLow}}, nil},
		{WebhookEndpointInput{URL: ""}, []string{"url"}},
		{WebhookEndpointInput{URL: "ftp://hooks.example"}, []string{"url"}},
		{WebhookEndpointInput{URL: "https://"}, []string{"url"}},
		{WebhookEndpointInput{URL: "https://u:p@hooks.example"}, []string{"url"}},
		{WebhookEndpointInput{URL: "https://hooks.example/#frag"}, []string{"url"}},
		{WebhookEndpointInput{URL: "https://hooks.example:65535/x"}, nil},
		{WebhookEndpointInput{URL: "https://hooks.example:0/x"}, []string{"url"}},
		{WebhookEndpointInput{URL: "https://hooks.example:99999/x"}, []string{"url"}},
		{WebhookEndpointInput{URL: "http://[::1]:65536/x"}, []string{"url"}},
		{WebhookEndpointInput{URL: "https://hooks.example/" + strings.Repeat("a", 2048)}, []string{"url"}},
		{WebhookEndpointInput{URL: "https://hooks.example", EventTypes: []string{"ping"}}, []string{"event_types"}},
		{WebhookEndpointInput{URL: "x", EventTypes: []string{"nope"}}, []string{"url", "event_types"}},
	} {
		err := tc.in.Validate()
		var got []string
		if e, ok := err.(*Error); ok {
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
		} else if err != nil {
			t.Fatalf("%+v: %v", tc.in, err)
		}
		if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
			t.Errorf("Validate(%q, %v) fields %v, want %v", tc.in.URL, tc.in.EventTypes, got, tc.fields)
		}
	}
	in := WebhookEndpointInput{URL: "https://h.example", EventTypes: []string{EventNumberAssigned, EventBalanceLow, EventNumberAssigned}}
	if err := in.Validate(); err != nil || strings.Join(in.EventTypes, ",") != "balance.low,number.assigned" {
		t.Errorf("types = %v, %v; want sorted without repeats", in.EventTypes, err)
	}
}

func TestWebhookIDs(t *testing.T) {
	s := NewWebhookSecret()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if !strings.HasPrefix(s, "whsec_") || err != nil || len(raw) != 32 {
		t.Errorf("NewWebhookSecret = %q", s)
	}
	if id := NewWebhookEndpointID(); !IsWebhookEndpointID(id) {
		t.Errorf("NewWebhookEndpointID = %q", id)
	}
	if id := NewEventID(time.Now()); !IsEventID(id) {
		t.Errorf("NewEventID = %q", id)
	}
	for s, want := range map[string]int64{"msgd_1": 1, "msgd_123456": 123456, "msgd_0": -1, "msgd_01": -1, "msgd_": -1, "msgd_1a": -1,
		"dlv_1": -1, "msgd_9999999999999999999": -1} {
		n, ok := ParseDeliveryID(s)
		if (want < 0 && ok) || (want >= 0 && (!ok || n != want)) {
			t.Errorf("ParseDeliveryID(%q) = %d, %v; want %d", s, n, ok, want)
		}
	}
	if DeliveryID(42) != "msgd_42" {
		t.Errorf("DeliveryID(42) = %q", DeliveryID(42))
	}
}

func TestAutoTopupInputValidate(t *testing.T) {
	ok := AutoTopupInput{Enabled: true, Threshold: 10000, TargetBalance: 50000, MaxPerDay: 200000, MaxPerMonth: 2000000, MaxCountPerDay: 5}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid settings: %v", err)
	}
	bad := AutoTopupInput{Threshold: -1, TargetBalance: -1, MaxCountPerDay: 1001}
	e, _ := bad.Validate().(*Error)
	if e == nil || len(e.Fields) != 5 {
		t.Errorf("bad settings: %v, want 5 fields", bad.Validate())
	}
}
