package sim

import "slices"

// TOML documents other than configs (bench suites) are decoded with the
// same machinery as configs, so that their errors read the same way: a
// file:line:column, the key's path, what was expected and the valid
// choices, and unknown keys rejected. TOMLDoc and TOMLTable are that
// machinery's exported face.

// TOMLDoc is a parsed TOML document whose keys know where they were
// written. Its decoding methods record problems instead of returning them;
// Err returns them all, sorted by position.
type TOMLDoc struct {
	d    *decoder
	root map[string]any
}

// ParseTOML parses data (name is the file name errors give). A syntax
// error is returned at once, as ConfigErrors.
func ParseTOML(name string, data []byte) (*TOMLDoc, error) {
	root, d, err := decodeTOML(name, data)
	if err != nil {
		return nil, err
	}
	return &TOMLDoc{d: d, root: root}, nil
}

// Root returns the top-level table; valid lists its keys.
func (doc *TOMLDoc) Root(valid ...string) *TOMLTable {
	return &TOMLTable{doc.d.table("", "the top level", doc.root, valid...)}
}

// Errorf records a problem with the key at path (as TOMLTable.Key names it).
func (doc *TOMLDoc) Errorf(path, format string, args ...any) { doc.d.errorf(path, format, args...) }

// Where returns the position of the key at path, or of the nearest
// enclosing key that has one.
func (doc *TOMLDoc) Where(path string) Pos { return doc.d.where(path) }

// Err returns every problem recorded, sorted by position, as ConfigErrors;
// nil if there was none.
func (doc *TOMLDoc) Err() error { return doc.d.result() }

// TOMLTable is one table of a TOMLDoc, decoded against a schema: the keys
// it may hold. Every getter marks its key as used and, given a value of
// the wrong kind, records an error and returns the default.
type TOMLTable struct{ t *table }

// Key returns the path of key k of the table, for errors.
func (t *TOMLTable) Key(k string) string { return t.t.key(k) }

// Path is the table's own path.
func (t *TOMLTable) Path() string { return t.t.path }

// Has reports whether key k is present.
func (t *TOMLTable) Has(k string) bool { return t.t.has(k) }

// Keys returns the table's keys, sorted.
func (t *TOMLTable) Keys() []string { return sortedKeys(t.t.m) }

// Get returns the raw value of key k (int64, float64, string, bool,
// time.Time, []any, map[string]any).
func (t *TOMLTable) Get(k string) (any, bool) { return t.t.get(k) }

// Allow adds keys to the schema.
func (t *TOMLTable) Allow(keys ...string) { t.t.allow(keys...) }

// Errorf records a problem with key k of the table.
func (t *TOMLTable) Errorf(k, format string, args ...any) { t.t.d.errorf(t.t.key(k), format, args...) }

// Str reads a string; if choices are given the value must be one of them.
func (t *TOMLTable) Str(k, def string, choices ...string) string { return t.t.str(k, def, choices...) }

// Int reads an integer in [lo, hi].
func (t *TOMLTable) Int(k string, def, lo, hi int64) int64 { return t.t.integer(k, def, lo, hi) }

// Number reads a float (or an integer) in [lo, hi].
func (t *TOMLTable) Number(k string, def, lo, hi float64) float64 { return t.t.number(k, def, lo, hi) }

// Bool reads a boolean.
func (t *TOMLTable) Bool(k string, def bool) bool { return t.t.boolean(k, def) }

// Duration reads a duration ("2ms", or integer ns).
func (t *TOMLTable) Duration(k string, def uint64) uint64 { return t.t.duration(k, def) }

// Strings reads an array of strings (a single string is a list of one).
func (t *TOMLTable) Strings(k string) []string {
	v, ok := t.t.get(k)
	if !ok {
		return nil
	}
	if s, ok := v.(string); ok {
		return []string{s}
	}
	arr, ok := v.([]any)
	if !ok {
		t.t.wrongType(k, v, "an array of strings")
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.t.d.errorf(elemPath(t.t.key(k), i), "expected a string, found %s", typeName(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// Sub reads a table-valued key; a missing key is an empty table. valid is
// the subtable's schema and what names it in messages ("[run]").
func (t *TOMLTable) Sub(k, what string, valid ...string) *TOMLTable {
	return &TOMLTable{t.t.subtable(k, what, valid...)}
}

// Tables reads an array of tables ([[k]]); what names element i in
// messages (it is given i).
func (t *TOMLTable) Tables(k string, what func(i int) string, valid ...string) []*TOMLTable {
	arr, ok := t.t.array(k)
	if !ok {
		return nil
	}
	var out []*TOMLTable
	for i, e := range arr {
		path := elemPath(t.t.key(k), i)
		m, ok := e.(map[string]any)
		if !ok {
			t.t.d.errorf(path, "expected a table, found %s", typeName(e))
			continue
		}
		out = append(out, &TOMLTable{t.t.d.table(path, what(i), m, slices.Clone(valid)...)})
	}
	return out
}

// Params reads key k as a table of policy parameters (like a config's
// [policy.params]): any key whose value is not a table, in file order.
func (t *TOMLTable) Params(k string) []Param {
	return t.t.d.params(t.t.subtable(k, "["+t.t.key(k)+"]"))
}

// Finish records an error for every key the schema does not know.
func (t *TOMLTable) Finish() { t.t.finish() }
