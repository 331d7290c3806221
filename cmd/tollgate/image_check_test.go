package main

import (
	"encoding/json"
	"fmt"
	"net"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The checks of the shipping files, written as functions of their text so
// the tests can feed them broken copies and see each check fail.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case, e.g. "RUN"
	args string
}

// stage is one FROM and what follows it.
type stage struct {
	image, name string
	body        []instruction
}

// parseDockerfile splits text into stages; comments and blank lines are
// dropped and lines ending in a backslash joined.
func parseDockerfile(text string) []stage {
	var stages []stage
	var pending string
	for line := range strings.SplitSeq(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if pending == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			pending += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		full := strings.TrimSpace(pending + trimmed)
		pending = ""
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	return stages
}

// find returns the arguments of every instruction cmd of s.
func (s stage) find(cmd string) []string {
	var out []string
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// execForm parses a JSON array (exec form); ok is false for shell form.
func execForm(s string) ([]string, bool) {
	var argv []string
	if err := json.Unmarshal([]byte(s), &argv); err != nil || len(argv) == 0 {
		return nil, false
	}
	return argv, true
}

var buildOutput = regexp.MustCompile(`-o\s+(\S+)\s+\./cmd/tollgate\b`)

// dockerfileImage is what checkDockerfile found in a Dockerfile.
type dockerfileImage struct {
	// copied are the build stage's COPY sources.
	copied []string
	// healthcheck is the HEALTHCHECK command, exec form.
	healthcheck []string
	// env is the final stage's ENV.
	env map[string]string
}

// checkDockerfile checks a multi-stage build of a static binary run as
// non-root with a HEALTHCHECK that is the binary's own subcommand. It
// returns what it found and the problems.
func checkDockerfile(text string) (dockerfileImage, []string) {
	var img dockerfileImage
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	stages := parseDockerfile(text)
	if len(stages) < 2 {
		return img, []string{fmt.Sprintf("%d stages, want a build stage and a final one", len(stages))}
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.image, "golang:") || build.name == "" {
		fail("first stage is %q named %q, want a named golang: stage", build.image, build.name)
	}
	var binary string
	for _, run := range build.find("RUN") {
		if m := buildOutput.FindStringSubmatch(run); m != nil {
			binary = m[1]
			for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
				if !strings.Contains(run, want) {
					fail("the go build of ./cmd/tollgate lacks %s", want)
				}
			}
		}
	}
	if binary == "" {
		fail("the build stage has no go build -o FILE ./cmd/tollgate")
	}
	for _, c := range build.find("COPY") {
		f := strings.Fields(c)
		img.copied = append(img.copied, f[:len(f)-1]...)
	}
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		fail("final image is %q, want distroless/static or scratch (nothing but the static binary)", final.image)
	}
	entry := ""
	if e := final.find("ENTRYPOINT"); len(e) != 1 {
		fail("final stage has %d ENTRYPOINTs, want 1", len(e))
	} else if argv, ok := execForm(e[0]); !ok || len(argv) != 1 {
		fail("ENTRYPOINT %s is not the binary alone in exec form", e[0])
	} else {
		entry = argv[0]
	}
	want := fmt.Sprintf("--from=%s %s %s", build.name, binary, entry)
	if !slices.Contains(final.find("COPY"), want) {
		fail("final stage does not COPY %s", want)
	}
	if users := final.find("USER"); len(users) == 0 {
		fail("final stage has no USER: it would run as root")
	} else {
		uid, _, _ := strings.Cut(users[len(users)-1], ":")
		if n, err := strconv.Atoi(uid); err != nil || n == 0 {
			fail("USER %s is not a numeric non-root uid", users[len(users)-1])
		}
	}
	if hc := final.find("HEALTHCHECK"); len(hc) != 1 {
		fail("final stage has %d HEALTHCHECKs, want 1", len(hc))
	} else {
		_, cmd, _ := strings.Cut(hc[0], "CMD ")
		argv, ok := execForm(cmd)
		switch {
		case !ok:
			fail("HEALTHCHECK %s is not in exec form: the image has no shell", hc[0])
		case argv[0] != entry || len(argv) < 2 || subcommands[argv[1]] == nil:
			fail("HEALTHCHECK %v is not a subcommand of %s", argv, entry)
		default:
			img.healthcheck = argv
		}
	}
	img.env = map[string]string{}
	for _, e := range final.find("ENV") {
		for kv := range strings.FieldsSeq(e) {
			k, v, _ := strings.Cut(kv, "=")
			img.env[k] = v
		}
	}
	problems = append(problems, unknownVariables(img.env)...)
	if _, port, err := net.SplitHostPort(img.env["TOLLGATE_ADDR"]); err != nil || !slices.Contains(final.find("EXPOSE"), port) {
		fail("ENV TOLLGATE_ADDR=%s is not on an EXPOSEd port %v", img.env["TOLLGATE_ADDR"], final.find("EXPOSE"))
	}
	return img, problems
}

// unknownVariables names the TOLLGATE_ variables of env that Tollgate
// does not read.
func unknownVariables(env map[string]string) []string {
	known := map[string]bool{}
	for _, k := range configKeys() {
		known[k.name] = true
		known[k.name+"_FILE"] = k.secret
	}
	var out []string
	for name := range env {
		if strings.HasPrefix(name, envPrefix) && !known[name] {
			out = append(out, name+" is not a setting")
		}
	}
	slices.Sort(out)
	return out
}

// composeFile is the part of a compose file the checks read.
type composeFile struct {
	Services map[string]struct {
		Image   string            `yaml:"image"`
		Command []string          `yaml:"command"`
		Volumes []string          `yaml:"volumes"`
		Ports   []string          `yaml:"ports"`
		Secrets []string          `yaml:"secrets"`
		Env     map[string]string `yaml:"environment"`
		Build   struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// composeStack is what checkCompose found in a compose file.
type composeStack struct {
	// dockerfile is the tollgate service's Dockerfile, relative to the
	// compose file's directory.
	dockerfile string
	// healthcheck is the tollgate service's health check, without "CMD".
	healthcheck []string
}

// checkCompose checks a compose file running tollgate and redis:7 with
// persistence, health checks, and the admin password from a secret file.
func checkCompose(text string) (composeStack, []string) {
	var stack composeStack
	var c composeFile
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		return stack, []string{"not YAML: " + err.Error()}
	}
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	redis, tg := c.Services["redis"], c.Services["tollgate"]
	if !strings.HasPrefix(redis.Image, "redis:7") {
		fail("redis image is %q, want redis:7", redis.Image)
	}
	flags := map[string]string{}
	for i := 0; i+1 < len(redis.Command); i++ {
		if strings.HasPrefix(redis.Command[i], "--") {
			flags[redis.Command[i]] = redis.Command[i+1]
		}
	}
	if flags["--appendonly"] != "yes" || flags["--appendfsync"] != "everysec" {
		fail("redis runs without --appendonly yes --appendfsync everysec: %v", redis.Command)
	}
	if !slices.ContainsFunc(redis.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/data") }) {
		fail("redis keeps /data in no volume: %v", redis.Volumes)
	}
	if len(redis.Healthcheck.Test) == 0 {
		fail("redis has no healthcheck")
	}
	if tg.DependsOn["redis"].Condition != "service_healthy" {
		fail("tollgate does not wait for redis to be healthy")
	}
	stack.dockerfile = path.Join(tg.Build.Context, tg.Build.Dockerfile)
	if t := tg.Healthcheck.Test; len(t) < 3 || t[0] != "CMD" || t[1] != "/tollgate" || subcommands[t[2]] == nil {
		fail("tollgate healthcheck %v is not [CMD /tollgate <subcommand>]", t)
	} else {
		stack.healthcheck = t[1:]
	}
	if u := tg.Env["TOLLGATE_REDIS_URL"]; !strings.HasPrefix(u, "redis://redis:") {
		fail("TOLLGATE_REDIS_URL %q is not the redis service", u)
	}
	secret, ok := strings.CutPrefix(tg.Env["TOLLGATE_ADMIN_PASSWORD_FILE"], "/run/secrets/")
	if !ok || !slices.Contains(tg.Secrets, secret) || c.Secrets[secret].File == "" {
		fail("TOLLGATE_ADMIN_PASSWORD_FILE %q is not a file secret of the service", tg.Env["TOLLGATE_ADMIN_PASSWORD_FILE"])
	}
	if tg.Env["TOLLGATE_ADMIN_PASSWORD"] != "" {
		fail("TOLLGATE_ADMIN_PASSWORD is in the compose file; use the secret file")
	}
	_, port, _ := net.SplitHostPort(tg.Env["TOLLGATE_METRICS_ADDR"])
	if port == "" || !slices.ContainsFunc(tg.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
		fail("TOLLGATE_METRICS_ADDR %q is not a published port %v", tg.Env["TOLLGATE_METRICS_ADDR"], tg.Ports)
	}
	for _, p := range tg.Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			fail("port %s is published on every interface, want 127.0.0.1 only", p)
		}
	}
	problems = append(problems, unknownVariables(tg.Env)...)
	return stack, problems
}
