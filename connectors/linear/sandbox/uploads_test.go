package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const fileUploadMutation = `mutation($ct: String!, $name: String!, $size: Int!) {
  fileUpload(contentType: $ct, filename: $name, size: $size) { success uploadFile { uploadUrl assetUrl contentType filename size headers { key value } } }
}`

// serve sends one storage request to s and returns the answer.
func serve(s *Server, method, url string, h http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, url, bytes.NewReader(body))
	for k, vs := range h {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func TestFileUploadFlow(t *testing.T) {
	s := newTest(t, Options{})
	data := bytes.Repeat([]byte("0123456789"), 1000)
	d := mustOK(t, post(t, s, BotKey, fileUploadMutation, map[string]any{"ct": "image/png", "name": "shot.png", "size": len(data)}))
	f := dig(d, "fileUpload", "uploadFile").(map[string]any)
	up, asset := f["uploadUrl"].(string), f["assetUrl"].(string)
	if !strings.Contains(asset, "/uploads/") || f["filename"] != "shot.png" || f["contentType"] != "image/png" || f["size"] != float64(len(data)) {
		t.Fatalf("uploadFile: %v", f)
	}
	signed := http.Header{"Content-Type": {"image/png"}}
	for _, h := range f["headers"].([]any) {
		signed.Set(h.(map[string]any)["key"].(string), h.(map[string]any)["value"].(string))
	}
	if len(signed) < 3 {
		t.Fatalf("no signed headers: %v", f["headers"])
	}
	without := func(k string) http.Header {
		h := signed.Clone()
		h.Del(k)
		return h
	}
	other := signed.Clone()
	other.Set("Content-Type", "text/plain")
	for _, c := range []struct {
		name   string
		method string
		h      http.Header
		body   []byte
		want   int
	}{
		{"GET is not an upload", http.MethodGet, signed, nil, http.StatusMethodNotAllowed},
		{"another content type", http.MethodPut, other, data, http.StatusForbidden},
		{"a signed header missing", http.MethodPut, without("Content-Disposition"), data, http.StatusForbidden},
		{"short body", http.MethodPut, signed, data[:10], http.StatusBadRequest},
		{"long body", http.MethodPut, signed, append(bytes.Clone(data), 'x'), http.StatusBadRequest},
	} {
		if rec := serve(s, c.method, up, c.h, c.body); rec.Code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, rec.Code, rec.Body.String(), c.want)
		}
	}
	// Not readable before its upload.
	if rec := serve(s, http.MethodGet, asset, http.Header{"Authorization": {BotKey}}, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("asset before upload: %d", rec.Code)
	}
	if rec := serve(s, http.MethodPut, up, signed, data); rec.Code != http.StatusOK {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body.String())
	}
	if rec := serve(s, http.MethodPut, up, signed, data); rec.Code != http.StatusForbidden {
		t.Errorf("a second PUT of a used URL: %d", rec.Code)
	}
	rec := serve(s, http.MethodGet, asset, http.Header{"Authorization": {"Bearer " + BotKey}}, nil)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), data) || rec.Header().Get("Content-Type") != "image/png" || rec.Header().Get("Content-Length") != "10000" {
		t.Fatalf("asset: %d %v (%d bytes)", rec.Code, rec.Header(), rec.Body.Len())
	}
	if rec := serve(s, http.MethodGet, asset, nil, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("asset without the key: %d", rec.Code)
	}
	if rec := serve(s, http.MethodGet, asset+"x", http.Header{"Authorization": {BotKey}}, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown asset: %d", rec.Code)
	}
	c := s.Requests(BotEmail)
	if c.Storage == 0 || c.ByOperation["storage PUT"] == 0 || c.ByOperation["storage GET"] != 1 || c.ByOperation["fileUpload"] != 1 {
		t.Errorf("counts: storage %d, %v", c.Storage, c.ByOperation)
	}
	// Validation as Linear answers it.
	for _, vars := range []map[string]any{
		{"ct": "", "name": "a", "size": 1},
		{"ct": "text/plain", "name": " ", "size": 1},
		{"ct": "text/plain", "name": "a", "size": 0},
	} {
		if r := post(t, s, BotKey, fileUploadMutation, vars); len(r.Errors) == 0 {
			t.Errorf("%v: accepted", vars)
		}
	}
}

func TestUserAttachFile(t *testing.T) {
	s := newTest(t, Options{})
	id, err := s.UserAttachFile(AliceEmail, "ENG-1", "notes.txt", "text/plain", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	var got *FileView
	for _, v := range s.IssueAttachments("ENG-1") {
		if v.ID == id {
			got = &v
		}
	}
	if got == nil || string(got.Data) != "hello" || got.Title != "notes.txt" || got.Creator != AliceEmail {
		t.Fatalf("attachments: %+v", s.IssueAttachments("ENG-1"))
	}
	// Read back over HTTP with a person's key, as Linear's app does.
	rec := serve(s, http.MethodGet, got.URL, http.Header{"Authorization": {AliceKey}}, nil)
	if b, _ := io.ReadAll(rec.Body); rec.Code != http.StatusOK || string(b) != "hello" {
		t.Fatalf("asset: %d %q", rec.Code, b)
	}
	if err := s.UserDeleteAttachment(AliceEmail, id); err != nil {
		t.Fatal(err)
	}
	if len(s.IssueAttachments("ENG-1")) != 0 {
		t.Fatalf("after delete: %+v", s.IssueAttachments("ENG-1"))
	}
}
