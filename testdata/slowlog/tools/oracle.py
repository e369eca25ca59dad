#!/usr/bin/env python3
"""Regenerate the pt-query-digest columns of ../expected.tsv (not run by tests).

For every slow log under testdata/slowlog it runs pt-query-digest 3.2.1 with a
--filter that prints each parsed event, and sums Query_time exactly (integer
microseconds). Usage: tools/oracle.py  (prints file, pt_events, pt_query_time_us).
"""
import glob, os, subprocess, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
FILTER = ('do { my $a = defined $event->{arg} ? substr($event->{arg},0,60) : "<undef>"; '
          '$a =~ s/\\n/\\\\n/g; print "EV\\t", (defined $event->{Query_time} ? '
          '$event->{Query_time} : "<undef>"), "\\t", $a, "\\n"; 1 }')

def micros(s):
    a, _, b = s.partition('.')
    if not a.isdigit() or (b and not b.isdigit()):
        return None
    return int(a) * 1000000 + int((b + '000000')[:6])

for f in sorted(glob.glob(root + '/**/*', recursive=True)):
    rel = os.path.relpath(f, root)
    if not os.path.isfile(f) or rel.startswith(('golden', 'tools')) or \
            os.path.basename(f) in ('README.md', 'expected.tsv') or 'LICENSE' in f:
        continue
    out = subprocess.run(['pt-query-digest', '--no-version-check', '--no-report', '--type',
                          'slowlog', '--filter', FILTER, f], capture_output=True,
                         text=True, errors='replace').stdout
    n = tot = 0
    for line in out.splitlines():
        if line.startswith('EV\t'):
            n += 1
            v = micros(line.split('\t')[1])
            tot += v or 0
    print(f'{rel}\t{n}\t{tot}')
