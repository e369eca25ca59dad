package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindConfigUpward(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte("version: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing anywhere below root (a parent of the temp dir could hold
	// one, so only require that it is not inside root).
	if got, err := findConfig(deep); err != nil || strings.HasPrefix(got, root) {
		t.Fatalf("empty tree: %q %v", got, err)
	}
	write(filepath.Join(root, ".sqlsift.yml"))
	if got, _ := findConfig(deep); got != filepath.Join(root, ".sqlsift.yml") {
		t.Errorf("found %q, want the root's", got)
	}
	// The nearest wins, and .yaml is accepted.
	write(filepath.Join(root, "a", "b", ".sqlsift.yaml"))
	if got, _ := findConfig(deep); got != filepath.Join(root, "a", "b", ".sqlsift.yaml") {
		t.Errorf("found %q, want a/b's", got)
	}
	// .yml before .yaml in the same directory.
	write(filepath.Join(root, "a", "b", ".sqlsift.yml"))
	if got, _ := findConfig(deep); got != filepath.Join(root, "a", "b", ".sqlsift.yml") {
		t.Errorf("found %q, want a/b/.sqlsift.yml", got)
	}
	// A directory named like the file is not a config.
	if err := os.Mkdir(filepath.Join(deep, ".sqlsift.yml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := findConfig(deep); got != filepath.Join(root, "a", "b", ".sqlsift.yml") {
		t.Errorf("found %q, a directory is not a config", got)
	}
}

func TestRelativeTo(t *testing.T) {
	for _, tc := range []struct{ cfg, p, want string }{
		{"", "b.json", "b.json"},
		{".sqlsift.yml", "b.json", "b.json"},
		{"conf/.sqlsift.yml", "b.json", filepath.Join("conf", "b.json")},
		{"conf/.sqlsift.yml", "../b.json", "b.json"},
		{"conf/.sqlsift.yml", "/abs/b.json", "/abs/b.json"},
		{"conf/.sqlsift.yml", "", ""},
	} {
		if got := relativeTo(tc.cfg, tc.p); got != tc.want {
			t.Errorf("relativeTo(%q, %q) = %q, want %q", tc.cfg, tc.p, got, tc.want)
		}
	}
}

func TestParseOutputs(t *testing.T) {
	known := func(n string) error {
		if n == "text" || n == "sarif" || n == "json" {
			return nil
		}
		return os.ErrNotExist
	}
	outs, err := parseOutputs(nil, known)
	if err != nil || len(outs) != 1 || outs[0] != (output{"text", ""}) {
		t.Errorf("default: %v %v", outs, err)
	}
	outs, err = parseOutputs([]string{"sarif=a.sarif", "text", "json=-"}, known)
	if err == nil {
		t.Errorf("two stdout outputs accepted: %v", outs)
	}
	outs, err = parseOutputs([]string{"sarif=a.sarif", "json"}, known)
	if err != nil || outs[0] != (output{"sarif", "a.sarif"}) || outs[1] != (output{"json", ""}) {
		t.Errorf("got %v %v", outs, err)
	}
	if _, err := parseOutputs([]string{"xml=a"}, known); codeOf(err) != ExitUsage {
		t.Errorf("unknown format: %v", err)
	}
}
