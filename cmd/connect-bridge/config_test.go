package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name         string
		env          map[string]string
		wantEndpoint string
		wantTimeout  time.Duration
		wantErr      []string
	}{
		{
			name:         "https with defaults",
			env:          map[string]string{envURL: "https://tollgate.example.com", envSecret: secret},
			wantEndpoint: "https://tollgate.example.com/flows/connect",
			wantTimeout:  3 * time.Second,
		},
		{
			name:         "path prefix and trailing slash",
			env:          map[string]string{envURL: "https://api.example.com/tollgate/", envSecret: secret, envTimeout: "2500ms"},
			wantEndpoint: "https://api.example.com/tollgate/flows/connect",
			wantTimeout:  2500 * time.Millisecond,
		},
		{
			name:         "http on localhost",
			env:          map[string]string{envURL: "http://localhost:8080", envSecret: secret},
			wantEndpoint: "http://localhost:8080/flows/connect",
			wantTimeout:  3 * time.Second,
		},
		{
			name:         "http on IPv6 loopback",
			env:          map[string]string{envURL: "http://[::1]:8080", envSecret: secret, envTimeout: "8s"},
			wantEndpoint: "http://[::1]:8080/flows/connect",
			wantTimeout:  8 * time.Second,
		},
		{
			name:    "nothing set",
			env:     map[string]string{},
			wantErr: []string{"TOLLGATE_URL: not set", "TOLLGATE_BRIDGE_SECRET is not set"},
		},
		{name: "http elsewhere", env: map[string]string{envURL: "http://tollgate.example.com", envSecret: secret}, wantErr: []string{"TOLLGATE_URL", "use https"}},
		{name: "relative URL", env: map[string]string{envURL: "tollgate.example.com", envSecret: secret}, wantErr: []string{"TOLLGATE_URL", "not an absolute URL"}},
		{name: "other scheme", env: map[string]string{envURL: "ftp://tollgate.example.com", envSecret: secret}, wantErr: []string{"TOLLGATE_URL", `scheme "ftp"`}},
		{name: "credentials in URL", env: map[string]string{envURL: "https://bridge:hunter2@tollgate.example.com", envSecret: secret}, wantErr: []string{"TOLLGATE_URL", "holds credentials"}},
		{name: "query", env: map[string]string{envURL: "https://tollgate.example.com/?x=1", envSecret: secret}, wantErr: []string{"TOLLGATE_URL", "query"}},
		{name: "short secret", env: map[string]string{envURL: "https://tollgate.example.com", envSecret: "short"}, wantErr: []string{"TOLLGATE_BRIDGE_SECRET is 5 characters; use at least 32"}},
		{name: "timeout not a duration", env: map[string]string{envURL: "https://tollgate.example.com", envSecret: secret, envTimeout: "3"}, wantErr: []string{"TOLLGATE_TIMEOUT", "not a duration"}},
		{name: "timeout past Connect's limit", env: map[string]string{envURL: "https://tollgate.example.com", envSecret: secret, envTimeout: "9s"}, wantErr: []string{"TOLLGATE_TIMEOUT", "at most 8s"}},
		{name: "timeout zero", env: map[string]string{envURL: "https://tollgate.example.com", envSecret: secret, envTimeout: "0s"}, wantErr: []string{"TOLLGATE_TIMEOUT", "out of range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadConfig = %+v, want an error", cfg)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error = %q, want it to contain %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error = %q, want the password redacted", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got, want := cfg.Endpoint, tt.wantEndpoint; got != want {
				t.Errorf("Endpoint = %q, want %q", got, want)
			}
			if got, want := cfg.Timeout, tt.wantTimeout; got != want {
				t.Errorf("Timeout = %s, want %s", got, want)
			}
			if got, want := string(cfg.Secret), secret; got != want {
				t.Errorf("Secret = %q, want %q", got, want)
			}
		})
	}
}
