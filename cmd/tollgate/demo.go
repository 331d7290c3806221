package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/risk/geo"
)

// demoEntries are list entries that make every list signal easy to try.
var demoEntries = []struct {
	list   risk.List
	value  string
	reason string
}{
	{risk.DenyNumber, "+12015550166", "reported for toll fraud (demo)"},
	{risk.DenyPrefix, "+88213", "satellite range abused for IRSF (demo)"},
	{risk.DenyPrefix, "+3712", "pumped mobile range (demo)"},
	{risk.DenyIP, "198.51.100.66", "scripted form submissions (demo)"},
	{risk.DenyASN, "AS64502", "residential proxy operator (demo)"},
	{risk.AllowNumber, "+12015550100", "head office switchboard (demo)"},
}

// loadDemoData writes the demo entries, and a demo country policy when no
// settings were saved yet.
func loadDemoData(ctx context.Context, e *risk.Engine) error {
	for _, d := range demoEntries {
		if _, err := e.ListStore().AddEntry(ctx, d.list, risk.Entry{Value: d.value, Reason: d.reason, Author: "demo"}); err != nil {
			return err
		}
	}
	s := e.SettingsStore().Settings()
	if len(s.Account.Countries) > 0 {
		return nil
	}
	s.Account.Countries = map[string]risk.Mode{"CU": risk.ModeBlock, "SO": risk.ModeBlock, "LV": risk.ModeMonitor}
	return e.SettingsStore().SaveSettings(ctx, s)
}

func demoNetworkSummary() string {
	var parts []string
	for _, n := range geo.DemoNetworks() {
		parts = append(parts, fmt.Sprintf("%s=%s", n.Prefix, n.Country))
	}
	return strings.Join(parts, " ")
}
