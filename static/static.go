// Package static embeds the CSS and icons of the public pages and serves
// them under /static/ with content-hashed URLs.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Prefix is the URL path under which Handler serves the assets.
const Prefix = "/static/"

// Cache-Control values: hashed URLs never change content, plain names may.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

//go:embed assets
var files embed.FS

// asset is one embedded file with its content hash.
type asset struct {
	name        string // e.g. "app.css"
	hashed      string // e.g. "app.0123456789abcdef.css"
	hash        string
	contentType string
	data        []byte
}

// catalog indexes the embedded assets by plain and hashed name. It is built
// once and never changed.
type catalog struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

var load = sync.OnceValue(func() catalog {
	c := catalog{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		name := strings.TrimPrefix(p, "assets/")
		a := &asset{
			name:        name,
			hash:        hex.EncodeToString(sum[:8]),
			contentType: contentType(name),
			data:        data,
		}
		ext := path.Ext(name)
		a.hashed = strings.TrimSuffix(name, ext) + "." + a.hash + ext
		c.byName[a.name] = a
		c.byHashed[a.hashed] = a
		return nil
	})
	if err != nil {
		panic("static: reading embedded assets: " + err.Error())
	}
	return c
})

// contentType returns the media type for an asset name.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	default:
		return "application/octet-stream"
	}
}

// Path returns the content-hashed URL path of the named asset, e.g.
// Path("app.css") is "/static/app.0123456789abcdef.css". An unknown name
// gets its plain path, which Handler answers with 404.
func Path(name string) string {
	if a, ok := load().byName[name]; ok {
		return Prefix + a.hashed
	}
	return Prefix + name
}

// Has reports whether Handler serves name, a hashed or plain asset name
// relative to Prefix.
func Has(name string) bool {
	_, _, ok := lookup(name)
	return ok
}

// lookup finds name among hashed then plain names.
func lookup(name string) (a *asset, hashed bool, ok bool) {
	c := load()
	if a, ok := c.byHashed[name]; ok {
		return a, true, true
	}
	if a, ok := c.byName[name]; ok {
		return a, false, true
	}
	return nil, false, false
}

// Handler serves the assets for GET and HEAD requests whose path starts with
// Prefix. Hashed names are cached for a year as immutable; plain names are
// served with an ETag and must be revalidated.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name, found := strings.CutPrefix(r.URL.Path, Prefix)
		a, hashed, ok := lookup(name)
		if !found || !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", `"`+a.hash+`"`)
		if hashed {
			h.Set("Cache-Control", cacheImmutable)
		} else {
			h.Set("Cache-Control", cacheRevalidate)
		}
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.data))
	})
}
