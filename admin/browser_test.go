package admin_test

// Browser tests: the admin page driven in Debian's Chromium (headless) with
// chromedp. TestBrowserSettlesConflict runs the whole world in process (both
// sandboxes and Tandem with the manual policy), makes a real conflict and
// settles it through the page; the other tests check the page's Markdown
// renderer and word diff inside the browser, where they run.
//
// scripts/browser-up installs Chromium. Without it these tests skip, except
// under CI (CI set), where they fail.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"pgregory.net/rapid"

	"github.com/tandem-sync/tandem/admin"
	"github.com/tandem-sync/tandem/backlog"
	"github.com/tandem-sync/tandem/demo"
	"github.com/tandem-sync/tandem/store"
)

const chromiumPath = "/usr/bin/chromium"

// browser starts a fresh headless Chromium for the test and returns a
// chromedp context on one tab. Uncaught exceptions and console errors of the
// page fail the test, except network errors whose text contains one of
// allow (say, the 401 of a refused token).
func browser(t *testing.T, allow ...string) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no browser at %s (run scripts/browser-up): the browser tests never skip in CI", chromiumPath)
		}
		t.Skipf("no browser at %s: run scripts/browser-up to run the browser tests", chromiumPath)
	}
	profile := t.TempDir() // removed after the browser has exited (cleanups run last first)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1366, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})

	var (
		mu   sync.Mutex
		errs []string
	)
	msgs := chromedp.Console(ctx) // starts the browser and the tab
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
				continue
			}
			if m.Source == "network" && slices.ContainsFunc(allow, func(a string) bool { return strings.Contains(m.Text, a) }) {
				continue
			}
			mu.Lock()
			errs = append(errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("browser console: %s", e)
		}
	})
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// tid selects an element by its data-testid.
func tid(id string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf("[data-testid=%q]", id)) }

// do runs browser steps with a deadline, and on failure reports what the
// page showed.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	run(t, ctx, false, what, steps...)
}

// redo is do for idempotent steps (setting a value, clicking what opens or
// filters, waiting): when the page replaced a node between its lookup and
// its use, it runs them once more.
func redo(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	run(t, ctx, true, what, steps...)
}

func run(t *testing.T, ctx context.Context, again bool, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := chromedp.Do(sctx, steps...)
	if again && err != nil && strings.Contains(err.Error(), "Could not find node with given id") {
		err = chromedp.Do(sctx, steps...)
	}
	if err != nil {
		t.Fatalf("%s: %v\npage text:\n%s", what, err, pageText(ctx))
	}
}

func pageText(ctx context.Context) string {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// text reads an element's textContent.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.TextContent(tid(id)))
	if err != nil {
		t.Fatalf("reading %s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

// until waits for a JavaScript condition of the page to hold.
func until(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, timeout+2*time.Second)
	defer cancel()
	_, err := chromedp.Run(sctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, pageText(ctx))
	}
}

// shot saves a screenshot of the viewport as <dir>/<name>.png when
// TANDEM_UI_SCREENSHOTS names a directory: a way to look at the page.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TANDEM_UI_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func textOf(id string) string {
	return fmt.Sprintf(`(document.querySelector('[data-testid=%q]')?.textContent ?? "")`, id)
}

func TestBrowserSettlesConflict(t *testing.T) {
	ctx := t.Context()
	token := randomToken()
	env, err := demo.StartEnv(ctx, demo.EnvOptions{
		DataDir: t.TempDir(), Policy: "manual", AdminToken: token,
		Webhooks: true, PollEvery: 500 * time.Millisecond, JiraSeed: 3, LinearSeed: 2,
		Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	if _, _, err := env.Settle(ctx, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	base := "http://" + env.App.Addr()

	// A conflict: both sides retitle the issue while the link is held.
	l, err := env.Pick(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	was := env.JiraIssue(l).Summary
	jt, lt := "Checkout: pay with Apple Pay (Jira wording)", "Checkout: pay with Apple Pay (Linear wording)"
	lease, err := env.HoldLink(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Jira.UserEdit(demo.Alice, l.Jira.ID, map[string]any{"summary": jt}); err != nil {
		t.Fatal(err)
	}
	if err := env.Linear.UserUpdate(demo.Bob, l.Linear.ID, map[string]any{"title": lt}); err != nil {
		t.Fatal(err)
	}
	if err := env.App.State.Unlock(ctx, lease); err != nil {
		t.Fatal(err)
	}
	var c backlog.Conflict
	if _, err := demo.WaitFor(ctx, 10*time.Second, func() bool {
		cs, _ := env.App.State.Conflicts(ctx, store.ConflictFilter{LinkID: l.ID(), OpenOnly: true})
		if len(cs) == 0 {
			return false
		}
		c = cs[0]
		return true
	}); err != nil {
		t.Fatalf("no open conflict on %s: %v", l.Jira.Key, err)
	}

	b := browser(t, "401")
	do(t, b, "opening the page",
		chromedp.Navigate(base+"/ui"),
		chromedp.WaitVisible(tid("token-input")))

	// A wrong token is refused and the form asks again.
	do(t, b, "signing in with a wrong token",
		chromedp.SendKeys(tid("token-input"), "not-the-admin-token"),
		chromedp.Click(tid("login-submit")),
		chromedp.WaitVisible(tid("login-error")))
	if got := text(t, b, "login-error"); !strings.Contains(got, "refused") {
		t.Errorf("login error %q, want it to say the token was refused", got)
	}

	do(t, b, "signing in",
		chromedp.SendKeys(tid("token-input"), token),
		chromedp.Click(tid("login-submit")),
		chromedp.WaitVisible(tid("conflict-table")))
	links, err := env.App.State.Links(ctx)
	if err != nil {
		t.Fatal(err)
	}
	until(t, b, "the header counts", textOf("count-open")+` === "1" && `+textOf("count-links")+fmt.Sprintf(` === "%d"`, len(links)), 5*time.Second)
	loc, err := chromedp.Run(b, chromedp.Location())
	if err != nil || strings.Contains(loc, token) {
		t.Errorf("location %q (%v) must not carry the token", loc, err)
	}

	// Filters: open only, then a field with no conflict, then the title.
	row := fmt.Sprintf(`tr[data-testid="conflict-row"][data-id=%q]`, c.ID)
	do(t, b, "filtering to open conflicts",
		chromedp.Click(tid("filter-open")),
		chromedp.WaitVisible(chromedp.CSS(row)))
	until(t, b, "only open rows", `(() => { const rs = [...document.querySelectorAll('[data-testid="conflict-row"]')];
		return rs.length > 0 && rs.every(r => r.dataset.open === "true"); })()`, 5*time.Second)
	redo(t, b, "filtering to description conflicts",
		chromedp.SetValue(tid("filter-field"), "description"),
		chromedp.Click(tid("filter-apply")),
		chromedp.WaitVisible(tid("conflict-empty")))
	redo(t, b, "filtering to title conflicts",
		chromedp.SetValue(tid("filter-field"), "title"),
		chromedp.Click(tid("filter-apply")),
		chromedp.WaitVisible(chromedp.CSS(row)))

	redo(t, b, "opening the conflict",
		chromedp.Click(chromedp.CSS(row+` [data-testid="conflict-open"]`)),
		chromedp.WaitVisible(tid("conflict-detail")),
		chromedp.WaitVisible(tid("resolve-linear")))
	for id, want := range map[string]string{"value-base": was, "value-jira": jt, "value-linear": lt} {
		if got := text(t, b, id); got != want {
			t.Errorf("%s shows %q, want %q", id, got, want)
		}
	}
	// Who and when, as the record has them.
	for id, want := range map[string]string{"who-jira": c.JiraBy, "who-linear": c.LinearBy} {
		if want == "" {
			want = "author unknown"
		}
		if got := text(t, b, id); !strings.Contains(got, want) {
			t.Errorf("%s %q, want %q", id, got, want)
		}
	}
	shot(t, b, "detail-open")
	// The words each side added against the base are marked.
	until(t, b, "highlighted differences",
		`[...document.querySelectorAll('[data-testid="value-linear"] ins')].some(e => e.textContent.includes("Linear"))`, 2*time.Second)

	do(t, b, "keeping Linear's value",
		chromedp.Click(tid("resolve-linear")),
		chromedp.WaitVisible(tid("settled")),
		chromedp.WaitNotVisible(tid("resolve")))
	until(t, b, "the settled state", textOf("detail-state")+`.includes("Kept Linear") && `+
		fmt.Sprintf(`document.querySelector(%s)?.dataset.open === "false"`, js(row))+` && `+
		fmt.Sprintf(`document.querySelector(%s)?.textContent.includes("Kept Linear")`, js(row)), 5*time.Second)
	shot(t, b, "detail-settled")
	if got := text(t, b, "value-settled"); got != lt {
		t.Errorf("settled value %q, want %q", got, lt)
	}

	if _, err := demo.WaitFor(ctx, 15*time.Second, func() bool {
		return env.JiraIssue(l).Summary == lt && env.LinearIssue(l).Title == lt
	}); err != nil {
		t.Fatalf("after Keep Linear: jira %q, linear %q, want both %q: %v",
			env.JiraIssue(l).Summary, env.LinearIssue(l).Title, lt, err)
	}
	got, err := env.App.State.Conflict(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Open() || got.Value != backlog.Value(lt) || got.SettledBy != "ui" {
		t.Errorf("stored conflict: open %v, value %q, settled by %q; want settled with %q by ui", got.Open(), got.Value, got.SettledBy, lt)
	}
	// The page follows the write to both sides and the header catches up.
	until(t, b, "the write to both sides", textOf("detail-state")+`.includes("written to both sides")`, 10*time.Second)
	until(t, b, "no open conflicts in the header", textOf("count-open")+` === "0"`, 10*time.Second)
	until(t, b, "the propagation in the feed", fmt.Sprintf(
		`[...document.querySelectorAll('[data-testid="propagation-row"]')].some(r => r.textContent.includes(%s))`, js(l.Jira.Key)), 10*time.Second)

	// Signing out forgets the token.
	do(t, b, "signing out", chromedp.Click(tid("signout")), chromedp.WaitVisible(tid("token-input")))
	if left, err := chromedp.Run(b, chromedp.Evaluate[int]("sessionStorage.length")); err != nil || left != 0 {
		t.Errorf("after sign-out sessionStorage holds %d items (%v)", left, err)
	}
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// uiPage serves the page alone (no API) and opens it in a browser, for
// tests of its JavaScript modules.
func uiPage(t *testing.T) context.Context {
	t.Helper()
	srv := httptest.NewServer(admin.UIHandler())
	t.Cleanup(srv.Close)
	b := browser(t)
	do(t, b, "opening the page", chromedp.Navigate(srv.URL+"/ui/"), chromedp.WaitVisible(tid("token-input")))
	return b
}

// call runs fn (a JavaScript function expression, maybe async) on args
// given as JSON, and decodes its result into T.
func call[T any](ctx context.Context, fn string, args ...any) (T, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		j, err := json.Marshal(a)
		if err != nil {
			var zero T
			return zero, err
		}
		parts[i] = string(j)
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(c, chromedp.Evaluate[T](fmt.Sprintf("(%s)(%s)", fn, strings.Join(parts, ",")), chromedp.EvalAwaitPromise))
}

const renderMD = `async (src) => {
	const m = await import("/ui/markdown.js");
	const box = document.createElement("div");
	box.append(m.render(document, src));
	const els = [...box.querySelectorAll("*")];
	return {
		html: box.innerHTML,
		text: box.textContent,
		tags: els.map(e => e.localName),
		attrs: els.flatMap(e => [...e.attributes].map(a => [e.localName, a.name, a.value])),
	};
}`

type rendered struct {
	HTML  string     `json:"html"`
	Text  string     `json:"text"`
	Tags  []string   `json:"tags"`
	Attrs [][]string `json:"attrs"`
}

const link = ` rel="noopener noreferrer nofollow" target="_blank"`

// TestBrowserModules checks the page's pure JavaScript (the Markdown
// renderer and the word diff) where it runs, sharing one browser.
func TestBrowserModules(t *testing.T) {
	b := uiPage(t)
	t.Run("markdown", func(t *testing.T) { testMarkdown(t, b) })
	t.Run("markdown is safe", func(t *testing.T) { testMarkdownIsSafe(t, b) })
	t.Run("diff", func(t *testing.T) { testDiff(t, b) })
}

func testMarkdown(t *testing.T, b context.Context) {
	tests := []struct{ name, src, want string }{
		{"heading", "# Title", `<h3 class="md-h1">Title</h3>`},
		{"setext heading", "Title\n===", `<h3 class="md-h1">Title</h3>`},
		{"level 3", "### Three ###", `<h5 class="md-h3">Three</h5>`},
		{"not a heading", "#hashtag", `<p>#hashtag</p>`},
		{"paragraphs", "one\ntwo\n\nthree", "<p>one\ntwo</p><p>three</p>"},
		{"hard break", "one  \ntwo", "<p>one<br>two</p>"},
		{"emphasis", "a *b* **c** `d` ~~e~~ _f_", `<p>a <em>b</em> <strong>c</strong> <code>d</code> <del>e</del> <em>f</em></p>`},
		{"nested emphasis", "***x***", `<p><strong><em>x</em></strong></p>`},
		{"intraword underscore", "snake_case_name", `<p>snake_case_name</p>`},
		{"lone star", "2 * 3 * 4", `<p>2 * 3 * 4</p>`},
		{"escapes", `\*not em\* \[x\]`, `<p>*not em* [x]</p>`},
		{"code keeps markup", "`<b>*x*</b>`", `<p><code>&lt;b&gt;*x*&lt;/b&gt;</code></p>`},
		{"bullets", "- one\n- two\n  - nested", `<ul><li>one</li><li><p>two</p><ul><li>nested</li></ul></li></ul>`},
		{"ordered", "3. c\n4. d", `<ol start="3"><li>c</li><li>d</li></ol>`},
		{"tasks", "- [x] done\n- [ ] todo", `<ul><li class="md-task"><input type="checkbox" checked="" disabled="" aria-label="done"> done</li>` +
			`<li class="md-task"><input type="checkbox" disabled="" aria-label="not done"> todo</li></ul>`},
		{"fence", "```go\nx := <b>\n```", `<pre><code data-lang="go">x := &lt;b&gt;</code></pre>`},
		{"indented code", "    a\n    b", `<pre><code>a
b</code></pre>`},
		{"quote", "> q\n> r", "<blockquote><p>q\nr</p></blockquote>"},
		{"rule", "---", "<hr>"},
		{"table", "| a | b |\n|---|--:|\n| 1 | 2 |", `<table class="md-table"><thead><tr><th>a</th><th style="text-align: right;">b</th></tr></thead>` +
			`<tbody><tr><td>1</td><td style="text-align: right;">2</td></tr></tbody></table>`},
		{"link", "[x *y*](https://e.com/a?b=1)", `<p><a href="https://e.com/a?b=1"` + link + `>x <em>y</em></a></p>`},
		{"mailto", "[me](mailto:a@b.c)", `<p><a href="mailto:a@b.c"` + link + `>me</a></p>`},
		{"autolink", "<https://e.com>", `<p><a href="https://e.com/"` + link + `>https://e.com</a></p>`},
		{"bare url", "see https://e.com/x.", `<p>see <a href="https://e.com/x"` + link + `>https://e.com/x</a>.</p>`},
		{"javascript link", "[x](javascript:alert(1))", `<p><span class="md-badlink">x</span></p>`},
		{"data link", "[x](data:text/html,<script>alert(1)</script>)", `<p><span class="md-badlink">x</span></p>`},
		{"relative link", "[x](/admin)", `<p><span class="md-badlink">x</span></p>`},
		{"image is a link", "![a](https://e.com/i.png)", `<p><a class="md-image" href="https://e.com/i.png"` + link + `>image: a</a></p>`},
		{"script is text", "<script>alert(1)</script>", `<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`},
		{"html is text", `<img src=x onerror="alert(1)">`, `<p>&lt;img src=x onerror="alert(1)"&gt;</p>`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := call[rendered](b, renderMD, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if r.HTML != tt.want {
				t.Errorf("render(%q)\n got %s\nwant %s", tt.src, r.HTML, tt.want)
			}
		})
	}
	t.Run("deep nesting", func(t *testing.T) {
		src := strings.Repeat("> ", 500) + strings.Repeat("*", 400) + "x" + strings.Repeat("*", 400) + strings.Repeat("[", 300)
		r, err := call[rendered](b, renderMD, src)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, "x") {
			t.Errorf("deeply nested text lost: %q", r.Text)
		}
	})
}

var (
	mdTags  = []string{"h3", "h4", "h5", "h6", "p", "br", "em", "strong", "del", "code", "pre", "ul", "ol", "li", "input", "blockquote", "hr", "a", "span", "table", "thead", "tbody", "tr", "th", "td"}
	mdAttrs = map[string]bool{"class": true, "href": true, "rel": true, "target": true, "type": true, "checked": true, "disabled": true, "aria-label": true, "start": true, "data-lang": true, "style": true}
	mdBits  = []string{"a", "b c", " ", "\n", "\n\n", "# ", "## ", "- ", "1. ", "> ", "    ", "*", "**", "_", "~~", "`", "```", "\\",
		"[", "]", "(", ")", "](", "![", "<", ">", "|", "---", "| a | b |\n|---|---|\n", "- [x] ",
		"https://e.com/p", "javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "vbscript:x", "<script>alert(1)</script>",
		`<img src=x onerror=alert(1)>`, `" onmouseover="x`, "&amp;", "&lt;", "é", "😀"}
)

// The renderer's safety, on random Markdown: only known elements and
// attributes come out, every link goes to http(s) or mailto, and the page
// runs nothing.
func testMarkdownIsSafe(t *testing.T, b context.Context) {
	rapid.Check(t, func(rt *rapid.T) {
		parts := rapid.SliceOfN(rapid.SampledFrom(mdBits), 0, 40).Draw(rt, "parts")
		src := strings.Join(parts, "")
		r, err := call[rendered](b, renderMD, src)
		if err != nil {
			rt.Fatalf("render(%q): %v", src, err)
		}
		for _, tag := range r.Tags {
			if !slices.Contains(mdTags, tag) {
				rt.Fatalf("render(%q) made a <%s>: %s", src, tag, r.HTML)
			}
		}
		for _, a := range r.Attrs {
			el, name, val := a[0], a[1], a[2]
			if !mdAttrs[name] {
				rt.Fatalf("render(%q) set %s on <%s>: %s", src, name, el, r.HTML)
			}
			if name == "href" && !(strings.HasPrefix(val, "https://") || strings.HasPrefix(val, "http://") || strings.HasPrefix(val, "mailto:")) {
				rt.Fatalf("render(%q) links to %q", src, val)
			}
			if name == "style" && !strings.HasPrefix(val, "text-align:") {
				rt.Fatalf("render(%q) styled %q", src, val)
			}
			if el == "input" && name == "type" && val != "checkbox" {
				rt.Fatalf("render(%q) made an input of type %q", src, val)
			}
		}
	})
	pwned, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("script:not([src]), img").length`))
	if err != nil || pwned != 0 {
		t.Fatalf("the page gained %d inline scripts or images (%v)", pwned, err)
	}
}

const diffJS = `async (a, b) => {
	const d = await import("/ui/diff.js");
	const ta = d.tokenize(a), tb = d.tokenize(b), raw = d.diffTokens(ta, tb);
	return { ta, tb, raw, parts: d.diffWords(a, b),
		eqTokens: raw.filter(p => p.op === "eq").reduce((n, p) => n + d.tokenize(p.text).length, 0) };
}`

type diffPart struct{ Op, Text string }

type diffResult struct {
	TA       []string   `json:"ta"`
	TB       []string   `json:"tb"`
	Raw      []diffPart `json:"raw"`   // the LCS diff
	Parts    []diffPart `json:"parts"` // after cleanup
	EqTokens int        `json:"eqTokens"`
}

// rebuild joins a diff's parts back into its two texts, and checks the
// parts are merged and not empty.
func rebuild(parts []diffPart) (from, to string, err error) {
	var f, t strings.Builder
	for i, p := range parts {
		if p.Text == "" || (i > 0 && parts[i-1].Op == p.Op) {
			return "", "", fmt.Errorf("parts not merged or empty: %+v", parts)
		}
		switch p.Op {
		case "eq":
			f.WriteString(p.Text)
			t.WriteString(p.Text)
		case "del":
			f.WriteString(p.Text)
		case "ins":
			t.WriteString(p.Text)
		default:
			return "", "", fmt.Errorf("op %q", p.Op)
		}
	}
	return f.String(), t.String(), nil
}

func testDiff(t *testing.T, b context.Context) {
	type part = diffPart
	tests := []struct {
		a, b string
		want []part
	}{
		{"same words", "same words", []part{{"eq", "same words"}}},
		{"", "new", []part{{"ins", "new"}}},
		{"old", "", []part{{"del", "old"}}},
		{"Search: highlight matched terms", "Search: highlight terms (Linear wording)",
			[]part{{"eq", "Search: highlight "}, {"del", "matched "}, {"eq", "terms"}, {"ins", " (Linear wording)"}}},
		{"a b c", "a x c", []part{{"eq", "a "}, {"del", "b"}, {"ins", "x"}, {"eq", " c"}}},
		{"naïve café", "naïve cafés", []part{{"eq", "naïve "}, {"del", "café"}, {"ins", "cafés"}}},
		// Spaces common to two rewrites do not chop them into single words.
		{"Set up CI pipeline", "Checkout: pay with Apple Pay", []part{{"del", "Set up CI pipeline"}, {"ins", "Checkout: pay with Apple Pay"}}},
		{"one two three four", "one 2 3 four", []part{{"eq", "one "}, {"del", "two three"}, {"ins", "2 3"}, {"eq", " four"}}},
	}
	for _, tt := range tests {
		r, err := call[diffResult](b, diffJS, tt.a, tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.Parts, tt.want) {
			t.Errorf("diffWords(%q, %q) = %v, want %v", tt.a, tt.b, r.Parts, tt.want)
		}
	}

	words := []string{"a", "b", "c", "the", "fix", " ", " ", "  ", "\n", ".", ",", "(", ")", "é", "😀", "x1", "_"}
	text := rapid.Custom(func(t *rapid.T) string {
		return strings.Join(rapid.SliceOfN(rapid.SampledFrom(words), 0, 30).Draw(t, "words"), "")
	})
	rapid.Check(t, func(rt *rapid.T) {
		a := text.Draw(rt, "a")
		bb := text.Draw(rt, "b")
		r, err := call[diffResult](b, diffJS, a, bb)
		if err != nil {
			rt.Fatal(err)
		}
		if strings.Join(r.TA, "") != a || strings.Join(r.TB, "") != bb {
			rt.Fatalf("tokenize loses text: %q -> %q", a, r.TA)
		}
		for _, parts := range [][]diffPart{r.Raw, r.Parts} {
			from, to, err := rebuild(parts)
			if err != nil {
				rt.Fatal(err)
			}
			if from != a || to != bb {
				rt.Fatalf("diff does not rebuild its inputs: %q -> %q via %+v", a, bb, parts)
			}
		}
		for i := 1; i+1 < len(r.Parts); i++ {
			if p := r.Parts[i]; p.Op == "eq" && strings.TrimSpace(p.Text) == "" && r.Parts[i-1].Op != "eq" && r.Parts[i+1].Op != "eq" {
				rt.Fatalf("lone space left between changes: %+v", r.Parts)
			}
		}
		if want := lcs(r.TA, r.TB); r.EqTokens != want {
			rt.Fatalf("diff keeps %d tokens, the longest common subsequence has %d: %q -> %q",
				r.EqTokens, want, a, bb)
		}
	})

	// Past the table's size limit the diff is coarse but still exact.
	big := strings.Repeat("w ", 2100)
	r, err := call[diffResult](b, diffJS, "x "+big, "y "+big+"z")
	if err != nil {
		t.Fatal(err)
	}
	var from strings.Builder
	for _, p := range r.Parts {
		if p.Op != "ins" {
			from.WriteString(p.Text)
		}
	}
	if from.String() != "x "+big {
		t.Errorf("large diff does not rebuild its input")
	}
}

// lcs is the length of a longest common subsequence of tokens, the
// reference the page's diff is checked against.
func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// The page sends the token only as a bearer header: check what reaches the
// server when one signs in against a stub API.
func TestBrowserSendsBearerToken(t *testing.T) {
	const token = "0123456789abcdef0123"
	var (
		mu   sync.Mutex
		seen []string
	)
	mux := http.NewServeMux()
	mux.Handle("/ui", admin.UIHandler())
	mux.Handle("/ui/", admin.UIHandler())
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/status":
			fmt.Fprint(w, `{"links":7,"openConflicts":0,"conflicts":0,"queue":2,"failures":0}`)
		case "/api/v1/conflicts":
			fmt.Fprint(w, `{"conflicts":[]}`)
		case "/api/v1/propagations":
			fmt.Fprint(w, `{"propagations":[]}`)
		case "/api/v1/ambiguous":
			fmt.Fprint(w, `{"ambiguous":[]}`)
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := browser(t)
	do(t, b, "signing in",
		chromedp.Navigate(srv.URL+"/ui"),
		chromedp.SendKeys(tid("token-input"), token),
		chromedp.Click(tid("login-submit")),
		chromedp.WaitVisible(tid("conflict-empty")))
	until(t, b, "the header counts", textOf("count-links")+` === "7" && `+textOf("count-queue")+` === "2"`, 5*time.Second)
	// Filters become query parameters; the since field is read as UTC.
	do(t, b, "filtering",
		chromedp.SetValue(tid("filter-since"), "2026-03-01T10:15"),
		chromedp.SetValue(tid("filter-field"), "status"),
		chromedp.Click(tid("filter-open")))
	const want = "/api/v1/conflicts?open=true&field=status&since=2026-03-01T10%3A15%3A00Z&limit=200"
	if _, err := demo.WaitFor(t.Context(), 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.ContainsFunc(seen, func(s string) bool { return strings.HasPrefix(s, want+" ") })
	}); err != nil {
		mu.Lock()
		t.Errorf("no call of %s among %q", want, seen)
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 3 {
		t.Fatalf("the page made %d API calls: %q", len(seen), seen)
	}
	for _, s := range seen {
		if strings.Count(s, token) != 1 || !strings.HasSuffix(s, " Bearer "+token) {
			t.Errorf("API call %q: want the token once, as the bearer header only", s)
		}
	}
}

// stubAPI is a tiny in-memory admin API for page tests that need shapes the
// real world makes rarely (descriptions, statuses, settled races).
type stubAPI struct {
	mu        sync.Mutex
	conflicts []map[string]any
	bodies    []string
}

func (s *stubAPI) find(id string) map[string]any {
	for _, c := range s.conflicts {
		if c["id"] == id {
			return c
		}
	}
	return nil
}

func (s *stubAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	reply := func(code int, v any) {
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	switch {
	case path == "status":
		open := 0
		for _, c := range s.conflicts {
			if c["open"] == true {
				open++
			}
		}
		reply(200, map[string]any{"links": 2, "openConflicts": open, "conflicts": len(s.conflicts), "queue": 0})
	case path == "propagations":
		reply(200, map[string]any{"propagations": []any{}})
	case path == "ambiguous":
		reply(200, map[string]any{"ambiguous": []any{}})
	case path == "conflicts":
		out := []map[string]any{}
		for _, c := range s.conflicts {
			if r.URL.Query().Get("open") == "true" && c["open"] != true {
				continue
			}
			if f := r.URL.Query().Get("field"); f != "" && c["field"] != f {
				continue
			}
			out = append(out, c)
		}
		reply(200, map[string]any{"conflicts": out})
	case strings.HasSuffix(path, "/resolve") && r.Method == http.MethodPost:
		c := s.find(strings.TrimSuffix(strings.TrimPrefix(path, "conflicts/"), "/resolve"))
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		b, _ := json.Marshal(body)
		s.bodies = append(s.bodies, string(b))
		switch {
		case c == nil:
			reply(404, map[string]string{"error": "no such conflict"})
		case c["open"] != true:
			reply(409, map[string]string{"error": "conflict already settled"})
		default:
			c["open"], c["took"], c["value"], c["settledBy"], c["settledAt"] = false, "value", body["value"], body["by"], "2026-03-02T10:00:00Z"
			if body["take"] != "" {
				c["took"] = body["take"]
			}
			reply(200, c)
		}
	case strings.HasPrefix(path, "conflicts/"):
		if c := s.find(strings.TrimPrefix(path, "conflicts/")); c != nil {
			reply(200, c)
			return
		}
		reply(404, map[string]string{"error": "no such conflict"})
	default:
		reply(404, map[string]string{"error": "no such endpoint"})
	}
}

func stubConflict(id, field, base, jira, linear string, open bool) map[string]any {
	return map[string]any{
		"id": id, "linkId": "l-" + id, "field": field, "policy": "manual", "open": open,
		"jira": map[string]string{"side": "jira", "id": "1000" + id, "key": "TAN-" + id}, "linear": map[string]string{"side": "linear", "id": "u" + id, "key": "ENG-" + id},
		"base": base, "jiraValue": jira, "linearValue": linear, "value": "",
		"jiraAt": "2026-03-01T09:00:00Z", "linearAt": "2026-03-01T09:05:00Z", "jiraBy": "alice@example.com", "linearBy": "bob@example.com",
		"at": "2026-03-01T09:06:00Z",
	}
}

func stubPage(t *testing.T, api *stubAPI) context.Context {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/ui", admin.UIHandler())
	mux.Handle("/ui/", admin.UIHandler())
	mux.Handle("/api/v1/", api)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := browser(t, "409")
	do(t, b, "signing in",
		chromedp.Navigate(srv.URL+"/ui"),
		chromedp.SendKeys(tid("token-input"), "0123456789abcdef0123"),
		chromedp.Click(tid("login-submit")),
		chromedp.WaitVisible(tid("conflict-open")))
	return b
}

// A description conflict renders each side's Markdown (never its HTML),
// shows the word diff against the base, and settles with a custom value.
func TestBrowserDescriptionConflict(t *testing.T) {
	base := "## Steps\n\n- open the cart\n- pay"
	jira := "## Steps\n\n- open the cart\n- pay with **Apple Pay**\n\n<script>window.pwned=1</script>"
	linear := "## Steps\n\n- open the cart\n- pay\n- see [the receipt](https://example.com/r) and [bad](javascript:window.pwned=2)"
	api := &stubAPI{conflicts: []map[string]any{
		stubConflict("2", "status", "todo:To Do", "started:In Progress", "done:Done", true),
		stubConflict("1", "description", base, jira, linear, true),
	}}
	b := stubPage(t, api)

	// Every control has a label or a name, and the keyboard works: Enter
	// on a row's button opens it, Escape closes it and returns the focus.
	until(t, b, "labelled controls", `[...document.querySelectorAll("input, select, textarea")].every(e => e.labels.length > 0 || e.getAttribute("aria-label")) &&
		[...document.querySelectorAll("button")].every(e => (e.textContent.trim() || e.getAttribute("aria-label")))`, 2*time.Second)
	row2 := chromedp.CSS(`tr[data-id="2"] [data-testid="conflict-open"]`)
	redo(t, b, "opening a conflict with the keyboard",
		chromedp.Focus(row2),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(tid("resolve-base")))
	until(t, b, "focus on the detail", `document.activeElement === document.querySelector('[data-testid="detail-title"]')`, 2*time.Second)
	do(t, b, "closing it with Escape",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(tid("conflict-detail")))
	until(t, b, "focus back on the row", `document.activeElement?.closest("tr")?.dataset.id === "2"`, 2*time.Second)

	redo(t, b, "opening the description conflict",
		chromedp.Click(chromedp.CSS(`tr[data-id="1"] [data-testid="conflict-open"]`)),
		chromedp.WaitVisible(tid("value-jira")))
	shot(t, b, "description")
	checks := map[string]string{
		"heading":          `document.querySelector('[data-testid="value-base"] h4')?.textContent === "Steps"`,
		"list":             `document.querySelectorAll('[data-testid="value-linear"] li').length === 3`,
		"strong":           `document.querySelector('[data-testid="value-jira"] strong')?.textContent === "Apple Pay"`,
		"script as text":   `document.querySelector('[data-testid="value-jira"]').textContent.includes("<script>") && !document.querySelector('[data-testid="conflict-detail"] script')`,
		"safe link":        `document.querySelector('[data-testid="value-linear"] a')?.href === "https://example.com/r" && document.querySelectorAll('[data-testid="value-linear"] a').length === 1`,
		"diff inserts":     `[...document.querySelectorAll('[data-testid="changes-jira"] ins')].some(e => e.textContent.includes("Apple"))`,
		"diff shows open":  `document.querySelector('[data-testid="changes-linear"]').open`,
		"nothing executed": `window.pwned === undefined`,
	}
	for name, expr := range checks {
		until(t, b, name, expr, 2*time.Second)
	}

	custom := "## Steps\n\n- open the cart\n- pay with Apple Pay\n- see the receipt"
	do(t, b, "settling with a custom value",
		chromedp.SendKeys(tid("custom-value"), custom),
		chromedp.Click(tid("resolve-custom")),
		chromedp.WaitVisible(tid("settled")))
	until(t, b, "the custom decision", textOf("detail-state")+`.includes("Custom value") && `+
		`document.querySelector('tr[data-id="1"]').dataset.open === "false" && `+
		`document.querySelectorAll('[data-testid="value-settled"] li').length === 3`, 3*time.Second)
	api.mu.Lock()
	bodies := slices.Clone(api.bodies)
	api.mu.Unlock()
	want, _ := json.Marshal(map[string]string{"by": "ui", "value": custom})
	if len(bodies) != 1 || bodies[0] != string(want) {
		t.Errorf("resolve bodies %q, want [%s]", bodies, want)
	}

	// A status shows its name with the category as a badge.
	redo(t, b, "opening the status conflict",
		chromedp.Click(chromedp.CSS(`tr[data-id="2"] [data-testid="conflict-open"]`)),
		chromedp.WaitVisible(tid("resolve-base")))
	until(t, b, "status names", `(() => { const v = (s) => document.querySelector('[data-testid="value-' + s + '"]');
		return v("jira").querySelector(".status-name")?.textContent === "In Progress" &&
			v("jira").querySelector(".badge")?.textContent === "started" &&
			v("linear").querySelector(".status-name")?.textContent === "Done" &&
			!v("base").textContent.includes(":"); })()`, 2*time.Second)

	// Someone else settles it first: the page says so and shows the record.
	api.mu.Lock()
	c := api.find("2")
	c["open"], c["took"], c["decision"], c["value"], c["settledBy"], c["settledAt"] = false, "jira", "jira", "started:In Progress", "cli", "2026-03-02T11:00:00Z"
	api.mu.Unlock()
	do(t, b, "keeping base after someone else settled",
		chromedp.Click(tid("resolve-base")),
		chromedp.WaitVisible(tid("settled")))
	until(t, b, "the other decision", textOf("notice")+`.includes("already settled") && `+
		textOf("detail-state")+`.includes("Kept Jira by cli")`, 3*time.Second)
}
