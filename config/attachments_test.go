package config

import "testing"

func TestMappingAttachments(t *testing.T) {
	cases := []struct {
		doc     string
		noFiles bool
		cap     int64
	}{
		{"", false, 0},
		{"attachments: on\n", false, 0},
		{"attachments: off\n", true, 0},
		{"attachments:\n  sync: off\n", true, 0},
		{"attachments:\n  max_bytes: 52428800\n", false, 50 << 20},
		{"attachments:\n  max_bytes: 50MB\n", false, 50 << 20},
		{"attachments: {max_bytes: 512 kb, sync: on}\n", false, 512 << 10},
		{"attachments:\n  max_bytes: 1GB\n", false, 1 << 30},
	}
	for _, tc := range cases {
		m, err := ParseMapping("mapping.yaml", []byte(tc.doc))
		if err != nil {
			t.Errorf("%q: %v", tc.doc, err)
			continue
		}
		if m.NoFiles != tc.noFiles || m.FileCap != tc.cap {
			t.Errorf("%q: off %v cap %d, want off %v cap %d", tc.doc, m.NoFiles, m.FileCap, tc.noFiles, tc.cap)
		}
	}
}

func TestMappingAttachmentsErrors(t *testing.T) {
	checkMappingErrors(t, []mappingErrorCase{
		{"attachments: sometimes\n", 1, `attachments: "sometimes" is not one of on, off`},
		{"attachments:\n  max_bytes: big\n", 2, `attachments.max_bytes: "big" is not a size`},
		{"attachments:\n  max_bytes: -5\n", 2, "attachments.max_bytes"},
		{"attachments:\n  max_bytes: 0\n", 2, "attachments.max_bytes"},
		{"attachments:\n  max_bytes: [1]\n", 2, "attachments.max_bytes"},
		{"attachments:\n  limit: 5\n", 2, "unknown setting attachments.limit (known: sync, max_bytes)"},
		{"attachments:\n  sync: yes\n", 2, "attachments.sync"},
		{"fields:\n  attachments: {direction: sideways}\n", 2, "fields.attachments.direction"},
	})
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"10MB", "1", "0", "-1", "1KB", " 2 gb ", "9223372036854775807", "1e3", "MB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseBytes(s)
		if ok && (n <= 0 || n > 1<<40) {
			t.Fatalf("parseBytes(%q) = %d", s, n)
		}
		if !ok && n != 0 {
			t.Fatalf("parseBytes(%q) refused but returned %d", s, n)
		}
	})
}
