package main

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/tandem-sync/tandem/demo"
)

// redisWorld starts both sandboxes and Tandem on Redis (a key prefix of its
// own, so the command under test can open the same store while the daemon
// runs) and points the TANDEM_* variables at them.
func redisWorld(t *testing.T, name string, webhooks bool) *demo.Env {
	t.Helper()
	redisURL := os.Getenv("TANDEM_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379"
	}
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "tandem-" + name + "-" + hex.EncodeToString(b) + ":"
	e, err := demo.StartEnv(t.Context(), demo.EnvOptions{RedisURL: redisURL, RedisPrefix: prefix, Webhooks: webhooks,
		PollEvery: time.Hour, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	c := e.Config
	for k, v := range map[string]string{
		"TANDEM_JIRA_URL": c.JiraURL, "TANDEM_JIRA_EMAIL": c.JiraEmail, "TANDEM_JIRA_TOKEN": c.JiraToken, "TANDEM_JIRA_PROJECT": c.JiraProject,
		"TANDEM_LINEAR_URL": c.LinearURL, "TANDEM_LINEAR_API_KEY": c.LinearAPIKey, "TANDEM_LINEAR_TEAM": c.LinearTeam,
		"TANDEM_REDIS_URL": c.RedisURL, "TANDEM_REDIS_PREFIX": c.RedisPrefix, "TANDEM_LISTEN": "127.0.0.1:0",
		"TANDEM_MAPPING": "", "TANDEM_ORDER_MASTER": "", "TANDEM_CONFLICT_POLICY": "",
	} {
		t.Setenv(k, v)
	}
	return e
}
