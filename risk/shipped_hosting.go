package risk

// HostingNetwork is a shipped hosting or cloud network: its AS number and
// the provider's name.
type HostingNetwork struct {
	ASN  uint   `json:"asn"`
	Name string `json:"name"`
}

// ShippedHostingNetworks returns the major hosting and cloud networks
// DefaultHostingASNs lists, with their providers' names, so the console
// can name them.
func ShippedHostingNetworks() []HostingNetwork {
	return []HostingNetwork{
		{16509, "Amazon"}, {14618, "Amazon"},
		{15169, "Google"}, {396982, "Google Cloud"},
		{8075, "Microsoft"},
		{14061, "DigitalOcean"},
		{16276, "OVH"},
		{24940, "Hetzner"},
		{63949, "Akamai Linode"},
		{20473, "Vultr (Choopa)"},
		{12876, "Scaleway"},
		{51167, "Contabo"},
		{31898, "Oracle Cloud"},
		{45102, "Alibaba"},
		{132203, "Tencent"},
		{9009, "M247"},
		{60068, "Datacamp (CDN77)"},
		{212238, "Datacamp"},
		{13335, "Cloudflare"},
		{36352, "ColoCrossing"},
		{53667, "FranTech (BuyVM)"},
		{40021, "Contabo US"},
		{8100, "QuadraNet"},
		{46606, "Unified Layer"},
		{398101, "GoDaddy"},
		{26496, "GoDaddy"},
	}
}
