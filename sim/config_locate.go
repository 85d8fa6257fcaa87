package sim

import (
	"sort"
	"strconv"
	"strings"
)

// The TOML library reports the position of syntax errors but not where a
// key is, which every other config error needs. locateKeys scans a
// document that has already parsed successfully and records the line and
// column of every key and of every array element, under a path written
// the way config errors name keys:
//
//	run.duration            a key of a table
//	workload[2].service     a key of the third [[workload]] table
//	workload[0].steps[1]    the second element of an array
//	policy.params."a.b"     a key that is not bare is quoted
//
// Because the input is known to be valid TOML, the scanner can be small:
// it never has to report an error, only to skip values correctly
// (strings of the four kinds, multi-line arrays, inline tables, comments).

// Pos is a position in a config file.
type Pos struct {
	File string
	Line int // 1-based
	Col  int // 1-based, in bytes
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// keyPath joins a table path and a key.
func keyPath(parent, key string) string {
	k := quoteKey(key)
	if parent == "" {
		return k
	}
	return parent + "." + k
}

// elemPath is the path of element i of the array at path.
func elemPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func quoteKey(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		if !isBareKeyChar(k[i]) {
			return strconv.Quote(k)
		}
	}
	return k
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

type locator struct {
	src    string
	i      int
	lines  []int // byte offset of the start of each line
	pos    map[string]Pos
	arrays map[string]int // array-of-tables path -> tables seen so far
	file   string
}

// locateKeys returns the position of every key and array element of a
// valid TOML document, by path.
func locateKeys(file string, src []byte) map[string]Pos {
	l := &locator{src: string(src), pos: map[string]Pos{}, arrays: map[string]int{}, file: file}
	l.lines = append(l.lines, 0)
	for i := 0; i < len(l.src); i++ {
		if l.src[i] == '\n' {
			l.lines = append(l.lines, i+1)
		}
	}
	if strings.HasPrefix(l.src, "\ufeff") {
		l.i = len("\ufeff") // a byte order mark
	}
	l.document()
	return l.pos
}

func (l *locator) at(off int) Pos {
	line := sort.Search(len(l.lines), func(i int) bool { return l.lines[i] > off }) - 1
	return Pos{File: l.file, Line: line + 1, Col: off - l.lines[line] + 1}
}

func (l *locator) record(path string, off int) {
	if _, ok := l.pos[path]; !ok {
		l.pos[path] = l.at(off)
	}
}

func (l *locator) eof() bool { return l.i >= len(l.src) }

func (l *locator) peek() byte {
	if l.eof() {
		return 0
	}
	return l.src[l.i]
}

// skipSpace skips blanks and, if nl, newlines and comments too.
func (l *locator) skipSpace(nl bool) {
	for !l.eof() {
		switch c := l.src[l.i]; {
		case c == ' ' || c == '\t':
			l.i++
		case nl && (c == '\n' || c == '\r'):
			l.i++
		case nl && c == '#':
			l.skipLine()
		default:
			return
		}
	}
}

func (l *locator) skipLine() {
	for !l.eof() && l.src[l.i] != '\n' {
		l.i++
	}
}

func (l *locator) document() {
	table := ""
	for {
		l.skipSpace(true)
		if l.eof() {
			return
		}
		if l.peek() == '[' {
			table = l.header()
			continue
		}
		l.keyValue(table)
		l.skipSpace(false)
		if l.peek() == '#' {
			l.skipLine()
		}
	}
}

// header reads [a.b] or [[a.b]] and returns the path of the table it opens.
func (l *locator) header() string {
	l.i++ // [
	array := l.peek() == '['
	if array {
		l.i++
	}
	l.skipSpace(false)
	start := l.i
	keys, offs := l.dottedKey()
	l.skipSpace(false)
	l.i++ // ]
	if array {
		l.i++
	}
	path := ""
	for j, k := range keys {
		path = keyPath(path, k)
		last := j == len(keys)-1
		if last && array {
			n := l.arrays[path]
			l.arrays[path] = n + 1
			l.record(path, start)
			path = elemPath(path, n)
			l.record(path, offs[j])
			continue
		}
		if n, ok := l.arrays[path]; ok && n > 0 {
			path = elemPath(path, n-1)
		}
		l.record(path, offs[j])
	}
	return path
}

// keyValue reads key = value in table.
func (l *locator) keyValue(table string) {
	keys, offs := l.dottedKey()
	path := table
	for j, k := range keys {
		path = keyPath(path, k)
		l.record(path, offs[j])
	}
	l.skipSpace(false)
	if l.peek() == '=' {
		l.i++
	}
	l.skipSpace(false)
	l.value(path)
}

// dottedKey reads a (possibly dotted, possibly quoted) key; it returns the
// pieces and the offset of each.
func (l *locator) dottedKey() ([]string, []int) {
	var keys []string
	var offs []int
	for {
		l.skipSpace(false)
		offs = append(offs, l.i)
		keys = append(keys, l.simpleKey())
		l.skipSpace(false)
		if l.peek() != '.' {
			return keys, offs
		}
		l.i++
	}
}

func (l *locator) simpleKey() string {
	switch l.peek() {
	case '"':
		return l.basicString()
	case '\'':
		return l.literalString()
	}
	start := l.i
	for !l.eof() && isBareKeyChar(l.src[l.i]) {
		l.i++
	}
	if l.i == start && !l.eof() {
		l.i++ // cannot happen in valid TOML; make progress regardless
	}
	return l.src[start:l.i]
}

// value skips one value, recording the positions of array elements and of
// the keys of inline tables under path.
func (l *locator) value(path string) {
	switch c := l.peek(); {
	case c == '"':
		if strings.HasPrefix(l.src[l.i:], `"""`) {
			l.multiline(`"""`, true)
		} else {
			l.basicString()
		}
	case c == '\'':
		if strings.HasPrefix(l.src[l.i:], `'''`) {
			l.multiline(`'''`, false)
		} else {
			l.literalString()
		}
	case c == '[':
		l.i++
		for n := 0; ; n++ {
			l.skipSpace(true)
			if l.eof() || l.peek() == ']' {
				break
			}
			ep := elemPath(path, n)
			l.record(ep, l.i)
			l.value(ep)
			l.skipSpace(true)
			if l.peek() == ',' {
				l.i++
			}
		}
		l.i++ // ]
	case c == '{':
		l.i++
		for {
			l.skipSpace(true)
			if l.eof() || l.peek() == '}' {
				break
			}
			l.keyValue(path)
			l.skipSpace(true)
			if l.peek() == ',' {
				l.i++
			}
		}
		l.i++ // }
	default:
		// Numbers, booleans and dates (which may hold a space).
		for !l.eof() {
			switch l.src[l.i] {
			case ',', ']', '}', '\n', '\r', '#':
				return
			}
			l.i++
		}
	}
}

// basicString reads "..." and returns its (unescaped) content.
func (l *locator) basicString() string {
	start := l.i
	l.i++
	for !l.eof() && l.src[l.i] != '"' {
		if l.src[l.i] == '\\' {
			l.i++
		}
		l.i++
	}
	l.i++
	if s, err := strconv.Unquote(l.src[start:min(l.i, len(l.src))]); err == nil {
		return s
	}
	return l.src[start+1 : max(start+1, min(l.i-1, len(l.src)))]
}

func (l *locator) literalString() string {
	l.i++
	start := l.i
	for !l.eof() && l.src[l.i] != '\'' && l.src[l.i] != '\n' {
		l.i++
	}
	s := l.src[start:l.i]
	l.i++
	return s
}

// multiline skips a multi-line string opened by delim. The closing delimiter
// may be followed by up to two more quotes that belong to the content.
func (l *locator) multiline(delim string, escapes bool) {
	l.i += 3
	for !l.eof() {
		if escapes && l.src[l.i] == '\\' {
			l.i += 2
			continue
		}
		if strings.HasPrefix(l.src[l.i:], delim) {
			l.i += 3
			for n := 0; n < 2 && l.peek() == delim[0]; n++ {
				l.i++
			}
			return
		}
		l.i++
	}
}
