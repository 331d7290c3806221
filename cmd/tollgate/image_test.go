package main

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The image cannot be built without a Docker daemon; these tests check
// what can be checked without one: the Dockerfile and the compose file as
// text, their health checks against a live server, and that the binary
// the Dockerfile builds is static.

// repoRoot is the module's root, two levels up from this package.
var repoRoot = filepath.Join("..", "..")

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDockerfile(t *testing.T) {
	img, problems := checkDockerfile(readFile(t, filepath.Join(repoRoot, "Dockerfile")))
	for _, p := range problems {
		t.Error(p)
	}
	// Every package the service is built from is in a directory the build
	// stage copies, and every copied path exists.
	for _, src := range img.copied {
		if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
			t.Errorf("COPY %s: %v", src, err)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.ImportPath}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for pkg := range strings.FieldsSeq(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, "github.com/tollgate/tollgate"), "/")
		if !slices.ContainsFunc(img.copied, func(src string) bool { return rel == src || strings.HasPrefix(rel, src+"/") }) {
			t.Errorf("package %s is not in any directory the build stage copies (%v)", pkg, img.copied)
		}
	}
	// The HEALTHCHECK passes against a live server.
	base, _ := startTollgate(t)
	environ := []string{"TOLLGATE_ADDR=" + strings.TrimPrefix(base, "http://")}
	if err := subcommands[img.healthcheck[1]](context.Background(), img.healthcheck[2:], environ, nil, &bytes.Buffer{}); err != nil {
		t.Errorf("HEALTHCHECK %v against a live server: %v", img.healthcheck, err)
	}
}

func TestCompose(t *testing.T) {
	stack, problems := checkCompose(readFile(t, "compose.yaml"))
	for _, p := range problems {
		t.Error(p)
	}
	if got, want := filepath.Clean(stack.dockerfile), filepath.Join(repoRoot, "Dockerfile"); got != want {
		t.Errorf("compose builds %s, want %s", got, want)
	}
	if len(stack.healthcheck) < 2 {
		t.Fatalf("no usable healthcheck: %v", stack.healthcheck)
	}
	base, _ := startTollgate(t)
	environ := []string{"TOLLGATE_ADDR=" + strings.TrimPrefix(base, "http://")}
	if err := subcommands[stack.healthcheck[1]](context.Background(), stack.healthcheck[2:], environ, nil, &bytes.Buffer{}); err != nil {
		t.Errorf("healthcheck %v against a live server: %v", stack.healthcheck, err)
	}
}

// Each check fails on a copy of the file broken in its way.
func TestShippingChecksFail(t *testing.T) {
	dockerfile := readFile(t, filepath.Join(repoRoot, "Dockerfile"))
	for name, tc := range map[string]struct{ old, new, want string }{
		"root":          {"USER 65532:65532", "USER 0", "not a numeric non-root uid"},
		"no user":       {"USER 65532:65532", "", "no USER"},
		"shell form":    {`CMD ["/tollgate", "healthcheck"]`, "CMD /tollgate healthcheck", "not in exec form"},
		"no subcommand": {`CMD ["/tollgate", "healthcheck"]`, `CMD ["/tollgate", "health"]`, "not a subcommand"},
		"cgo":           {"CGO_ENABLED=0 go build", "go build", "lacks CGO_ENABLED=0"},
		"trimpath":      {"-trimpath -ldflags", "-ldflags", "lacks -trimpath"},
		"full image":    {"gcr.io/distroless/static-debian12:nonroot", "debian:12", "want distroless/static"},
		"typo in ENV":   {"TOLLGATE_LOG_FORMAT=json", "TOLLGATE_LOGFORMAT=json", "TOLLGATE_LOGFORMAT is not a setting"},
		"port":          {"EXPOSE 8080", "EXPOSE 80", "not on an EXPOSEd port"},
	} {
		if !strings.Contains(dockerfile, tc.old) {
			t.Fatalf("%s: the Dockerfile has no %q to break", name, tc.old)
		}
		_, problems := checkDockerfile(strings.Replace(dockerfile, tc.old, tc.new, 1))
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
			t.Errorf("Dockerfile %s: got problems %q, want one containing %q", name, problems, tc.want)
		}
	}
	compose := readFile(t, "compose.yaml")
	for name, tc := range map[string]struct{ old, new, want string }{
		"no aof": {`- --appendonly
      - "yes"`, `- --appendonly
      - "no"`, "without --appendonly yes"},
		"no volume":     {"- redis-data:/data", "- redis-data:/var/lib/redis", "keeps /data in no volume"},
		"not healthy":   {"condition: service_healthy", "condition: service_started", "does not wait"},
		"public port":   {`"127.0.0.1:8080:8080"`, `"8080:8080"`, "published on every interface"},
		"password":      {"TOLLGATE_ADMIN_PASSWORD_FILE: /run/secrets/admin_password", "TOLLGATE_ADMIN_PASSWORD: hunter2hunter2", "not a file secret"},
		"bad check":     {`"healthcheck", "-ready"`, `"health", "-ready"`, "is not [CMD /tollgate <subcommand>]"},
		"not YAML":      {"services:", "services: [", "not YAML"},
		"metrics":       {`"127.0.0.1:9090:9090"`, `"127.0.0.1:9191:9191"`, "not a published port"},
		"redis version": {"image: redis:7", "image: redis:6", "want redis:7"},
	} {
		if !strings.Contains(compose, tc.old) {
			t.Fatalf("%s: compose.yaml has no %q to break", name, tc.old)
		}
		_, problems := checkCompose(strings.Replace(compose, tc.old, tc.new, 1))
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
			t.Errorf("compose %s: got problems %q, want one containing %q", name, problems, tc.want)
		}
	}
}

// The binary built with CGO_ENABLED=0, as the Dockerfile builds it, is
// static: no program interpreter (the dynamic loader) and no dynamic
// section, so it runs on an image without libc. (-trimpath and -s -w,
// checked in the Dockerfile's text, do not change the linking; leaving
// them out here lets the build share the test cache.)
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux; debug/elf reads linux binaries")
	}
	bin := buildTollgate(t, "CGO_ENABLED=0")
	for _, p := range dynamicLinking(t, bin) {
		t.Error(p)
	}
	// The check fails on a dynamically linked program.
	if _, err := os.Stat("/bin/ls"); err == nil && len(dynamicLinking(t, "/bin/ls")) == 0 {
		t.Error("dynamicLinking finds /bin/ls static")
	}
}

// dynamicLinking lists what makes the ELF binary at name dynamically linked.
func dynamicLinking(t *testing.T, name string) []string {
	t.Helper()
	f, err := elf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var problems []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			problems = append(problems, fmt.Sprintf("%s has a %s program header: it is dynamically linked", name, p.Type))
		}
	}
	for _, section := range []string{".interp", ".dynamic"} {
		if f.Section(section) != nil {
			problems = append(problems, fmt.Sprintf("%s has a %s section", name, section))
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		problems = append(problems, fmt.Sprintf("%s needs %v", name, libs))
	}
	return problems
}
