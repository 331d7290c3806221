package risk

// asnRecord is where each shared network's registry record is read: the
// RIR handle and organisation of the AS, as collected in ipverse/asn-ip.
const asnRecord = "RIR record via github.com/ipverse/asn-ip "

// ShippedSharedNetworks returns the shipped shared-address networks: mobile
// carriers of the largest markets whose subscribers reach the internet
// through carrier-grade NAT, so that one address seen from them stands for
// many people rather than one. The entries are editable defaults; the
// settings carry the editable copy. Where the operator's mobile traffic
// shares an AS with its fixed-line customers, the name says so.
func ShippedSharedNetworks() []SharedNetwork {
	return []SharedNetwork{
		// United States.
		{ASN: 21928, Name: "T-Mobile USA (US)", Source: asnRecord + "as/21928/aggregated.json (T-MOBILE, T-Mobile USA, Inc.); https://www.ip-trackers.com/isp/t-mobile-us"},
		{ASN: 22394, Name: "Verizon Wireless (US)", Source: asnRecord + "as/22394/aggregated.json (CELLCO); Cellco Partnership is d/b/a Verizon Wireless: https://transition.fcc.gov/eb/Orders/2012/DA-12-392A1.html"},
		{ASN: 6167, Name: "Verizon Wireless (US)", Source: asnRecord + "as/6167/aggregated.json (CELLCO-PART); Cellco Partnership is d/b/a Verizon Wireless: https://transition.fcc.gov/eb/Orders/2012/DA-12-392A1.html"},
		{ASN: 20057, Name: "AT&T Mobility (US)", Source: asnRecord + "as/20057/aggregated.json (ATT-MOBILITY-LLC)"},

		// United Kingdom.
		{ASN: 12576, Name: "EE (GB)", Source: asnRecord + "as/12576/aggregated.json (EE, EE Limited)"},
		{ASN: 25135, Name: "Vodafone UK (GB)", Source: asnRecord + "as/25135/aggregated.json (VODAFONE-UK, Vodafone Limited); Vodafone UK Wi-Fi calling range 88.82.0.0/19 in github.com/iniwex5/tools rules/UK-wifi-call.list"},
		{ASN: 35228, Name: "Virgin Media O2, O2 mobile (GB)", Source: asnRecord + "as/35228/aggregated.json (O2BROADBAND, Telefonica UK Limited); giffgaff (O2 network) range 87.194.0.0/16 in github.com/iniwex5/tools rules/UK-wifi-call.list"},
		{ASN: 206067, Name: "Three UK (GB)", Source: asnRecord + "as/206067/aggregated.json (H3GUK, Hutchison 3G UK Limited)"},

		// Germany.
		{ASN: 3320, Name: "Deutsche Telekom (DE, fixed and mobile)", Source: asnRecord + "as/3320/aggregated.json (DTAG, Deutsche Telekom AG)"},
		{ASN: 3209, Name: "Vodafone Germany (DE, fixed and mobile)", Source: asnRecord + "as/3209/aggregated.json (VODANET, Vodafone GmbH)"},
		{ASN: 6805, Name: "Telefonica Germany / O2 (DE, fixed and mobile)", Source: asnRecord + "as/6805/aggregated.json (TDDE-ASN1, Telefonica Germany GmbH & Co.OHG)"},

		// France.
		{ASN: 3215, Name: "Orange (FR, fixed and mobile)", Source: asnRecord + "as/3215/aggregated.json (ORANGE-SA, Orange S.A.)"},
		{ASN: 15557, Name: "SFR (FR, fixed and mobile)", Source: asnRecord + "as/15557/aggregated.json (LDCOMNET, Societe Francaise Du Radiotelephone - SFR SA)"},
		{ASN: 5410, Name: "Bouygues Telecom (FR, fixed and mobile)", Source: asnRecord + "as/5410/aggregated.json (BOUYGTEL-ISP)"},
		{ASN: 51207, Name: "Free Mobile (FR)", Source: asnRecord + "as/51207/aggregated.json (FREEM, Free Mobile SAS)"},

		// India.
		{ASN: 55836, Name: "Reliance Jio (IN)", Source: asnRecord + "as/55836/aggregated.json (RELIANCEJIO-IN, Reliance Jio Infocomm Limited)"},
		{ASN: 45609, Name: "Bharti Airtel mobile (IN)", Source: asnRecord + "as/45609/aggregated.json (BHARTI-MOBILITY-AP, Bharti Airtel Limited)"},
		{ASN: 38266, Name: "Vodafone Idea / Vi (IN)", Source: asnRecord + "as/38266/aggregated.json (VIL-AP, Vodafone Idea Ltd. (VIL))"},

		// Brazil.
		{ASN: 26615, Name: "TIM Brasil (BR)", Source: asnRecord + "as/26615/aggregated.json (TIM, TIM S/A)"},
		{ASN: 26599, Name: "Vivo / Telefonica Brasil (BR, fixed and mobile)", Source: asnRecord + "as/26599/aggregated.json (TELEFNICA-BRASIL, TELEFNICA BRASIL S.A)"},

		// Japan.
		{ASN: 9605, Name: "NTT Docomo (JP)", Source: asnRecord + "as/9605/aggregated.json (DOCOMO, NTT DOCOMO, INC.)"},
		{ASN: 2516, Name: "KDDI / au (JP, fixed and mobile)", Source: asnRecord + "as/2516/aggregated.json (KDDI, KDDI CORPORATION)"},

		// Indonesia.
		{ASN: 23693, Name: "Telkomsel (ID)", Source: asnRecord + "as/23693/aggregated.json (TELKOMSEL-ASN-ID, PT. Telekomunikasi Selular)"},
		{ASN: 4761, Name: "Indosat (ID, fixed and mobile)", Source: asnRecord + "as/4761/aggregated.json (INDOSAT-INP-AP, PT. INDOSAT Tbk)"},
		{ASN: 24203, Name: "XL Axiata (ID)", Source: asnRecord + "as/24203/aggregated.json (NAPXLNET-ID, PT XL Axiata)"},

		// Mexico.
		{ASN: 28403, Name: "Telcel / RadioMovil Dipsa (MX)", Source: asnRecord + "as/28403/aggregated.json (RADIOMOVIL-DIPSA, RadioMovil Dipsa, S.A. de C.V.)"},

		// Nigeria.
		{ASN: 29465, Name: "MTN Nigeria (NG)", Source: asnRecord + "as/29465/aggregated.json (VCG, MTN NIGERIA Communication limited)"},
		{ASN: 36873, Name: "Airtel Nigeria (NG)", Source: asnRecord + "as/36873/aggregated.json (VNL1, Airtel Networks Limited)"},
		{ASN: 37148, Name: "Globacom (NG)", Source: asnRecord + "as/37148/aggregated.json (GLOBACOM, Globacom Limited)"},
	}
}

// Sources of the shipped cost ranges.
const (
	// fccOneRing2012 reports the FCC's "One Ring" wireless phone scam
	// advisory, which names 809, 284, 876 and 649.
	fccOneRing2012 = "FCC 'One Ring' wireless scam advisory, as reported at https://www.clickondetroit.com/consumer/2012/04/24/ruth-to-the-rescue-warns-you-about-strange-area-codes-showing-up-on-your-caller-id"
	// bbbOneRing2014 is the BBB of Minnesota and North Dakota warning that
	// names 473 most often, then 809, 876, 284 and 268.
	bbbOneRing2014 = "BBB of Minnesota and North Dakota warning, as published at http://rjnews.blogspot.com/2014/02/bbb-says-watch-out-for-mystery-calls-to.html"
	// nbcScamCodes2017 is the "473 scam" list of international +1 area
	// codes.
	nbcScamCodes2017 = "'473 scam' area code list, http://www.nbcmiami.com/news/local/Callers-Advised-of-Latest-Phone-Scam-Involving-International-Numbers-415793213.html"
)

// ShippedCostRanges returns the shipped cost ranges: number ranges that
// cost more to call than their number type says. The +1 area codes of
// Caribbean countries look domestic to callers in the US and Canada but
// are billed as international calls, and they and the West African
// country codes below are named in "one ring" (wangiri) call-back scam
// warnings. The entries are editable defaults; the settings carry the
// editable copy.
func ShippedCostRanges() []CostRange {
	return []CostRange{
		// Caribbean +1 area codes.
		{Prefix: "+1809", Name: "Dominican Republic (+1 809), international", Source: fccOneRing2012, Date: "2012-04-24"},
		{Prefix: "+1284", Name: "British Virgin Islands (+1 284), international", Source: fccOneRing2012, Date: "2012-04-24"},
		{Prefix: "+1876", Name: "Jamaica (+1 876), international", Source: fccOneRing2012, Date: "2012-04-24"},
		{Prefix: "+1649", Name: "Turks and Caicos Islands (+1 649), international", Source: fccOneRing2012, Date: "2012-04-24"},
		{Prefix: "+1473", Name: "Grenada (+1 473), international", Source: bbbOneRing2014, Date: "2014-02-04"},
		{Prefix: "+1268", Name: "Antigua and Barbuda (+1 268), international", Source: bbbOneRing2014, Date: "2014-02-04"},
		{Prefix: "+1829", Name: "Dominican Republic (+1 829), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1849", Name: "Dominican Republic (+1 849), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1242", Name: "Bahamas (+1 242), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1441", Name: "Bermuda (+1 441), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1784", Name: "St. Vincent and the Grenadines (+1 784), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1246", Name: "Barbados (+1 246), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1264", Name: "Anguilla (+1 264), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1868", Name: "Trinidad and Tobago (+1 868), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1664", Name: "Montserrat (+1 664), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1721", Name: "Sint Maarten (+1 721), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1758", Name: "St. Lucia (+1 758), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1869", Name: "St. Kitts and Nevis (+1 869), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1345", Name: "Cayman Islands (+1 345), international", Source: nbcScamCodes2017, Date: "2017-03-09"},
		{Prefix: "+1767", Name: "Dominica (+1 767), international", Source: nbcScamCodes2017, Date: "2017-03-09"},

		// Country codes named in the FCC's 2019 one-ring alert.
		{Prefix: "+222", Name: "Mauritania, one-ring call-back destination", Source: "FCC consumer alert of 2019-05-03, as reported at https://www.clickondetroit.com/consumer/help-me-hank/fcc-warns-of-one-ring-robocall-scam-what-to-know", Date: "2019-05-03"},
		{Prefix: "+232", Name: "Sierra Leone, one-ring call-back destination", Source: "FCC one-ring press release, as reported at https://usanewsgroup.com/2019/05/06/fcc-warning-against-one-ring-scam-calls", Date: "2019-05-06"},
	}
}
