package risk

// SharedNetwork is one autonomous system on the shipped shared-address
// list: a mobile carrier or other operator whose subscribers reach the
// internet through carrier-grade NAT, so one address carries many people.
type SharedNetwork struct {
	// ASN is the AS number.
	ASN uint `json:"asn"`
	// Name is the operator and country, e.g. "T-Mobile USA (US)".
	Name string `json:"name"`
	// Source says where the entry comes from: a public registry record or
	// document that names the AS as the operator's mobile network.
	Source string `json:"source"`
}

// CostRange is a range of numbers that costs more to call than its number
// type says: domestic ranges known for access stimulation (traffic
// pumping) and revenue-share ranges that number types miss.
type CostRange struct {
	// Prefix is the range in E.164 with its leading +, e.g. "+1712".
	Prefix string `json:"prefix"`
	// Name says what the range is, e.g. "rural Iowa exchange".
	Name string `json:"name"`
	// Source says where the entry comes from.
	Source string `json:"source"`
	// Date is when the source said so, as YYYY-MM-DD or YYYY-MM.
	Date string `json:"date"`
}
