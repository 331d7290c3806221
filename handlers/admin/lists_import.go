package admin

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tollgate/tollgate/handlers/respond"
	"github.com/tollgate/tollgate/risk"
	"github.com/tollgate/tollgate/web"
)

// maxReportRows bounds the lines an import page shows: refused lines
// always, accepted ones up to it.
const maxReportRows = 1000

// HandleListImportShow shows the import form of one list.
func (s *Handlers) HandleListImportShow(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	return respond.Render(c, http.StatusOK, web.ListImportPage(s.frame(c, web.SectionLists), importModel(l, "", nil)))
}

// HandleListImport checks an uploaded file or pasted text and adds every
// line, or none when any is refused, showing the report either way.
func (s *Handlers) HandleListImport(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	if _, err := c.MultipartForm(); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return readImportError(err)
	}
	text := c.FormValue("text")
	var in io.Reader = strings.NewReader(text)
	if fh, ferr := c.FormFile("file"); ferr == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return &respond.Error{Code: respond.CodeBadRequest, Message: "The uploaded file could not be read.", Err: err}
		}
		defer f.Close()
		in = f
	}
	rep, err := s.importEntries(c, l, in)
	status := http.StatusOK
	wr := &web.ImportReport{}
	if err != nil {
		ae := respond.As(err)
		if ae.Code == respond.CodeUnavailable || ae.Code == respond.CodeInternal {
			return err
		}
		status, wr.Error = ae.Status(), ae.Text()
	} else {
		wr = webReport(rep)
		if !rep.Applied {
			status = http.StatusUnprocessableEntity
		}
	}
	if wr.Applied {
		text = ""
	}
	return respond.Render(c, status, web.ListImportPage(s.frame(c, web.SectionLists), importModel(l, text, wr)))
}

// HandleAPIListImport imports a text/csv body and answers the report:
// 200 when every line was added, 422 with an error when any is refused.
func (s *Handlers) HandleAPIListImport(c echo.Context) error {
	l, err := listParam(c)
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt != "text/csv" && mt != echo.MIMETextPlain {
		return &respond.Error{Code: respond.CodeUnsupportedMedia, Message: "Content-Type must be text/csv (or text/plain, one value per line)."}
	}
	rep, err := s.importEntries(c, l, c.Request().Body)
	if err != nil {
		return err
	}
	if !rep.Applied {
		return c.JSON(http.StatusUnprocessableEntity, RefusedImport{
			Error:        respond.ErrorBody{Code: respond.CodeImportRefused, Message: refusedMessage(rep)},
			ImportReport: rep,
		})
	}
	return c.JSON(http.StatusOK, rep)
}

// RefusedImport is the API's answer to an import with refused lines.
type RefusedImport struct {
	Error respond.ErrorBody `json:"error"`
	ImportReport
}

func refusedMessage(rep ImportReport) string {
	return strconv.Itoa(rep.Refused) + " of " + strconv.Itoa(rep.Accepted+rep.Refused) + " lines refused; nothing was added."
}

// importEntries checks the input and, when no line is refused, adds every
// entry in one transaction, authored by the actor, and records it.
func (s *Handlers) importEntries(c echo.Context, l risk.List, in io.Reader) (ImportReport, error) {
	entries, rep, err := s.checkImport(l, in)
	if err != nil || rep.Refused > 0 {
		return rep, err
	}
	author := actorOf(c).Name
	for i := range entries {
		entries[i].Author = author
	}
	added, err := s.Lists.AddEntries(c.Request().Context(), l, entries)
	if err != nil {
		return rep, respond.Failed(err)
	}
	values := make([]string, len(added))
	for i, en := range added {
		values[i] = en.Value
	}
	s.record(c, "list.import", string(l), nil, map[string]any{"count": len(added), "values": values})
	rep.Applied = true
	return rep, nil
}

func importModel(l risk.List, text string, rep *web.ImportReport) web.ListImportModel {
	info := listInfos[l]
	return web.ListImportModel{List: web.ListTab{Name: string(l), Label: info.Label}, Hint: info.Hint, Text: text, Report: rep}
}

// webReport converts a report for the page, showing every refused line and
// accepted ones up to maxReportRows.
func webReport(rep ImportReport) *web.ImportReport {
	wr := &web.ImportReport{Applied: rep.Applied, Accepted: rep.Accepted, Refused: rep.Refused}
	room := max(maxReportRows-rep.Refused, 0)
	for _, ln := range rep.Lines {
		if ln.Status == "accepted" {
			if room == 0 {
				wr.Hidden++
				continue
			}
			room--
		}
		wr.Lines = append(wr.Lines, web.ImportLine{Line: ln.Line, Value: ln.Value, Refused: ln.Message})
	}
	return wr
}
