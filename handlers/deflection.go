package handlers

import (
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// EngineChannels returns Deps.Channels for engine: the deflection channels
// of its settings in force.
func EngineChannels(engine *risk.Engine) func() Deflection {
	return func() Deflection {
		return Deflection(engine.SettingsStore().Deflection())
	}
}

// deflection returns the channels a deflected visitor is offered now.
func (s *server) deflection() web.Channels {
	if s.Channels == nil {
		return web.Channels{}
	}
	return s.Channels()
}
