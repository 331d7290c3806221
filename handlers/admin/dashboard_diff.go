package admin

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/tollgate/tollgate/web"
)

// indentJSON is raw indented for reading; "" when absent, raw itself when
// it is not JSON.
func indentJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// diffJSON compares two JSON documents field by field: objects and arrays
// are walked down to their leaves, named by dotted paths ("spend.costs.GB",
// "countries.0"). Fields come in path order; absent ones are "".
func diffJSON(before, after json.RawMessage) []web.AuditField {
	b, a := map[string]string{}, map[string]string{}
	flatten(before, "", b)
	flatten(after, "", a)
	paths := make([]string, 0, len(b)+len(a))
	for p := range b {
		paths = append(paths, p)
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	out := make([]web.AuditField, len(paths))
	for i, p := range paths {
		out[i] = web.AuditField{Path: p, Before: b[p], After: a[p]}
	}
	return out
}

// flatten adds raw's leaves to out under prefix.
func flatten(raw json.RawMessage, prefix string, out map[string]string) {
	if len(raw) == 0 {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		for k, v := range obj {
			flatten(v, join(prefix, k), out)
		}
		if len(obj) == 0 {
			out[leaf(prefix)] = "{}"
		}
		return
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil && arr != nil {
		for i, v := range arr {
			flatten(v, join(prefix, strconv.Itoa(i)), out)
		}
		if len(arr) == 0 {
			out[leaf(prefix)] = "[]"
		}
		return
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		b.Reset()
		b.Write(raw)
	}
	out[leaf(prefix)] = b.String()
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// leaf names a leaf at the document's root "(value)".
func leaf(path string) string {
	if path == "" {
		return "(value)"
	}
	return path
}
