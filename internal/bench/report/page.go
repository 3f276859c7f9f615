package report

// pageTemplate is the html/template of the HTML report. It is also
// well-formed XML (void elements are self-closed, no named entities), so
// tests can check the whole page with encoding/xml.
const pageTemplate = pageHead + `{{- if .Partial}}
<p class="partial" role="alert"><strong>{{.PartialLabel}}</strong> {{.Partial}}</p>
{{- end}}
{{- if .Warnings}}
<ul class="warnings" role="alert">
{{- range .Warnings}}
<li><strong>{{$.WarningLabel}}</strong> {{.}}</li>
{{- end}}
</ul>
{{- end}}

{{- if .Between}}
<h2>Comparability</h2>
<p class="comparability"><strong>{{.Between.Summary}}</strong></p>
{{- if .Between.Differences.Rows}}
{{template "table" .Between.Differences}}
{{- end}}

<h2>Old and new report side by side</h2>
{{template "table" .Between.Sides}}
{{- else}}
` + envSection + `{{- end}}

{{- if .Substitutions}}
<h2 class="warning">Not run as named (fallback)</h2>
<ul class="substitutions">
{{- range .Substitutions}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}

<h2>Profiles</h2>
{{template "table" .Profiles}}

{{- if .Verdicts}}
<h2>Comparisons</h2>
<ul class="verdicts">
{{- range .Verdicts}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}

{{- if .Correctness}}
<h2>Correctness</h2>
<ul class="correctness">
{{- range .Correctness}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}

` + chartsStart + `{{- end}}

{{- if .Ops}}
<h2>Per-op time per generated token</h2>
{{- range .Ops}}
<h3>{{.Title}}</h3>
{{- if .Table.Header}}
{{template "table" .Table}}
{{- end}}
<p class="note">{{.Note}}</p>
{{- end}}
{{- end}}
` + pageEnd

// pageHead opens every HTML page of the package: the head, with
// pageStyle, and the title as the first heading.
const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Title}}</title>
<style>
` + pageStyle + `</style>
</head>
<body>
<h1>{{.Title}}</h1>
`

// envSection is the Environment heading and table of a page's .Env.
const envSection = `<h2>Environment</h2>
<table class="env">
<tbody>
{{- range .Env}}
<tr><th scope="row">{{.Key}}</th><td>{{.Value}}</td></tr>
{{- end}}
</tbody>
</table>
`

// chartsStart is the Charts heading and the figure of each of .Charts,
// up to the page's own end of the range.
const chartsStart = `<h2>Charts</h2>
{{- range .Charts}}
<figure>
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
`

// pageEnd closes every HTML page of the package and adds tableTemplate.
const pageEnd = `</body>
</html>
` + tableTemplate

// pageStyle is the CSS of every HTML page of the package.
const pageStyle = `body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: bold; border-top: 1px solid #aaa; }
table.env th { background: none; font-weight: 600; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption, p.note { color: #555; font-size: 0.9em; }
.partial, .warnings { border: 2px solid #d55e00; background: #fff4ec; padding: 0.6em 1em; margin: 1em 0; }
.warnings { border-color: #e69f00; background: #fffaeb; }
ul.warnings { padding-left: 2em; }
`

// tableTemplate renders an htmlTable; every page template includes it.
const tableTemplate = `{{define "table" -}}
<table>
<thead><tr>{{range .Header}}<th{{if .Right}} class="num"{{end}}>{{.Text}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range .}}<td{{if .Right}} class="num"{{end}}>{{.Text}}</td>{{end}}</tr>
{{- end}}
</tbody>
{{- if .Footer}}
<tfoot>
{{- range .Footer}}
<tr>{{range .}}<td{{if .Right}} class="num"{{end}}>{{.Text}}</td>{{end}}</tr>
{{- end}}
</tfoot>
{{- end}}
</table>
{{- end}}
`
