package wiki

// FromMarkdown renders Markdown (CommonMark with GFM tables, strikethrough
// and task lists) as Jira wiki markup.
func FromMarkdown(md string) string { return Render(ParseMarkdown(md)) }

// ToMarkdown renders Jira wiki markup as canonical Markdown.
func ToMarkdown(w string) string { return RenderMarkdown(Parse(w)) }
