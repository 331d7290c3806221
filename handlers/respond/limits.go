package respond

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// BodyLimit caps request bodies on the routes that read one.
const BodyLimit = "64KB"

// LimitBody is the body-size middleware for routes that read a body.
func LimitBody() echo.MiddlewareFunc {
	return middleware.BodyLimit(BodyLimit)
}
