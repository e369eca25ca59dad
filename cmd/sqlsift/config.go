package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/analyzer/gate"
)

// configNames are the config file names looked for, in order, in the
// working directory and each of its parents.
var configNames = []string{".sqlsift.yml", ".sqlsift.yaml"}

// configFlags select the gate configuration (check, baseline, diff).
type configFlags struct {
	path     string
	noConfig bool
}

func (f *configFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.path, "config", "", "gate configuration `FILE` (default: .sqlsift.yml in the working directory or the nearest parent)")
	fs.BoolVar(&f.noConfig, "no-config", false, "ignore .sqlsift.yml files: built-in defaults only")
}

// findConfig looks for a config file in dir and its parents; "" when
// there is none.
func findConfig(dir string) (string, error) {
	for {
		for _, name := range configNames {
			p := filepath.Join(dir, name)
			st, err := os.Stat(p)
			if err == nil && !st.IsDir() {
				return p, nil
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// load returns the configuration and the file it came from ("" for the
// defaults). A --config file that is missing exits 66; an invalid one
// exits 2 with every problem located as file:line:col.
func (f *configFlags) load(fp fingerprint.Options) (*gate.Config, string, error) {
	if f.noConfig {
		if f.path != "" {
			return nil, "", usagef("--config and --no-config contradict each other")
		}
		return gate.DefaultConfig(), "", nil
	}
	path := f.path
	if path == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, "", exitf(ExitError, "finding .sqlsift.yml: %v", err)
		}
		if path, err = findConfig(wd); err != nil {
			return nil, "", exitf(ExitError, "finding .sqlsift.yml: %v", err)
		}
		if path == "" {
			return gate.DefaultConfig(), "", nil
		}
		if rel, err := filepath.Rel(wd, path); err == nil {
			path = rel // shorter messages, same file
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, "", exitf(ExitNoInput, "config: %v", err)
		}
		return nil, "", exitf(ExitError, "config: %v", err)
	}
	norm := fingerprint.New(fp)
	cfg, err := gate.ParseConfig(data, path, gate.ParseOptions{Normalize: func(sql string) string {
		return string(norm.Fingerprint([]byte(sql)).Text)
	}})
	if err != nil {
		return nil, "", exitf(ExitError, "invalid configuration:\n%v", err)
	}
	return cfg, path, nil
}

// relativeTo resolves a path written in a config file against the
// file's directory.
func relativeTo(configPath, p string) string {
	if p == "" || filepath.IsAbs(p) || configPath == "" {
		return p
	}
	return filepath.Join(filepath.Dir(configPath), p)
}
