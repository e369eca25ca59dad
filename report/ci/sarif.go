package ci

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer/gate"
)

// SARIF 2.1.0 document, reduced to the parts sqlsift fills. Field names
// follow the OASIS schema (sarif-schema-2.1.0.json).
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifRuleCfg   `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifRuleCfg struct {
	Enabled bool   `json:"enabled"`
	Level   string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	RelatedLocations    []sarifLocation   `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	BaselineState       string            `json:"baselineState,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	ID               int                   `json:"id,omitempty"`
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifText            `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine,omitempty"`
}

// SARIFSchema is the schema URI written in $schema.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

func sarifLevel(l gate.Level) string {
	switch l {
	case gate.LevelError:
		return "error"
	case gate.LevelWarning:
		return "warning"
	case gate.LevelNote:
		return "note"
	}
	return "none"
}

// sarifURI turns a path into a URI reference: relative paths stay
// relative (code scanning resolves them against the repository root),
// absolute ones become file:// URIs.
func sarifURI(p string) string {
	if p == "" {
		return "stdin"
	}
	p = filepath.ToSlash(p)
	if strings.HasPrefix(p, "/") || filepath.IsAbs(p) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // Windows drive paths
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

func sarifLoc(l gate.Location) sarifLocation {
	loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{
		ArtifactLocation: sarifArtifact{URI: sarifURI(l.File)},
		Region:           sarifRegion{StartLine: max(l.Line, 1)},
	}}
	if l.EndLine > l.Line {
		loc.PhysicalLocation.Region.EndLine = l.EndLine
	}
	if l.Note != "" {
		loc.Message = &sarifText{Text: l.Note}
	}
	return loc
}

// pascal makes a SARIF rule name from an id: n-plus-one → NPlusOne.
func pascal(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// SARIF writes a SARIF 2.1.0 log with one rule per finding kind and
// budget. Results carry the suggested rewrite in their message and, as
// locations, the code location named by query comments (first, so code
// scanning anchors the alert there) and the log line of the example.
func SARIF(w io.Writer, c *Check) error {
	r := c.Result
	driver := sarifDriver{Name: "sqlsift", Version: c.Tool.Version, InformationURI: "https://github.com/sqlsift/sqlsift", Rules: []sarifRule{}}
	index := map[string]int{}
	for _, rr := range r.Rules {
		index[rr.ID] = len(driver.Rules)
		props := map[string]any{"tags": []string{"performance", "sql"}}
		if rr.Kind != "" {
			props["finding_kind"] = rr.Kind
		}
		if rr.Budget != "" {
			props["budget"] = rr.Budget
		}
		driver.Rules = append(driver.Rules, sarifRule{
			ID: rr.ID, Name: pascal(rr.ID),
			ShortDescription:     sarifText{Text: rr.Title},
			FullDescription:      sarifText{Text: rr.Doc},
			Help:                 sarifText{Text: rr.Doc},
			DefaultConfiguration: sarifRuleCfg{Enabled: rr.Enabled, Level: sarifLevel(rr.Level)},
			Properties:           props,
		})
	}
	var fallback gate.Location
	if c.Report != nil && len(c.Report.Inputs) > 0 {
		fallback = gate.Location{File: c.Report.Inputs[0].Path, Line: 1}
	}
	results := []sarifResult{}
	for _, v := range r.Results {
		text := v.Message
		if v.Suggestion != "" {
			text += "\n\nSuggested rewrite:\n" + v.Suggestion
		}
		res := sarifResult{
			RuleID: v.Rule, RuleIndex: index[v.Rule], Level: sarifLevel(v.Level),
			Message:             sarifText{Text: text},
			PartialFingerprints: map[string]string{"sqlsiftKey/v1": v.Key},
			Properties:          map[string]any{},
		}
		if r.HasBase {
			res.BaselineState = "new"
		}
		locs := v.Locations
		if len(locs) == 0 {
			locs = []gate.Location{fallback}
		}
		// Primary locations: the code location (if any) and the first log
		// example; further examples are related locations.
		primary := 1
		if locs[0].Code && len(locs) > 1 {
			primary = 2
		}
		for _, l := range locs[:primary] {
			res.Locations = append(res.Locations, sarifLoc(l))
		}
		for i, l := range locs[primary:] {
			rl := sarifLoc(l)
			rl.ID = i + 1
			res.RelatedLocations = append(res.RelatedLocations, rl)
		}
		if v.Route != "" {
			res.Properties["route"] = v.Route
		}
		if v.ClassID != "" {
			res.Properties["class_id"] = v.ClassID
			res.Properties["fingerprint"] = v.Fingerprint
		}
		if f := v.Finding; f != nil {
			res.Properties["confidence"] = f.Confidence
			res.Properties["severity"] = f.Severity
			if f.Variant != "" {
				res.Properties["variant"] = f.Variant
			}
		}
		if v.Limit > 0 {
			res.Properties["value"] = v.Value
			res.Properties["limit"] = v.Limit
		}
		results = append(results, res)
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, n := range r.Notes {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{Text: n}})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Invocations: []sarifInvocation{inv}, Results: results}
	if r.HasBase {
		stale := make([]map[string]string, 0, len(r.Stale))
		for _, e := range r.Stale {
			stale = append(stale, map[string]string{"rule": e.Rule, "key": e.Key, "route": e.Route, "fingerprint": e.Fingerprint})
		}
		run.Properties = map[string]any{"baselined": len(r.Baselined), "staleBaselineEntries": stale}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}
