package main

// SIPp scenarios for TestKamailioPrepaidSwitch: the customers' phones and
// the carrier.

import (
	"strconv"
	"strings"
)

// The scenarios. [from] is the caller's user (-key from U); [service] the
// number called (-s N); a phone authenticates with -au/-ap.

const sipSDP = `v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
`

// sipInvite is an INVITE from a phone; CSEQ and AUTH are filled in.
const sipInvite = `<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: CSEQ INVITE
Contact: <sip:[from]@[local_ip]:[local_port]>
AUTH
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

` + sipSDP + `]]></send>
`

// sipAckNegative acknowledges a negative final answer; BRANCH is the
// branch of the INVITE it answers, CSEQ its number.
const sipAckNegative = `<send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=BRANCH
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: CSEQ ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
`

// sipPhoneProbe is an INVITE without credentials, which must be
// challenged in the realm.
func sipPhoneProbe(realm string) string {
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="probe">
` + strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite) + `
<recv response="100" optional="true"/>
<recv response="407">
  <action><ereg regexp="Digest .*realm=&quot;` + realm + `&quot;" search_in="hdr" header="Proxy-Authenticate:" check_it="true" assign_to="realm"/></action>
</recv>
<nop><action><log message="challenged in [$realm]"/></action></nop>
` + strings.NewReplacer("BRANCH", "[branch-3]", "CSEQ", "1").Replace(sipAckNegative) + `
</scenario>
`
}

// sipPhoneCall is a phone's call: challenged, then sent again with
// credentials; want is the final answer it expects. An answered call
// (200) must then be ended by a BYE from the proxy, which the phone
// answers after 300 ms, as a phone further away than loopback would:
// Kamailio 5.6 sends the callee's BYE only while the dialog is not yet
// ended by the caller's answer (README, "A real switch: Kamailio").
func sipPhoneCall(want int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone">
`)
	b.WriteString(strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="407" auth="true"/>
`)
	b.WriteString(strings.NewReplacer("BRANCH", "[branch-3]", "CSEQ", "1").Replace(sipAckNegative))
	b.WriteString(strings.NewReplacer("CSEQ", "2", "AUTH", "[authentication]").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="183" optional="true"/>
`)
	if want != 200 {
		b.WriteString(`<recv response="` + strconv.Itoa(want) + `"/>
`)
		b.WriteString(strings.NewReplacer("BRANCH", "[branch-5]", "CSEQ", "2").Replace(sipAckNegative))
	} else {
		b.WriteString(`<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv request="BYE"/>
<pause milliseconds="300"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
`)
	}
	b.WriteString("</scenario>\n")
	return b.String()
}

// sipPhoneCancel is a phone's call, with credentials, that the caller
// cancels while it rings.
func sipPhoneCancel() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone-cancel">
`)
	b.WriteString(strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="407" auth="true"/>
`)
	b.WriteString(strings.NewReplacer("BRANCH", "[branch-3]", "CSEQ", "1").Replace(sipAckNegative))
	b.WriteString(strings.NewReplacer("CSEQ", "2", "AUTH", "[authentication]").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="180"/>
<pause milliseconds="500"/>
<send><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
<recv response="487"/>
`)
	b.WriteString(strings.NewReplacer("BRANCH", "[branch-7]", "CSEQ", "2").Replace(sipAckNegative))
	b.WriteString("</scenario>\n")
	return b.String()
}

// sipRegister registers the phone [from] with the contact port
// [contact_port] (-key contact_port P), where another SIPp answers; want is
// the answer to the REGISTER with credentials.
func sipRegister(want int) string {
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[from]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[from]@[local_ip]:[contact_port]>
Expires: 300
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="401" auth="true"/>
<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[from]@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[from]@[local_ip]:[contact_port]>
[authentication]
Expires: 300
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="` + strconv.Itoa(want) + `"/>
</scenario>
`
}

// sipAnswer answers one INVITE (as a phone does, or the carrier) and waits
// for the other side's BYE.
const sipAnswer = `
<send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
<send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

` + sipSDP + `]]></send>
<recv request="ACK" crlf="true"/>
<recv request="BYE"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
`

// sipPhoneAnswer is a registered phone that answers one call.
const sipPhoneAnswer = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone-answer">
<recv request="INVITE" crlf="true"/>
` + sipAnswer + `</scenario>
`

// sipCarrier is the carrier: a number ending in 486 is busy, one ending in
// 408 rings until the proxy gives up (CANCEL), any other answers and waits
// for the BYE.
const sipCarrier = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier">
<recv request="INVITE" crlf="true">
  <action>
    <ereg regexp="^INVITE sip:[^@]*486@" search_in="msg" check_it="false" assign_to="busy"/>
    <ereg regexp="^INVITE sip:[^@]*408@" search_in="msg" check_it="false" assign_to="ring"/>
    <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" check_it="true" assign_to="invcseq"/>
  </action>
</recv>
<nop next="busy" test="busy"/>
<nop next="ring" test="ring"/>
` + sipAnswer + `<nop next="end"/>
<label id="busy"/>
<send><![CDATA[
SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
<recv request="ACK"/>
<nop next="end"/>
<label id="ring"/>
<send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
<recv request="CANCEL"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
<send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invcseq] INVITE
Content-Length: 0

]]></send>
<recv request="ACK"/>
<label id="end"/>
</scenario>
`

// sipCarrierCall is the carrier calling a DID ([service]) from
// +14155550100; want is the final answer it expects. Answered, it hangs up
// after a second.
func sipCarrierCall(want int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier-call">
`)
	b.WriteString(strings.NewReplacer("CSEQ", "1", "AUTH\n", "").Replace(sipInvite))
	b.WriteString(`<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="183" optional="true"/>
`)
	if want != 200 {
		b.WriteString(`<recv response="` + strconv.Itoa(want) + `"/>
`)
		b.WriteString(strings.NewReplacer("BRANCH", "[branch-5]", "CSEQ", "1").Replace(sipAckNegative))
	} else {
		b.WriteString(`<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<pause milliseconds="1000"/>
<send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[from]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
`)
	}
	b.WriteString("</scenario>\n")
	return b.String()
}
