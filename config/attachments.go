package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The attachments: section. Files sync by default; either form turns
// them off or changes the cap:
//
//	attachments: off
//	attachments:
//	  sync: on              # or off
//	  max_bytes: 10485760   # larger files are linked, not copied (also 10MB, 512KB)
func (p mappingParser) attachments(n *yaml.Node, m *Mapping) error {
	m.Lines["attachments"] = n.Line
	if n.Kind == yaml.ScalarNode {
		on, err := p.oneOf(n, "attachments", "on", "off")
		m.NoFiles = on == "off"
		return err
	}
	if err := p.mapping(n, "attachments"); err != nil {
		return err
	}
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "sync":
			on, err := p.oneOf(v, "attachments.sync", "on", "off")
			if err != nil {
				return err
			}
			m.NoFiles = on == "off"
		case "max_bytes":
			b, ok := parseBytes(v.Value)
			if v.Kind != yaml.ScalarNode || !ok {
				return p.errf(v, "attachments.max_bytes: %q is not a size (bytes, or with KB, MB, GB: 10MB)", v.Value)
			}
			m.FileCap = b
		default:
			return p.errf(k, "unknown setting attachments.%s (known: sync, max_bytes)", k.Value)
		}
		m.Lines["attachments."+k.Value] = k.Line
	}
	return nil
}

// parseBytes reads a positive size: a number of bytes or one with a
// binary unit (KB, MB, GB: 1024-based, as the tools' upload limits are).
func parseBytes(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, false
	}
	return n * mult, true
}
