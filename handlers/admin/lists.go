package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

const ListsPath = Prefix + "/lists"

// importBodyLimit caps the body of an import or a bulk add.
const importBodyLimit = "10M"

// importTooLarge is the message of an import over importBodyLimit.
const importTooLarge = "The import is larger than 10 MB: split it into several files."

// LimitImport caps an import's body at importBodyLimit, saying so when it
// is larger.
func LimitImport() echo.MiddlewareFunc {
	limit := middleware.BodyLimit(importBodyLimit)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := limit(next)
		return func(c echo.Context) error {
			err := h(c)
			if ae := respond.As(err); err != nil && ae.Code == respond.CodeBodyTooLarge {
				return &respond.Error{Code: respond.CodeBodyTooLarge, Message: importTooLarge, Err: err}
			}
			return err
		}
	}
}

// listInfo is what the console says about one list.
type listInfo struct {
	Label, Hint, Placeholder string
}

var listInfos = map[risk.List]listInfo{
	risk.DenyNumber:  {"Denied numbers", "Exact phone numbers, stored in E.164. Numbers without +country are read in the default region.", "+442079460000"},
	risk.DenyPrefix:  {"Denied prefixes", "Number prefixes such as +88213 (1 to 15 digits); the longest match wins.", "+88213"},
	risk.DenyIP:      {"Denied IPs", "Client addresses and networks: IPv4 /8 to /32, IPv6 /16 to /64 or a single /128.", "203.0.113.0/24"},
	risk.DenyCountry: {"Denied countries", "ISO 3166-1 alpha-2 countries whose visitors (by IP) are refused.", "CU"},
	risk.DenyASN:     {"Denied ASNs", "Autonomous system numbers whose visitors are refused, e.g. AS16509.", "AS16509"},
	risk.AllowNumber: {"Allowed numbers", "Numbers exempt from velocity, distinct-count and duplicate checks; the country policy still applies.", "+442079460000"},
	risk.AllowIP:     {"Allowed IPs", "Trusted networks that skip anonymous-network, hosting and per-IP velocity signals.", "192.0.2.0/24"},
}

// ListPath is the console page of list l.
func ListPath(l risk.List) string { return ListsPath + "/" + string(l) }

// listParam reads the :list parameter; an unknown list is a 404 naming the lists.
func listParam(c echo.Context) (risk.List, error) {
	l, err := risk.ParseList(c.Param("list"))
	if err != nil {
		return "", &respond.Error{Code: respond.CodeNotFound, Message: err.Error()}
	}
	return l, nil
}

// listQuery reads a page's query parameters: q, status, author, reason,
// after, before and limit.
func listQuery(c echo.Context) (risk.ListQuery, error) {
	q := risk.ListQuery{
		Prefix: c.QueryParam("q"), Author: c.QueryParam("author"),
		Reason: c.QueryParam("reason"), After: c.QueryParam("after"), Before: c.QueryParam("before"),
	}
	var err error
	if q.Status, err = risk.ParseEntryStatus(c.QueryParam("status")); err != nil {
		return q, respond.FieldError(respond.CodeInvalidFilter, "status", err.Error())
	}
	if v := c.QueryParam("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > risk.MaxListLimit {
			return q, respond.FieldError(respond.CodeInvalidFilter, "limit", "limit must be a number from 1 to "+strconv.Itoa(risk.MaxListLimit)+".")
		}
	}
	return q, nil
}

// listPageURL is the address of a page of list l with q's filters.
func listPageURL(l risk.List, q risk.ListQuery) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Prefix, "status": string(q.Status), "author": q.Author, "reason": q.Reason, "after": q.After, "before": q.Before} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(v) == 0 {
		return ListPath(l)
	}
	return ListPath(l) + "?" + v.Encode()
}

// listTabs returns every list with its size.
func (s *Handlers) listTabs(c echo.Context) ([]web.ListTab, error) {
	counts, err := s.Lists.ListCounts(c.Request().Context())
	if err != nil {
		return nil, respond.Failed(err)
	}
	tabs := make([]web.ListTab, 0, len(counts))
	for _, l := range risk.Lists() {
		tabs = append(tabs, web.ListTab{Name: string(l), Label: listInfos[l].Label, Count: counts[l]})
	}
	return tabs, nil
}

// HandleListShow shows a page of one list.
func (s *Handlers) HandleListShow(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	tabs, err := s.listTabs(c)
	if err != nil {
		return err
	}
	page, err := s.Lists.ListEntries(c.Request().Context(), l, q)
	if err != nil {
		return respond.Failed(err)
	}
	info := listInfos[l]
	m := web.ListsModel{
		Tabs: tabs, List: web.ListTab{Name: string(l), Label: info.Label}, Hint: info.Hint, Placeholder: info.Placeholder,
		Filter:   web.ListFilter{Prefix: q.Prefix, Status: string(q.Status), Author: q.Author, Reason: q.Reason},
		Total:    page.Total,
		Examined: page.Examined,
		Short:    page.Next != "" && len(page.Entries) == 0,
		ClearURL: ListPath(l),
	}
	for _, t := range tabs {
		if t.Name == string(l) {
			m.List.Count = t.Count
		}
	}
	now := s.now()
	for _, en := range page.Entries {
		m.Rows = append(m.Rows, web.ListRow{
			Value: en.Value, Reason: en.Reason, Author: en.Author,
			Created: en.Created, Expires: en.Expires, Active: en.Active(now),
			Expiring: en.Active(now) && !en.Expires.IsZero() && en.Expires.Before(now.Add(risk.ExpiringWithin)),
		})
	}
	if q.After != "" || q.Before != "" {
		first := q
		first.After, first.Before = "", ""
		m.FirstURL = listPageURL(l, first)
	}
	if page.Prev != "" {
		prev := q
		prev.After, prev.Before = "", page.Prev
		m.PrevURL = listPageURL(l, prev)
	}
	if page.Next != "" {
		next := q
		next.After, next.Before = page.Next, ""
		m.NextURL = listPageURL(l, next)
	}
	return respond.Render(c, http.StatusOK, web.ListsPage(s.frame(c, web.SectionLists), m))
}

// HandleListAdd adds or replaces one entry from the console's form.
func (s *Handlers) HandleListAdd(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	back := ListPath(l)
	chk := newEntryChecker(s.Lists, l, s.now(), "entry")
	expires, err := formExpiry(c.FormValue("expiry"), c.FormValue("expires_on"), s.now())
	if err != nil {
		return s.redirectBack(c, back, flashError, respond.As(err).Text())
	}
	en, refused := chk.check(1, c.FormValue("value"), c.FormValue("reason"), "")
	if refused != "" {
		return s.redirectBack(c, back, flashError, refused)
	}
	en.Expires, en.Author = expires, actorOf(c).Name
	before, found, err := s.Lists.LookupEntry(ctx, l, en.Value)
	if err != nil {
		return respond.Failed(err)
	}
	added, err := s.Lists.AddEntry(ctx, l, en)
	if err != nil {
		return respond.Failed(err)
	}
	var was any
	if found {
		was = before
	}
	s.record(c, "list.add", string(l)+" "+added.Value, was, added)
	return s.redirectBack(c, back, flashOK, added.Value+" added to "+string(l)+".")
}

// HandleListRemove removes the entry whose value the form names.
func (s *Handlers) HandleListRemove(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	back := ListPath(l)
	before, err := s.removeEntry(c, l, c.FormValue("value"))
	if err != nil {
		if ae := respond.As(err); ae.Code != respond.CodeUnavailable {
			return s.redirectBack(c, back, flashError, ae.Text())
		}
		return err
	}
	return s.redirectBack(c, back, flashOK, before.Value+" removed from "+string(l)+".")
}

// removeEntry removes value from list l and records it; a value that is
// invalid or not listed is an respond.Error saying so.
func (s *Handlers) removeEntry(c echo.Context, l risk.List, value string) (risk.Entry, error) {
	ctx := c.Request().Context()
	if strings.TrimSpace(value) == "" {
		return risk.Entry{}, respond.FieldError(respond.CodeInvalidEntry, "value", "Name the value to remove.")
	}
	before, found, err := s.Lists.LookupEntry(ctx, l, value)
	if err != nil {
		if _, nerr := s.Lists.Normalize(l, value); nerr != nil {
			return risk.Entry{}, respond.FieldError(respond.CodeInvalidEntry, "value", nerr.Error())
		}
		return risk.Entry{}, respond.Failed(err)
	}
	if !found {
		return risk.Entry{}, &respond.Error{Code: respond.CodeNotFound, Field: "value", Message: strings.TrimSpace(value) + " is not in " + string(l) + "."}
	}
	if err := s.Lists.RemoveEntry(ctx, l, before.Value); err != nil {
		return risk.Entry{}, respond.Failed(err)
	}
	s.record(c, "list.remove", string(l)+" "+before.Value, before, nil)
	return before, nil
}

// formExpiry reads the add form's expiry: never, 1h, 24h, 7d, 30d, or
// date with the day (UTC) in date, which expires at the end of that day
// (the next day's 00:00 UTC), so today is a valid choice.
func formExpiry(choice, date string, now time.Time) (time.Time, error) {
	switch choice {
	case "", "never":
		return time.Time{}, nil
	case "1h":
		return now.Add(time.Hour), nil
	case "24h":
		return now.Add(24 * time.Hour), nil
	case "7d":
		return now.Add(7 * 24 * time.Hour), nil
	case "30d":
		return now.Add(30 * 24 * time.Hour), nil
	case "date":
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(date))
		if err != nil {
			return time.Time{}, respond.FieldError(respond.CodeInvalidEntry, "expires_on", "Pick the expiry date, e.g. 2026-12-31.")
		}
		end := d.AddDate(0, 0, 1)
		if !end.After(now) {
			return time.Time{}, respond.FieldError(respond.CodeInvalidEntry, "expires_on", "The expiry date "+d.Format(time.DateOnly)+" has passed.")
		}
		return end, nil
	}
	return time.Time{}, respond.FieldError(respond.CodeInvalidEntry, "expiry", "Choose when the entry expires: never, 1h, 24h, 7d, 30d or a date.")
}
