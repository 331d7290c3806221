package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/handlers/admin/auth"
)

// AdminConfig is how the admin console signs people in.
type AdminConfig struct {
	// User and Password create the first admin at start when no user of
	// that name exists. Password is a secret: never log it.
	User, Password string
	// InsecureCookies drops the Secure attribute of the console's cookies.
	InsecureCookies bool
	// IdleTimeout ends a session unused this long.
	IdleTimeout time.Duration
	// SessionLifetime ends any session this long after sign-in.
	SessionLifetime time.Duration
}

// adminConfigKeys are the variables of AdminConfig.
func adminConfigKeys() []configKey {
	return []configKey{
		{
			name:        "TOLLGATE_ADMIN_USER",
			description: "Name of an admin user created at start, with TOLLGATE_ADMIN_PASSWORD, when it does not exist yet. Or create users with tollgate admin create-user.",
			parse: func(c *Config, v string) error {
				v = strings.ToLower(strings.TrimSpace(v))
				if v != "" {
					if err := auth.CheckUserName(v); err != nil {
						return err
					}
				}
				c.Admin.User = v
				return nil
			},
		},
		{
			name: "TOLLGATE_ADMIN_PASSWORD", secret: true,
			description: "Password of TOLLGATE_ADMIN_USER, at least 12 characters; used only to create that user.",
			parse: func(c *Config, v string) error {
				if v != "" {
					if err := auth.CheckPassword(v); err != nil {
						return err
					}
				}
				c.Admin.Password = v
				return nil
			},
		},
		{
			name: "TOLLGATE_ADMIN_INSECURE_COOKIES", defaultDoc: "true without Redis, else false",
			description: "Send the console's session cookie without the Secure attribute, so it works over plain HTTP. Only for local use: in production serve the console over HTTPS.",
			parse: func(c *Config, v string) error {
				if v == "" {
					c.Admin.InsecureCookies = c.RedisURL == ""
					return nil
				}
				b, err := strconv.ParseBool(v)
				if err != nil {
					return fmt.Errorf("%q is not a boolean; use true or false", v)
				}
				c.Admin.InsecureCookies = b
				return nil
			},
		},
		{
			name: "TOLLGATE_ADMIN_IDLE_TIMEOUT", def: "30m",
			description: "A console session unused this long ends.",
			parse: func(c *Config, v string) (err error) {
				c.Admin.IdleTimeout, err = parseDuration(v, time.Minute)
				return err
			},
		},
		{
			name: "TOLLGATE_ADMIN_SESSION_LIFETIME", def: "12h",
			description: "Any console session ends this long after sign-in.",
			parse: func(c *Config, v string) (err error) {
				c.Admin.SessionLifetime, err = parseDuration(v, time.Minute)
				return err
			},
		},
	}
}

// validate checks the admin keys against each other.
func (a AdminConfig) validate() []error {
	if (a.User == "") != (a.Password == "") {
		return []error{errors.New("TOLLGATE_ADMIN_USER and TOLLGATE_ADMIN_PASSWORD go together: set both to create the first admin, or neither")}
	}
	return nil
}
