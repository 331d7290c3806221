package handlers

import (
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// channelSource is an engine that carries the deflection channels in its
// settings; *risk.Engine is one.
type channelSource interface {
	Deflection() risk.Channels
}

var _ channelSource = (*risk.Engine)(nil)

// deflection returns the channels a deflected visitor is offered now: the
// engine's settings in force when it carries them, so a saved change shows
// on the next answer, else Deps.Deflect.
func (s *server) deflection() web.Channels {
	if src, ok := s.Engine.(channelSource); ok {
		d := src.Deflection()
		return web.Channels{ChatURL: d.ChatURL, Phone: d.Phone, Hours: d.Hours}
	}
	return s.Deflect
}
