package respond

import (
	"net/netip"

	"github.com/labstack/echo/v4"
)

// ClientIP is the request's client address as the IPExtractor found it, or
// the zero Addr when it cannot be parsed.
func ClientIP(c echo.Context) netip.Addr {
	ip, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}
