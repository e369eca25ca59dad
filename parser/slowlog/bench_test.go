package slowlog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/sqlsift/sqlsift/parser"
)

// genLog builds a realistic log of about size bytes: sysbench-like
// statements, alternating MySQL 8 (half with log_slow_extra) and MariaDB
// entries with a few users, hosts and schemas.
func genLog(size int) []byte {
	var b bytes.Buffer
	b.WriteString("/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /tmp/mysql.sock\nTime                 Id Command    Argument\n")
	stmts := []string{
		"SELECT c FROM sbtest%d WHERE id=%d",
		"SELECT c FROM sbtest%d WHERE id BETWEEN %d AND 5100 ORDER BY c",
		"UPDATE sbtest%d SET k=k+1 WHERE id=%d",
		"UPDATE sbtest%d SET c='16345165387-09118488204-80196276203-72484701811' WHERE id=%d",
		"DELETE FROM sbtest%d WHERE id=%d",
		"INSERT INTO sbtest%d (id, k, c, pad) VALUES (%d, 5021, '47153497564-98457398475-98798743985', '34980752890-83475982374')",
		"SELECT DISTINCT c\n  FROM sbtest%d\n WHERE id BETWEEN %d AND 5099\n ORDER BY c",
	}
	for i := 0; b.Len() < size; i++ {
		q := fmt.Sprintf(stmts[i%len(stmts)], i%8+1, i%10000)
		conn := 100 + i%32
		sec := i / 50
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "# Time: 2024-05-10T17:%02d:%02d.%06dZ\n# User@Host: sbtest[sbtest] @ localhost [127.0.0.1]  Id: %5d\n# Query_time: 0.%06d  Lock_time: 0.000004 Rows_sent: %d  Rows_examined: %d\nSET timestamp=1715363076;\n%s;\n",
				sec/60%60, sec%60, i%1000000, conn, i%5000, i%100, i%1000, q)
		case 1:
			fmt.Fprintf(&b, "# Time: 2024-05-10T17:%02d:%02d.%06dZ\n# User@Host: sbtest[sbtest] @ app%d [10.0.0.%d]  Id: %5d\n# Query_time: 0.%06d  Lock_time: 0.000005 Rows_sent: 0  Rows_examined: 0 Thread_id: %d Errno: 0 Killed: 0 Bytes_received: 22 Bytes_sent: 56 Read_first: 1 Read_last: 0 Read_key: 1 Read_next: 0 Read_prev: 0 Read_rnd: 0 Read_rnd_next: 1 Sort_merge_passes: 0 Sort_range_count: 0 Sort_rows: 0 Sort_scan_count: 0 Created_tmp_disk_tables: 0 Created_tmp_tables: 0 Start: 2024-05-10T17:45:09.474744Z End: 2024-05-10T17:45:09.474988Z\nuse sbtest%d;\nSET timestamp=1715370088;\n%s;\n",
				sec/60%60, sec%60, i%1000000, i%4, i%4, conn, i%5000, conn, i%3, q)
		default:
			if i%9 == 2 {
				fmt.Fprintf(&b, "# Time: 261127 14:%02d:%02d\n", sec/60%60, sec%60)
			}
			fmt.Fprintf(&b, "# User@Host: app[app] @ localhost [127.0.0.1]\n# Thread_id: %d  Schema: shop  QC_hit: No\n# Query_time: 0.%06d  Lock_time: 0.000000  Rows_sent: 1  Rows_examined: %d\n# Rows_affected: 0  Bytes_sent: 58\nSET timestamp=1795790879;\n%s;\n",
				conn, i%5000, i%700, q)
		}
	}
	return b.Bytes()
}

func BenchmarkSlowLog(b *testing.B) {
	data := genLog(20 << 20)
	var ev parser.Event
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		rd := New(bytes.NewReader(data), parser.Options{})
		for {
			err := rd.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "events/op")
}

// BenchmarkSlowLogFile reads the slow log named by SQLSIFT_BENCH_LOG (for
// example a sysbench log from bench/run.sh), whole, into memory first.
func BenchmarkSlowLogFile(b *testing.B) {
	p := os.Getenv("SQLSIFT_BENCH_LOG")
	if p == "" {
		b.Skip("SQLSIFT_BENCH_LOG not set")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	var ev parser.Event
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		rd := New(bytes.NewReader(data), parser.Options{})
		for {
			err := rd.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}
