package main

import (
	"github.com/spf13/pflag"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/nplusone"
)

// n1Flags configure the N+1 detector, on by default for every command
// that reads logs.
type n1Flags struct {
	off        bool
	minRepeats int
	minWaste   string
	rtt        string
	gap        string
}

func (f *n1Flags) register(fs *pflag.FlagSet) {
	d := nplusone.Default()
	fs.BoolVar(&f.off, "no-n1", false, "do not look for N+1 loops")
	fs.IntVar(&f.minRepeats, "n1-min-repeats", d.MinRepeats, "N+1: smallest loop reported (child statements per parent)")
	fs.StringVar(&f.minWaste, "n1-min-waste", "0", "N+1: drop findings that waste less than this in total (10ms, 1s)")
	fs.StringVar(&f.rtt, "rtt", d.RTT.String(), "N+1: client-server round trip added per avoidable statement to the waste estimate (0: database time only)")
	fs.StringVar(&f.gap, "n1-gap", d.GapFloor.String(), "N+1: idle gap that ends a unit of work on a connection without request ids or transactions")
}

// detector returns the constructor for analyzer.Options.NewDetector (nil
// with --no-n1).
func (f *n1Flags) detector() (func() analyzer.Detector, error) {
	if f.off {
		return nil, nil
	}
	// Commands that build inputFlags without registering these flags get
	// the defaults (zero values).
	cfg := nplusone.Default()
	if f.minRepeats != 0 {
		if f.minRepeats < 2 {
			return nil, usagef("--n1-min-repeats must be at least 2")
		}
		cfg.MinRepeats = f.minRepeats
	}
	if f.minWaste != "" {
		w, err := parseSeconds(f.minWaste)
		if err != nil {
			return nil, usagef("--n1-min-waste: %v", err)
		}
		cfg.MinWaste = w
	}
	if f.rtt != "" {
		r, err := parseSeconds(f.rtt)
		if err != nil {
			return nil, usagef("--rtt: %v", err)
		}
		cfg.RTT = r
		if r == 0 {
			cfg.RTT = -1 // zero means "no round-trip cost" here, not the default
		}
	}
	if f.gap != "" {
		g, err := parseSeconds(f.gap)
		if err != nil || g <= 0 {
			return nil, usagef("--n1-gap: want a positive duration (100ms, 1s)")
		}
		cfg.GapFloor = g
	}
	return nplusone.Factory(cfg), nil
}
