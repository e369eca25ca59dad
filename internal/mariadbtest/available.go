package mariadbtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// EnvBinary overrides the mariadbd lookup with an explicit path; EnvRequire
// turns "server not installed" from a skip into a test failure (CI sets it so
// nothing is silently skipped there).
const (
	EnvBinary  = "SQLSIFT_MARIADBD"
	EnvRequire = "SQLSIFT_REQUIRE_MARIADB"
)

// Debian/Ubuntu put mariadbd in /usr/sbin, which is often not on a normal
// user's PATH; the others cover source and Homebrew installs.
var serverDirs = []string{"/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/local/mysql/bin", "/opt/homebrew/bin"}

// Available returns the path of the mariadbd binary, or an error saying why
// no usable server (and its mariadb-install-db) was found.
func Available() (string, error) {
	server, _, err := binaries()
	return server, err
}

// binaries finds mariadbd and mariadb-install-db.
func binaries() (server, installDB string, err error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if !isExecutable(p) {
			return "", "", fmt.Errorf("%s=%s: not an executable file", EnvBinary, p)
		}
		server = p
	} else {
		server = lookup("mariadbd")
		if server == "" {
			return "", "", errors.New("mariadbd not found in PATH or " + fmt.Sprint(serverDirs) + " (install the mariadb-server package)")
		}
	}
	// mariadb-install-db usually lives in bin/ next to sbin/ or in scripts/.
	installDB = lookup("mariadb-install-db")
	if installDB == "" {
		dir := filepath.Dir(server)
		for _, p := range []string{
			filepath.Join(dir, "mariadb-install-db"),
			filepath.Join(dir, "..", "bin", "mariadb-install-db"),
			filepath.Join(dir, "..", "scripts", "mariadb-install-db"),
		} {
			if isExecutable(p) {
				installDB = p
				break
			}
		}
	}
	if installDB == "" {
		return server, "", fmt.Errorf("found %s but not mariadb-install-db", server)
	}
	return server, installDB, nil
}

func lookup(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range serverDirs {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func execCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}
