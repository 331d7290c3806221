package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/web"
)

// notListed is what the confirmation page says of a value that is not in
// the list, in fixed words.
const notListed = "That value is not in this list: nothing to remove."

// HandleListRemoveConfirm shows the entry a Remove button names and asks
// before removing it: the form on this page posts to HandleListRemove, so
// the confirmation needs no script. A value that is invalid or not listed
// goes back to the list with a message saying so.
func (s *Handlers) HandleListRemoveConfirm(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	back := ListPath(l)
	value := c.QueryParam("value")
	if strings.TrimSpace(value) == "" {
		return s.redirectBack(c, back, flashError, "Name the value to remove.")
	}
	en, found, err := s.Lists.LookupEntry(c.Request().Context(), l, value)
	if err != nil {
		if _, nerr := s.Lists.Normalize(l, value); nerr != nil {
			return s.redirectBack(c, back, flashError, notListed)
		}
		return respond.Failed(err)
	}
	if !found {
		// The value came in a link anyone can send an admin: it is not
		// echoed into the console's own message.
		return s.redirectBack(c, back, flashError, notListed)
	}
	now := s.now()
	m := web.ListRemoveModel{
		List: web.ListTab{Name: string(l), Label: listInfos[l].Label},
		Entry: web.ListRow{
			Value: en.Value, Reason: en.Reason, Author: en.Author, Created: en.Created, Expires: en.Expires,
			Active: en.Active(now),
		},
	}
	return respond.Render(c, http.StatusOK, web.ListRemovePage(s.frame(c, web.SectionLists), m))
}
