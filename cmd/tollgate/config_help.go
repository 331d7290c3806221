package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// ConfigHelp returns the table of environment variables, with defaults and
// descriptions, for tollgate -h.
func ConfigHelp() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tDESCRIPTION")
	for _, k := range configKeys() {
		lines := wrap(keyDescription(k), 56)
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.name, keyDefault(k), lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(tw, "\t\t%s\n", l)
		}
	}
	tw.Flush()
	return b.String()
}

// ConfigMarkdown returns the table of environment variables as a Markdown
// table, as cmd/tollgate/README.md shows it between <!-- config:start --> and
// <!-- config:end -->.
func ConfigMarkdown() string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Description |\n| --- | --- | --- |\n")
	esc := strings.NewReplacer("|", `\|`)
	for _, k := range configKeys() {
		def := keyDefault(k)
		if k.defaultDoc == "" && k.def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", k.name, esc.Replace(def), esc.Replace(keyDescription(k)))
	}
	return b.String()
}

func keyDefault(k configKey) string {
	switch {
	case k.defaultDoc != "":
		return k.defaultDoc
	case k.def != "":
		return k.def
	default:
		return "(none)"
	}
}

func keyDescription(k configKey) string {
	if k.secret {
		return k.description + " Secret: may instead be read from the file named by " + k.name + "_FILE."
	}
	return k.description
}

// wrap splits s into lines of at most width bytes, breaking at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
