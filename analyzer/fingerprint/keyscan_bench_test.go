package fingerprint

import "testing"

func BenchmarkScanKeys(b *testing.B) {
	for _, q := range []string{
		"SELECT c FROM sbtest1 WHERE id=12345",
		"SELECT id, name FROM users WHERE id = 161 LIMIT 1 /*db_driver='go-sql-driver%2Fmysql',framework='database%2Fsql',route='%2Fs16',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/",
		"UPDATE sbtest1 SET c='12345678-12345678' WHERE id=4567",
	} {
		sh, err := ShapeOf(q)
		if err != nil {
			b.Fatal(err)
		}
		qb := []byte(q)
		b.Run("", func(b *testing.B) {
			b.SetBytes(int64(len(q)))
			b.ReportAllocs()
			var ks KeyScan
			for b.Loop() {
				ScanKeys(qb, &sh, &ks)
			}
		})
		b.Run("fingerprint", func(b *testing.B) {
			f := New(Options{})
			b.SetBytes(int64(len(q)))
			for b.Loop() {
				f.Fingerprint(qb)
			}
		})
	}
}
