package nplusone

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

const inCaveat = "MySQL: send at most 500–1000 keys per IN list (chunk longer lists); lists longer than " +
	"eq_range_index_dive_limit (200) are costed from index statistics, very long ones can exceed " +
	"range_optimizer_max_mem_size (the range plan is lost) or max_allowed_packet."

// suggest writes the fix: prose, with the rewritten SQL built from the
// observed statements (each rewrite parses with TiDB's parser).
func (d *Detector) suggest(fa *findingAgg, main *childAgg, redact bool) (string, []string) {
	switch fa.kind {
	case KindRedundant:
		return "Compute it once per unit of work (memoize in the request or job), or cache it across requests if it rarely changes.", nil
	case KindRetry:
		return "Find the lock contention (SHOW ENGINE INNODB STATUS, performance_schema.data_lock_waits), keep transactions short " +
			"and lock rows in a consistent order; retry with exponential backoff and jitter.", nil
	}
	var lines, rewrites []string
	add := func(sql string) {
		if sql != "" && !slices.Contains(rewrites, sql) {
			rewrites = append(rewrites, sql)
			lines = append(lines, "  "+sql)
		}
	}
	var parentEx string
	var parent *classInfo
	if fa.parent != nil {
		var pex *classEx
		parent, pex = d.classByID(fa.parent.id)
		if pex != nil && !pex.truncated {
			parentEx = pex.query
		}
	}
	nested := false
	usesIn := false
	for i := range fa.children {
		c := &fa.children[i]
		ci, cex := d.classByID(c.id)
		if ci == nil || cex == nil || cex.truncated {
			continue
		}
		if c.depth > 1 {
			nested = true
		}
		sc := fa.sugChild(c.id)
		keyCol := ci.keyCol
		var keys, rows []string
		distinct := 0
		varying := false
		if sc != nil {
			if sc.keyCol != "" {
				keyCol = sc.keyCol
			}
			keys, rows, distinct, varying = sc.keys, sc.rows, sc.distinct, sc.varying
		}
		var intro string
		var sql string
		var err error
		switch ci.variant {
		case variantInsert:
			if len(rows) == 0 {
				rows = []string{"()"}
			}
			intro = fmt.Sprintf("Insert the %s rows with one multi-row INSERT (chunks of 500–1000 rows, within max_allowed_packet):", table(&c.classKey))
			sql, err = fingerprint.BatchInsert(cex.query, rows, redact || rows[0] == "()")
		case variantCount:
			intro = fmt.Sprintf("Count for all keys in one grouped query (or keep a counter column on %s, a counter cache):", table(fa.parent))
			sql, err = batch(cex.query, fingerprint.BatchGroupCount, keyCol, keys, redact)
			usesIn = true
		case variantExists:
			intro = "Probe all keys at once (a semi-join) and test membership in the application:"
			sql, err = batch(cex.query, fingerprint.BatchDistinct, keyCol, keys, redact)
			usesIn = true
		case variantWrite:
			if varying {
				intro = fmt.Sprintf("The values written differ per %s row: use one INSERT … ON DUPLICATE KEY UPDATE with a multi-row VALUES list "+
					"(mind auto-increment and trigger side effects) or UPDATE … JOIN a VALUES ROW() table (MySQL 8.0.19+); the rows written:", table(&c.classKey))
			} else {
				intro = fmt.Sprintf("Write all %s rows in one statement, in chunks of 500–1000 keys:", table(&c.classKey))
			}
			sql, err = batch(cex.query, fingerprint.BatchIn, keyCol, keys, redact)
			usesIn = true
		default:
			if c.inKey {
				intro = "The loader sends one key per IN list: collect the keys of the unit of work and send them together (DataLoader batch, sqlc.slice(), ...):"
			} else {
				intro = fmt.Sprintf("Load the %s rows for all keys in one query instead of one query per row:", table(&c.classKey))
			}
			sql, err = batch(cex.query, fingerprint.BatchIn, keyCol, keys, redact)
			usesIn = true
		}
		if err != nil {
			continue
		}
		lines = append(lines, intro)
		add(sql)
		if distinct > len(keys) && len(keys) > 0 && !redact && ci.variant != variantInsert {
			lines = append(lines, fmt.Sprintf("  (the example unit used %d distinct keys; the first %d are shown)", distinct, len(keys)))
		}
		if c.depth == 1 && parent != nil && parentEx != "" {
			switch kind, pcol, ccol, _ := columnLink(parent, ci); {
			case kind == linkBelongsTo && slices.Contains(parent.shape.Columns, pcol) && ci.variant == variantRead:
				if j, err := fingerprint.JoinParent(parentEx, ci.shape.Table, ccol, pcol, redact); err == nil {
					lines = append(lines, fmt.Sprintf("or join it to the parent query (one round trip; %s rows are not repeated):", table(fa.parent)))
					add(j)
				}
			case kind == linkHasMany && ci.variant == variantRead:
				lines = append(lines, fmt.Sprintf("A JOIN would repeat each %s row once per %s row: prefer the IN query and group the rows in the application.",
					table(fa.parent), table(&c.classKey)))
			}
		}
		if ci.variant == variantRead && ci.shape.Limit && ci.shape.OrderBy && keyCol != "id" {
			lines = append(lines, fmt.Sprintf("The per-row ORDER BY … LIMIT becomes a top-n per group: ROW_NUMBER() OVER (PARTITION BY %s ORDER BY …) "+
				"in a derived table, or a LATERAL derived table (MySQL 8.0.14+).", keyCol))
		}
	}
	if nested {
		lines = append(lines, "Preload level by level: the children of all parent rows in one query, then the grandchildren of all those rows in one more (2 queries instead of 1 + N + N·M).")
	}
	if len(fa.children) > 1 && !nested {
		lines = append(lines, "Batch each table separately: one IN query per type.")
	}
	if usesIn {
		lines = append(lines, inCaveat)
	}
	if h := ormHint(fa.attr, main.variant); h != "" {
		lines = append(lines, h)
	}
	return strings.Join(lines, "\n"), rewrites
}

// batch rewrites with the observed keys, or with ? markers when none were
// captured.
func batch(example string, style fingerprint.BatchStyle, keyCol string, keys []string, redact bool) (string, error) {
	if len(keys) == 0 {
		return fingerprint.Batch(example, style, keyCol, []string{"?"}, true)
	}
	return fingerprint.Batch(example, style, keyCol, keys, redact)
}

func (fa *findingAgg) sugChild(id string) *sugChild {
	if fa.sug == nil {
		return nil
	}
	for i := range fa.sug.children {
		if fa.sug.children[i].id == id {
			return &fa.sug.children[i]
		}
	}
	return nil
}

// ormHint names the eager-loading (or bulk-write) API of the framework
// the comments name.
func ormHint(attr []fingerprint.Tag, variant string) string {
	var s string
	for _, t := range attr {
		switch strings.ToLower(t.Key) {
		case "framework", "db_driver", "application":
			s += " " + strings.ToLower(t.Value)
		}
	}
	rails := strings.Contains(s, "rails") || strings.Contains(s, "active_record") || strings.Contains(s, "activerecord")
	if variant == variantInsert || variant == variantWrite {
		switch {
		case s == "":
			return ""
		case rails:
			return "Rails: insert_all / upsert_all, update_all / delete_all on a relation of the keys."
		case strings.Contains(s, "django"):
			return "Django: bulk_create() / bulk_update(), or queryset.filter(pk__in=...).update()."
		case strings.Contains(s, "gorm"):
			return "GORM: CreateInBatches(), or Where(\"id IN ?\", ids).Updates()."
		case strings.Contains(s, "hibernate") || strings.Contains(s, "spring"):
			return "JPA/Hibernate: hibernate.jdbc.batch_size with ordered inserts/updates, or a bulk JPQL UPDATE."
		}
		return "Build one statement for all rows (a multi-row VALUES list, or WHERE key IN (...)) instead of one per row."
	}
	switch {
	case rails:
		return "Rails: preload the association with includes(:assoc) / preload(:assoc); for counts use counter_cache."
	case strings.Contains(s, "django"):
		return "Django: select_related() for to-one relations, prefetch_related() for to-many."
	case strings.Contains(s, "gorm"):
		return "GORM: Preload(\"Assoc\") or Joins(\"Assoc\")."
	case strings.Contains(s, "entgo") || strings.Contains(s, "ent "):
		return "ent: eager-load the edge with With<Edge>()."
	case strings.Contains(s, "sqlc"):
		return "sqlc: pass all keys as one slice parameter (sqlc.slice())."
	case strings.Contains(s, "hibernate") || strings.Contains(s, "spring"):
		return "JPA/Hibernate: JOIN FETCH, an entity graph, or @BatchSize on the association."
	case strings.Contains(s, "laravel"):
		return "Laravel: eager-load with with('relation')."
	case strings.Contains(s, "sequelize"):
		return "Sequelize: eager-load with include."
	case strings.Contains(s, "go-sql-driver") || strings.Contains(s, "database/sql"):
		return "database/sql: collect the keys first, then run one IN query (or a DataLoader that batches per request)."
	}
	return ""
}
