package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// listsUsage is the help of "tollgate lists".
const listsUsage = `Usage:
  tollgate lists import -list NAME -file FILE.csv
      checks every line and adds them all, or none when any is refused;
      FILE holds value,reason,expires rows under that header, or one value per line
  tollgate lists export -list NAME [-o FILE.csv]
      writes the whole list as CSV to FILE, or standard output

Both call the admin API of a running instance: TOLLGATE_ADMIN_URL (default
http://localhost:8080) with the API token in TOLLGATE_ADMIN_TOKEN (an admin
token to import); -url and -token override them.
`

// listsClient calls the lists API of a running instance.
type listsClient struct {
	base, token string
	http        *http.Client
}

// runLists runs "tollgate lists import|export".
func runLists(ctx context.Context, args, environ []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, listsUsage)
		return nil
	}
	fs := flag.NewFlagSet("tollgate lists "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	list := fs.String("list", "", "the list, e.g. deny_number")
	file := fs.String("file", "", "import: the CSV file")
	out := fs.String("o", "", "export: the file to write; standard output when empty")
	base, token := adminFlags(fs, environ, "the admin API token")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *list == "" {
		return errors.New("-list is required, e.g. -list deny_number")
	}
	if *token == "" {
		return errors.New("an API token is required: set TOLLGATE_ADMIN_TOKEN or pass -token (admins create tokens in the console under API tokens)")
	}
	c := listsClient{base: strings.TrimRight(*base, "/"), token: *token, http: &http.Client{Timeout: 5 * time.Minute}}
	switch args[0] {
	case "import":
		if *file == "" {
			return errors.New("-file is required")
		}
		return c.importFile(ctx, *list, *file, stdout)
	case "export":
		return c.export(ctx, *list, *out, stdout)
	}
	fmt.Fprint(stdout, listsUsage)
	return fmt.Errorf("unknown lists command %q", args[0])
}

// listsReport is the API's answer to an import.
type listsReport struct {
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
	List     string `json:"list"`
	Applied  bool   `json:"applied"`
	Accepted int    `json:"accepted"`
	Refused  int    `json:"refused"`
	Lines    []struct {
		Line    int    `json:"line"`
		Value   string `json:"value"`
		Status  string `json:"status"`
		Message string `json:"message"`
	} `json:"lines"`
}

// importFile sends file to the import endpoint and prints the report; it
// fails when any line is refused.
func (c listsClient) importFile(ctx context.Context, list, file string, stdout io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	resp, err := c.do(ctx, http.MethodPost, list, "/import", f)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var rep listsReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return fmt.Errorf("%s answered %s, not a report", c.base, resp.Status)
	}
	if rep.Error != nil && rep.Lines == nil {
		return fmt.Errorf("%s: %s", resp.Status, rep.Error.Message)
	}
	for _, l := range rep.Lines {
		if l.Status == "refused" {
			fmt.Fprintf(stdout, "line %d\trefused\t%s\t%s\n", l.Line, l.Value, l.Message)
		} else {
			fmt.Fprintf(stdout, "line %d\taccepted\t%s\n", l.Line, l.Value)
		}
	}
	fmt.Fprintf(stdout, "%s: lines accepted %d, refused %d\n", list, rep.Accepted, rep.Refused)
	if !rep.Applied {
		return fmt.Errorf("lines refused: %d; nothing was added", rep.Refused)
	}
	fmt.Fprintf(stdout, "%d entries added to %s\n", rep.Accepted, list)
	return nil
}

// export writes the list's CSV to path, or stdout when path is empty.
func (c listsClient) export(ctx context.Context, list, path string, stdout io.Writer) error {
	resp, err := c.do(ctx, http.MethodGet, list, "/export.csv", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if path == "" {
		_, err = io.Copy(stdout, resp.Body)
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// do calls the list's endpoint; an answer other than 2xx or 422 is an
// error carrying the API's message.
func (c listsClient) do(ctx context.Context, method, list, suffix string, body io.Reader) (*http.Response, error) {
	u := c.base + "/api/v1/admin/lists/" + url.PathEscape(list) + suffix
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "text/csv")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w; is tollgate running there? set TOLLGATE_ADMIN_URL", err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusUnprocessableEntity {
		return resp, nil
	}
	defer resp.Body.Close()
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Error.Message != "" {
		return nil, fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
	}
	return nil, fmt.Errorf("%s answered %s", u, resp.Status)
}
