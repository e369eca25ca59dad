package fingerprint

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTags(t *testing.T) {
	for _, tc := range []struct {
		name, q string
		want    []Tag
	}{
		{"none", "SELECT * FROM t WHERE a = 1", nil},
		{"sqlcommenter spec exhibit", "SELECT * FROM FOO /*action='%2Fparam*d',controller='index,'framework='spring',\n" +
			"traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01',\n" +
			"tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/", []Tag{
			{"action", "/param*d"}, {"controller", "index"}, {"framework", "spring"},
			{"traceparent", "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01"},
			{"trace_id", "5bd66ef5095369c7b0d1f8f4bd33716a"}, {"span_id", "c532cb4098ac3dd2"},
			{"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		}},
		{"sqlcommenter django sample", "INSERT INTO polls_question (a) VALUES (1) /*controller='index',db_driver='django.db.backends.postgresql',\n" +
			"framework='django%3A2.2.1',route='%5Epolls/%24'*/;", []Tag{
			{"controller", "index"}, {"db_driver", "django.db.backends.postgresql"}, {"framework", "django:2.2.1"}, {"route", "^polls/$"},
		}},
		{"escaped quote and url-encoded key", `SELECT 1 /*route%20name='FOO%20\'BAR',k='a\\b'*/`, []Tag{{"route name", "FOO 'BAR"}, {"k", `a\b`}}},
		{"java form encoding", "SELECT * from USERS /*action='run+this+%26+that',controller='foo%3BDROP+TABLE+BAR'*/",
			[]Tag{{"action", "run this & that"}, {"controller", "foo;DROP TABLE BAR"}}},
		{"leading", "/*app='api',route='/x'*/ SELECT 1", []Tag{{"app", "api"}, {"route", "/x"}}},
		{"leading and trailing", "/*a='1'*/ SELECT 1 /*b='2'*/ ;", []Tag{{"a", "1"}, {"b", "2"}}},
		{"unquoted values", "SELECT 1 /*traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01,app=x*/", []Tag{
			{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
			{"trace_id", "0af7651916cd43dd8448eb211c80319c"}, {"span_id", "b7ad6b7169203331"}, {"app", "x"},
		}},
		{"marginalia", "SELECT `posts`.* FROM `posts` /*application:BlogApp,controller:posts,action:index,line:/app/controllers/posts_controller.rb:10:in `index'*/", []Tag{
			{"application", "BlogApp"}, {"controller", "posts"}, {"action", "index"}, {"line", "/app/controllers/posts_controller.rb:10:in `index'"},
		}},
		{"rails legacy query log", "SELECT 1 /*application:MyApp,controller:users,action:show,job:*/", []Tag{
			{"application", "MyApp"}, {"controller", "users"}, {"action", "show"}, {"job", ""},
		}},
		{"datadog dbm", "SELECT * FROM orders /*dddbs='orders-mysql',dde='prod',ddps='orders-app',ddpv='1.2.3',traceparent='00-00000000000000004bf92f3577b34da6-00f067aa0ba902b7-01'*/", []Tag{
			{"dddbs", "orders-mysql"}, {"dde", "prod"}, {"ddps", "orders-app"}, {"ddpv", "1.2.3"},
			{"traceparent", "00-00000000000000004bf92f3577b34da6-00f067aa0ba902b7-01"},
			{"trace_id", "00000000000000004bf92f3577b34da6"}, {"span_id", "00f067aa0ba902b7"},
		}},
		{"version comment is SQL", "SELECT 1 /*!50000 a:b */", nil},
		{"hint is SQL", "/*+ SET_VAR(a=1) */ SELECT 1", nil},
		{"plain comment", "SELECT 1 /* just a note */", nil},
		{"comment in the middle", "SELECT /*a='1'*/ 1 FROM t", nil},
		{"string that looks like one", "SELECT '/*a=''1''*/'", nil},
		{"malformed pair stops", "SELECT 1 /*a='1',b c*/", []Tag{{"a", "1"}}},
		{"bad traceparent", "SELECT 1 /*traceparent='xyz'*/", []Tag{{"traceparent", "xyz"}}},
		{"bad escape kept", "SELECT 1 /*k='%zz'*/", []Tag{{"k", "%zz"}}},
	} {
		got := Tags([]byte(tc.q), nil)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Tags(%q) (-want +got):\n%s", tc.name, tc.q, diff)
		}
	}
}

func TestTagsAppends(t *testing.T) {
	dst := []Tag{{"x", "y"}}
	got := Tags([]byte("SELECT 1 /*a='b'*/"), dst)
	if diff := cmp.Diff([]Tag{{"x", "y"}, {"a", "b"}}, got); diff != "" {
		t.Error(diff)
	}
	if n := testing.AllocsPerRun(100, func() { Tags([]byte("SELECT c FROM sbtest1 WHERE id=5036"), dst[:0]) }); n != 0 {
		t.Errorf("%v allocations without a comment", n)
	}
}

func BenchmarkTags(b *testing.B) {
	for _, bc := range []struct{ name, q string }{
		{"no-comment", sysbenchStatements[0]},
		{"sqlcommenter", sysbenchStatements[0] + " /*controller='users',action='show',traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := []byte(bc.q)
			var dst []Tag
			b.SetBytes(int64(len(q)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				dst = Tags(q, dst[:0])
			}
		})
	}
}
