package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// alertConfigKeys are the variables of the spike alerts.
func alertConfigKeys() []configKey {
	return []configKey{
		{
			name: "TOLLGATE_ALERT_WEBHOOKS", secret: true,
			description: "Comma-separated URLs that receive every spike alert as a JSON POST (Slack-compatible: a text field, and the alert's fields), e.g. a Slack incoming webhook. https only; http only for a loopback host. Empty: alerts are logged and shown on the dashboard only.",
			parse: func(c *Config, v string) (err error) {
				c.AlertWebhooks, err = parseWebhooks(v)
				return err
			},
		},
	}
}

// parseWebhooks reads comma-separated webhook URLs: https, or http to a
// loopback host.
func parseWebhooks(v string) ([]string, error) {
	var out []string
	for i, raw := range strings.Split(v, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("URL %d is not an absolute URL such as https://hooks.slack.com/services/...", i+1)
		}
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && isLoopback(u.Hostname()):
		default:
			return nil, fmt.Errorf("URL %d (%s://%s) must use https; http is allowed only for a loopback host such as 127.0.0.1", i+1, u.Scheme, u.Host)
		}
		out = append(out, raw)
	}
	return out, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
