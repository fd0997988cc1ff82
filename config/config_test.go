package config

import (
	"errors"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
)

func good() map[string]string {
	return map[string]string{
		"TANDEM_JIRA_URL":       "https://example.atlassian.net",
		"TANDEM_JIRA_EMAIL":     "bot@example.com",
		"TANDEM_JIRA_TOKEN":     "t",
		"TANDEM_JIRA_PROJECT":   "PROJ",
		"TANDEM_LINEAR_API_KEY": "lin_api_x",
		"TANDEM_LINEAR_TEAM":    "ENG",
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(t.Context(), envconfig.MapLookuper(good()))
	if err != nil {
		t.Fatal(err)
	}
	if c.LinearURL != "https://api.linear.app" || c.PollEvery != 30*time.Second || c.Listen != ":8080" || c.RedisURL != "" || c.Mapping.DefaultPolicy != "jira" || c.Mapping.OrderMaster != "off" {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		set     map[string]string
		unset   string
		wantVar string
	}{
		{unset: "TANDEM_JIRA_URL", wantVar: "TANDEM_JIRA_URL"},
		{unset: "TANDEM_JIRA_TOKEN", wantVar: "TANDEM_JIRA_TOKEN"},
		{unset: "TANDEM_LINEAR_TEAM", wantVar: "TANDEM_LINEAR_TEAM"},
		{set: map[string]string{"TANDEM_JIRA_URL": "ftp://x"}, wantVar: "TANDEM_JIRA_URL"},
		{set: map[string]string{"TANDEM_JIRA_PROJECT": "lower"}, wantVar: "TANDEM_JIRA_PROJECT"},
		{set: map[string]string{"TANDEM_POLL_INTERVAL": "soon"}, wantVar: "TANDEM_POLL_INTERVAL"},
		{set: map[string]string{"TANDEM_POLL_INTERVAL": "1ms"}, wantVar: "TANDEM_POLL_INTERVAL"},
		{set: map[string]string{"TANDEM_WORKERS": "many"}, wantVar: "TANDEM_WORKERS"},
		{set: map[string]string{"TANDEM_WORKERS": "0"}, wantVar: "TANDEM_WORKERS"},
		{set: map[string]string{"TANDEM_REDIS_URL": "http://x"}, wantVar: "TANDEM_REDIS_URL"},
		{set: map[string]string{"TANDEM_LISTEN": "8080"}, wantVar: "TANDEM_LISTEN"},
		{set: map[string]string{"TANDEM_PUBLIC_URL": "https://tandem.example.com"}, wantVar: "TANDEM_PUBLIC_URL"},
		{set: map[string]string{"TANDEM_CONFLICT_POLICY": "coin"}, wantVar: "TANDEM_CONFLICT_POLICY"},
		{set: map[string]string{"TANDEM_ORDER_MASTER": "both"}, wantVar: "TANDEM_ORDER_MASTER"},
		{set: map[string]string{"TANDEM_ADMIN_TOKEN": "short"}, wantVar: "TANDEM_ADMIN_TOKEN"},
	}
	for _, tc := range cases {
		env := good()
		delete(env, tc.unset)
		for k, v := range tc.set {
			env[k] = v
		}
		_, err := Load(t.Context(), envconfig.MapLookuper(env))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.wantVar {
			t.Errorf("%v/%v: err = %v, want an error naming %s", tc.set, tc.unset, err, tc.wantVar)
		}
	}
}
