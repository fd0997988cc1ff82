package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/tandem-sync/tandem/backlog"
)

// Config is the daemon's configuration. Each field's env tag names its
// variable; the README's configuration table lists them.
type Config struct {
	JiraURL           string `env:"TANDEM_JIRA_URL"`
	JiraEmail         string `env:"TANDEM_JIRA_EMAIL"`
	JiraToken         string `env:"TANDEM_JIRA_TOKEN"`
	JiraProject       string `env:"TANDEM_JIRA_PROJECT"`
	JiraWebhookSecret string `env:"TANDEM_JIRA_WEBHOOK_SECRET"`

	LinearURL           string `env:"TANDEM_LINEAR_URL, default=https://api.linear.app"`
	LinearAPIKey        string `env:"TANDEM_LINEAR_API_KEY"`
	LinearTeam          string `env:"TANDEM_LINEAR_TEAM"`
	LinearWebhookSecret string `env:"TANDEM_LINEAR_WEBHOOK_SECRET"`

	RedisURL    string        `env:"TANDEM_REDIS_URL"`
	RedisPrefix string        `env:"TANDEM_REDIS_PREFIX, default=tandem:"`
	DataDir     string        `env:"TANDEM_DATA_DIR, default=./tandem-data"`
	Listen      string        `env:"TANDEM_LISTEN, default=:8080"`
	PollEvery   time.Duration `env:"TANDEM_POLL_INTERVAL, default=30s"`
	// OrderCheckEvery is the order mirroring's safety net: a whole order
	// pass at least this often (others run only on a reported reorder).
	OrderCheckEvery time.Duration `env:"TANDEM_ORDER_CHECK_INTERVAL, default=1h"`
	PublicURL       string        `env:"TANDEM_PUBLIC_URL"`
	Workers         int           `env:"TANDEM_WORKERS, default=4"`
	// LinearBudget and JiraBudget are each credential's requests an hour,
	// used until the tools' rate-limit headers say (0: Linear 2,500, the
	// documented API-key budget; Jira: no limit until it answers 429).
	LinearBudget int    `env:"TANDEM_LINEAR_BUDGET, default=0"`
	JiraBudget   int    `env:"TANDEM_JIRA_BUDGET, default=0"`
	Policy       string `env:"TANDEM_CONFLICT_POLICY"`
	OrderMaster  string `env:"TANDEM_ORDER_MASTER"`
	MappingFile  string `env:"TANDEM_MAPPING"`
	AdminToken   string `env:"TANDEM_ADMIN_TOKEN"`
	LogLevel     string `env:"TANDEM_LOG_LEVEL, default=info"`

	// Mapping is the mapping file's content (defaults without a file),
	// with TANDEM_ORDER_MASTER and TANDEM_CONFLICT_POLICY applied; Load
	// fills it.
	Mapping Mapping
}

// Error is a configuration problem with the variable it concerns.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Load reads the configuration through lookup (envconfig.OsLookuper() for
// the real environment) and validates it. The error, if any, is an *Error
// naming the first offending variable.
func Load(ctx context.Context, lookup envconfig.Lookuper) (Config, error) {
	var c Config
	err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: lookup})
	if err != nil {
		return c, describe(err)
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, c.LoadMapping()
}

// LoadMapping reads TANDEM_MAPPING (when set) into c.Mapping and applies
// the variables that override it.
func (c *Config) LoadMapping() error {
	m := DefaultMapping()
	if c.MappingFile != "" {
		var err error
		if m, err = LoadMapping(c.MappingFile); err != nil {
			return err
		}
	}
	if c.OrderMaster != "" {
		m.OrderMaster = c.OrderMaster
	}
	if c.Policy != "" {
		m.DefaultPolicy = backlog.Policy(c.Policy)
	}
	c.Mapping = m
	return nil
}

// describe turns go-envconfig's error, which names the Go field, into one
// naming the variable.
func describe(err error) error {
	msg := err.Error()
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if rest, ok := strings.CutPrefix(msg, f.Name+": "); ok {
			return &Error{Var: name, Msg: rest}
		}
	}
	return &Error{Var: "TANDEM_*", Msg: msg}
}

var (
	projectKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,9}$`)
	teamKey    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$`)
)

// Validate checks every setting and returns the first problem.
func (c Config) Validate() error {
	checks := []struct {
		name string
		err  string
	}{
		{"TANDEM_JIRA_URL", checkURL(c.JiraURL, true)},
		{"TANDEM_JIRA_EMAIL", required(c.JiraEmail, "the Jira account's email")},
		{"TANDEM_JIRA_TOKEN", required(c.JiraToken, "a Jira API token")},
		{"TANDEM_JIRA_PROJECT", match(c.JiraProject, projectKey, "a Jira project key such as PROJ")},
		{"TANDEM_LINEAR_URL", checkURL(c.LinearURL, true)},
		{"TANDEM_LINEAR_API_KEY", required(c.LinearAPIKey, "a Linear API key")},
		{"TANDEM_LINEAR_TEAM", match(c.LinearTeam, teamKey, "a Linear team key such as ENG")},
		{"TANDEM_REDIS_URL", checkRedis(c.RedisURL)},
		{"TANDEM_LISTEN", checkListen(c.Listen)},
		{"TANDEM_POLL_INTERVAL", checkPoll(c.PollEvery)},
		{"TANDEM_ORDER_CHECK_INTERVAL", checkOrderCheck(c.OrderCheckEvery)},
		{"TANDEM_PUBLIC_URL", checkPublic(c)},
		{"TANDEM_WORKERS", checkWorkers(c.Workers)},
		{"TANDEM_LINEAR_BUDGET", checkBudget(c.LinearBudget)},
		{"TANDEM_JIRA_BUDGET", checkBudget(c.JiraBudget)},
		{"TANDEM_CONFLICT_POLICY", checkPolicy(c.Policy)},
		{"TANDEM_ORDER_MASTER", checkOrderMaster(c.OrderMaster)},
		{"TANDEM_LOG_LEVEL", checkLevel(c.LogLevel)},
		{"TANDEM_ADMIN_TOKEN", checkToken(c.AdminToken)},
		{"TANDEM_DATA_DIR", checkDataDir(c)},
	}
	for _, ch := range checks {
		if ch.err != "" {
			return &Error{Var: ch.name, Msg: ch.err}
		}
	}
	return nil
}

func required(v, what string) string {
	if strings.TrimSpace(v) == "" {
		return "missing: set it to " + what
	}
	return ""
}

func match(v string, re *regexp.Regexp, what string) string {
	if v == "" {
		return "missing: set it to " + what
	}
	if !re.MatchString(v) {
		return fmt.Sprintf("%q is not %s", v, what)
	}
	return ""
}

func checkURL(v string, need bool) string {
	if v == "" {
		if need {
			return "missing: set it to the site's base URL, e.g. https://example.atlassian.net"
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an http(s) URL", v)
	}
	return ""
}

func checkRedis(v string) string {
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return "not a redis:// or rediss:// URL (leave it empty for the embedded store)"
	}
	return ""
}

func checkListen(v string) string {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Sprintf("%q is not host:port (e.g. :8080)", v)
	}
	return ""
}

func checkPoll(d time.Duration) string {
	if d < 100*time.Millisecond {
		return fmt.Sprintf("%s is too short: polling is the safety net, use at least 100ms (30s is typical)", d)
	}
	return ""
}

func checkOrderCheck(d time.Duration) string {
	if d != 0 && d < time.Second {
		return fmt.Sprintf("%s is too short: each check lists the whole backlog on both sides; use at least 1s (1h is typical)", d)
	}
	return ""
}

func checkPublic(c Config) string {
	if c.PublicURL == "" {
		return ""
	}
	if msg := checkURL(c.PublicURL, false); msg != "" {
		return msg
	}
	if c.JiraWebhookSecret == "" || c.LinearWebhookSecret == "" {
		return "webhook registration needs TANDEM_JIRA_WEBHOOK_SECRET and TANDEM_LINEAR_WEBHOOK_SECRET (unsigned deliveries are refused)"
	}
	return ""
}

func checkBudget(n int) string {
	if n < 0 {
		return fmt.Sprintf("must be 0 (the default) or a number of requests an hour, got %d", n)
	}
	return ""
}

func checkWorkers(n int) string {
	if n < 1 || n > 256 {
		return fmt.Sprintf("%d is out of range 1..256", n)
	}
	return ""
}

func checkPolicy(p string) string {
	if p != "" && !backlog.Policy(p).Valid() {
		return fmt.Sprintf("%q is not one of jira, linear, newest, manual", p)
	}
	return ""
}

func checkOrderMaster(m string) string {
	switch m {
	case "", "jira", "linear", "off":
		return ""
	}
	return fmt.Sprintf("%q is not one of jira, linear, off (the tool whose backlog order the other mirrors)", m)
}

func checkToken(t string) string {
	if t != "" && len(t) < 16 {
		return "too short: use at least 16 random characters (or leave it empty to turn the admin API off)"
	}
	return ""
}

func checkLevel(l string) string {
	switch strings.ToLower(l) {
	case "debug", "info", "warn", "error":
		return ""
	}
	return fmt.Sprintf("%q is not one of debug, info, warn, error", l)
}

func checkDataDir(c Config) string {
	if c.RedisURL == "" && strings.TrimSpace(c.DataDir) == "" {
		return "missing: the embedded store (no TANDEM_REDIS_URL) needs a directory"
	}
	return ""
}

// IsConfigError reports whether err is a configuration problem.
func IsConfigError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
