package admin

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
)

// ListSummary is one list in GET /api/v1/admin/lists.
type ListSummary struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// HandleAPILists lists the lists with their sizes.
func (s *Handlers) HandleAPILists(c echo.Context) error {
	counts, err := s.Lists.ListCounts(c.Request().Context())
	if err != nil {
		return respond.Failed(err)
	}
	out := make([]ListSummary, 0, len(counts))
	for _, l := range risk.Lists() {
		out = append(out, ListSummary{Name: string(l), Label: listInfos[l].Label, Count: counts[l]})
	}
	return c.JSON(http.StatusOK, map[string]any{"lists": out})
}

// ListPage is a page of one list as JSON.
type ListPage struct {
	List string `json:"list"`
	risk.ListPage
}

// HandleAPIList answers a page of one list: q, status, author, reason,
// after and limit as on the console page.
func (s *Handlers) HandleAPIList(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	page, err := s.Lists.ListEntries(c.Request().Context(), l, q)
	if err != nil {
		return respond.Failed(err)
	}
	return c.JSON(http.StatusOK, ListPage{List: string(l), ListPage: page})
}

// entryInput is one entry of POST /api/v1/admin/lists/:list/entries.
type entryInput struct {
	Value   string `json:"value"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
}

// EntryRefusal is a refused entry of a bulk add.
type EntryRefusal struct {
	Index   int    `json:"index"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

// HandleAPIListAdd adds entries from {"entries":[{value,reason,expires}]}:
// all, or none with a 422 listing each refused index.
func (s *Handlers) HandleAPIListAdd(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	var body struct {
		Entries []entryInput `json:"entries"`
	}
	if err := respond.DecodeJSON(c.Request(), &body, "entries"); err != nil {
		return err
	}
	if len(body.Entries) == 0 {
		return respond.FieldError(respond.CodeInvalidEntry, "entries", "Send at least one entry: {\"entries\":[{\"value\":\"...\"}]}.")
	}
	if len(body.Entries) > MaxImportLines {
		return respond.FieldError(respond.CodeInvalidEntry, "entries", "Send at most "+strconv.Itoa(MaxImportLines)+" entries at once.")
	}
	ch := newEntryChecker(s.Lists, l, s.now(), "entry")
	entries := make([]risk.Entry, 0, len(body.Entries))
	var refused []EntryRefusal
	author := actorOf(c).Name
	for i, in := range body.Entries {
		en, why := ch.check(i, in.Value, in.Reason, in.Expires)
		if why != "" {
			refused = append(refused, EntryRefusal{Index: i, Value: in.Value, Message: why})
			continue
		}
		en.Author = author
		entries = append(entries, en)
	}
	if len(refused) > 0 {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{
			"error": respond.ErrorBody{Code: respond.CodeInvalidEntry, Field: "entries",
				Message: strconv.Itoa(len(refused)) + " of " + strconv.Itoa(len(body.Entries)) + " entries refused; nothing was added."},
			"refused": refused,
		})
	}
	values := make([]string, len(entries))
	for i, en := range entries {
		values[i] = en.Value
	}
	replaced, err := s.Lists.LookupEntries(c.Request().Context(), map[risk.List][]string{l: values})
	if err != nil {
		return respond.Failed(err)
	}
	added, err := s.Lists.AddEntries(c.Request().Context(), l, entries)
	if err != nil {
		return respond.Failed(err)
	}
	var before any
	if len(replaced[l]) > 0 {
		before = replaced[l]
	}
	s.record(c, "list.add", string(l), before, added)
	return c.JSON(http.StatusOK, map[string]any{"list": l, "added": added})
}

// HandleAPIListRemove removes the entry ?value=; 404 when it is not listed.
func (s *Handlers) HandleAPIListRemove(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	before, err := s.removeEntry(c, l, c.QueryParam("value"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"list": l, "removed": before})
}
