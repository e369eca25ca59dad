package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SettingsError says which server settings keep a source from working and
// exactly how to change them.
type SettingsError struct {
	Source string
	Msg    string
}

func (e *SettingsError) Error() string { return e.Source + ": " + e.Msg }

// The consumer hierarchy: history tables stay empty unless
// events_statements_current (and the two instrumentation consumers above it)
// are on.
var (
	perfSchemaConsumers = []string{"global_instrumentation", "thread_instrumentation", "events_statements_current", "events_statements_history_long"}
	digestConsumers     = []string{"global_instrumentation", "statements_digest"}
)

// choose picks and checks the source.
func (c *Capture) choose(ctx context.Context) error {
	try := map[string]func(context.Context) error{
		SourcePerfSchema:  c.usePerfSchema,
		SourceDigest:      c.useDigest,
		SourceProcesslist: c.useProcesslist,
	}
	if c.cfg.Source != SourceAuto {
		return try[c.cfg.Source](ctx)
	}
	var why []string
	for _, name := range []string{SourcePerfSchema, SourceDigest, SourceProcesslist} {
		err := try[name](ctx)
		if err == nil {
			if len(why) > 0 {
				c.note("--source auto fell back to " + name + ": " + strings.Join(why, "; "))
			}
			return nil
		}
		var se *SettingsError
		var pe *PrivilegeError
		if !errors.As(err, &se) && !errors.As(err, &pe) {
			return err
		}
		why = append(why, name+" unusable: "+err.Error())
	}
	return fmt.Errorf("no usable capture source: %s", strings.Join(why, "; "))
}

// perfSchemaOn checks @@performance_schema (a startup-only setting).
func (c *Capture) perfSchemaOn(ctx context.Context, source string) error {
	var on string
	if err := c.sess.QueryRow(ctx, "SELECT @@performance_schema").Scan(&on); err != nil {
		return c.sess.Err("reading @@performance_schema", err)
	}
	if on == "0" || strings.EqualFold(on, "OFF") {
		return &SettingsError{Source: source, Msg: "performance_schema is OFF; it cannot be switched on at runtime: add performance_schema=ON to the [mysqld] section of the server configuration and restart the server (or use --source processlist meanwhile)"}
	}
	return nil
}

// consumers returns the setup_consumers that are off among want.
func (c *Capture) consumersOff(ctx context.Context, want []string) ([]string, error) {
	rows, err := c.sess.Query(ctx, "SELECT NAME, ENABLED FROM performance_schema.setup_consumers")
	if err != nil {
		return nil, c.sess.asPrivilegeError(ctx, err, "SELECT ON performance_schema.*")
	}
	defer rows.Close()
	on := map[string]bool{}
	for rows.Next() {
		var name, enabled string
		if err := rows.Scan(&name, &enabled); err != nil {
			return nil, err
		}
		on[name] = enabled == "YES"
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var off []string
	for _, w := range want {
		if !on[w] {
			off = append(off, w)
		}
	}
	return off, nil
}

// ensureConsumers switches missing consumers on with EnableConsumers, or
// returns a SettingsError saying exactly what to change.
func (c *Capture) ensureConsumers(ctx context.Context, source string, want []string) error {
	off, err := c.consumersOff(ctx, want)
	if err != nil {
		return err
	}
	if len(off) == 0 {
		return nil
	}
	if c.cfg.EnableConsumers {
		if err := c.setConsumers(ctx, off, "YES"); err != nil {
			return c.sess.asPrivilegeError(ctx, err, "UPDATE ON performance_schema.setup_consumers")
		}
		c.restore = append(c.restore, off...)
		c.note("switched on performance_schema consumers " + strings.Join(off, ", ") + " (--enable-consumers); they are switched off again when the capture ends")
		return nil
	}
	return &SettingsError{Source: source, Msg: consumerAdvice(off)}
}

func consumerAdvice(off []string) string {
	quoted := make([]string, len(off))
	opts := make([]string, len(off))
	for i, n := range off {
		quoted[i] = "'" + n + "'"
		opts[i] = "performance-schema-consumer-" + strings.ReplaceAll(n, "_", "-") + "=ON"
	}
	return fmt.Sprintf("performance_schema consumers off: %s. Switch them on at runtime with\n"+
		"  UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN (%s);\n"+
		"or rerun with --enable-consumers (sqlsift switches them back off when it stops); to keep them on across restarts add to [mysqld]:\n  %s",
		strings.Join(off, ", "), strings.Join(quoted, ", "), strings.Join(opts, "\n  "))
}

func (c *Capture) setConsumers(ctx context.Context, names []string, enabled string) error {
	q := "UPDATE performance_schema.setup_consumers SET ENABLED = ? WHERE NAME IN (?" + strings.Repeat(", ?", len(names)-1) + ")"
	args := []any{enabled}
	for _, n := range names {
		args = append(args, n)
	}
	return c.sess.execAdmin(ctx, q, args...)
}

// canRead checks that the user may read a performance_schema table.
func (c *Capture) canRead(ctx context.Context, table string) error {
	rows, err := c.sess.Query(ctx, "SELECT 1 FROM performance_schema."+table+" LIMIT 0")
	if err != nil {
		return c.sess.asPrivilegeError(ctx, err, "SELECT ON performance_schema.*")
	}
	return rows.Close()
}

func (c *Capture) usePerfSchema(ctx context.Context) error {
	if err := c.perfSchemaOn(ctx, SourcePerfSchema); err != nil {
		return err
	}
	for _, t := range []string{"setup_consumers", "events_statements_history_long", "events_statements_current", "threads"} {
		if err := c.canRead(ctx, t); err != nil {
			return err
		}
	}
	off, err := c.consumersOff(ctx, perfSchemaConsumers)
	if err != nil {
		return err
	}
	p := &perfSchema{c: c, historyLong: true}
	if len(off) == 1 && off[0] == "events_statements_history_long" && !c.cfg.EnableConsumers {
		// Per-thread history still works, with a higher risk of loss.
		if hoff, err := c.consumersOff(ctx, []string{"events_statements_history"}); err == nil && len(hoff) == 0 {
			p.historyLong = false
			c.note("consumer events_statements_history_long is off: reading the per-thread events_statements_history (last few statements per connection; those of connections that closed between polls are lost). " + consumerAdvice(off))
			c.src = p
			return nil
		}
	}
	if err := c.ensureConsumers(ctx, SourcePerfSchema, perfSchemaConsumers); err != nil {
		return err
	}
	if off, err := c.consumersOff(ctx, []string{"events_statements_history"}); err == nil && len(off) == 0 {
		p.history = true
	}
	c.src = p
	return nil
}

func (c *Capture) useDigest(ctx context.Context) error {
	if err := c.perfSchemaOn(ctx, SourceDigest); err != nil {
		return err
	}
	if err := c.canRead(ctx, "events_statements_summary_by_digest"); err != nil {
		return err
	}
	if err := c.ensureConsumers(ctx, SourceDigest, digestConsumers); err != nil {
		return err
	}
	c.src = &digest{c: c}
	return nil
}

func (c *Capture) useProcesslist(ctx context.Context) error {
	// Without PROCESS the processlist silently shows only the user's own
	// connections: refuse rather than report on almost nothing.
	var n int64
	err := c.sess.QueryRow(ctx, `SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
		WHERE PRIVILEGE_TYPE = 'PROCESS' AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`).Scan(&n)
	if err != nil {
		return c.sess.Err("checking privileges", err)
	}
	if n == 0 {
		// Roles can grant PROCESS too: seeing another user's thread
		// proves we have it.
		var others int64
		if err := c.sess.QueryRow(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER <> SUBSTRING_INDEX(CURRENT_USER(), '@', 1)").Scan(&others); err != nil {
			return c.sess.Err("reading the processlist", err)
		}
		if others == 0 {
			return &PrivilegeError{Privilege: "PROCESS", User: c.sess.currentUser(ctx), Detail: "without it the processlist shows only this user's own connections"}
		}
	}
	c.src = &processlist{c: c}
	return nil
}
