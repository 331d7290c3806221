package admin

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tollgate/tollgate/risk"
)

// FuzzListImport feeds the list import arbitrary text. It never panics;
// every line it accepts exports (neutralised against formulas) and imports
// back to the same entry; and a cell survives neutralising unchanged.
//
//	go test ./handlers/admin -run '^$' -fuzz '^FuzzListImport$' -fuzztime 60s
func FuzzListImport(f *testing.F) {
	for _, seed := range []string{
		"value,reason,expires\n+44 7700 900123,fraud ring,2099-01-01T00:00:00Z\n",
		"+12015550123\n+12015550124\n",
		"value,reason\n+12015550123,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"\n",
		"value,reason\n+12015550123,'=1+1\n+12015550124,''@SUM(A1)\n",
		"value,reason\n\ufeff+12015550123,\"<script>alert(1)</script>\"\n",
		"value,reason\n+12015550123,\u202egnp.exe\n",
		"value;reason\n+12015550123;x\n",
		"\"unterminated\n",
		"value,reason,author,created,expires\n'+12015550123,-2+3,eve,2026-01-01T00:00:00Z,\n",
		"value,reason\n+12015550123,\" spaced \"\n+12015550123,dup\n",
	} {
		f.Add(seed, uint8(0))
	}
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(f).Addr()})
	engine, err := risk.NewEngine(risk.Options{Redis: rdb, DefaultRegion: "US"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(engine.Close)
	s := &Handlers{Deps: Deps{Engine: engine, Settings: engine.SettingsStore(), Lists: engine.ListStore()}, now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }}
	lists := []risk.List{risk.DenyNumber, risk.DenyPrefix, risk.DenyIP, risk.DenyCountry}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		l := lists[int(which)%len(lists)]
		if got := CSVUncell(CSVCell(text)); got != text {
			t.Errorf("CSVUncell(CSVCell(%q)) = %q", text, got)
		}
		if c := CSVCell(text); c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Errorf("CSVCell(%q) = %q starts like a formula", text, c)
		}
		entries, _, err := s.checkImport(l, strings.NewReader(text))
		if err != nil || len(entries) == 0 {
			return
		}
		var buf bytes.Buffer
		w := newCSVWriter(&buf)
		if err := w.Write("value", "reason", "author", "created", "expires"); err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if err := w.Write(en.Value, en.Reason, "fuzz", csvTime(s.now()), csvTime(en.Expires)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, rep, err := s.checkImport(l, bytes.NewReader(buf.Bytes()))
		if err != nil || rep.Refused > 0 {
			t.Fatalf("%s import of %q accepted %v; its export %q imports with %v, %+v", l, text, entries, buf.String(), err, rep.Lines)
		}
		if !reflect.DeepEqual(again, entries) {
			t.Fatalf("%s import of %q: export %q imports as %+v, want %+v", l, text, buf.String(), again, entries)
		}
	})
}
