package sim

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// A small JSON reader that keeps what encoding/json drops and rt-app
// files need: the order of an object's keys (rt-app runs a thread's events
// in file order), duplicate keys, and the line and column of every key and
// value, for errors. Like json-c, which rt-app uses, it accepts // and /* */
// comments.

type jsonKind uint8

const (
	jsonObject jsonKind = iota + 1
	jsonArray
	jsonNumber
	jsonString
	jsonBool
	jsonNull
)

func (k jsonKind) String() string {
	return [...]string{"?", "an object", "an array", "a number", "a string", "a boolean", "null"}[k]
}

type jsonNode struct {
	pos  Pos
	kind jsonKind
	obj  []jsonMember
	arr  []*jsonNode
	num  float64
	str  string
	b    bool
}

type jsonMember struct {
	key    string
	keyPos Pos
	val    *jsonNode
}

type jsonParser struct {
	file      string
	data      []byte
	i         int
	line, bol int // current line and the offset where it begins
}

func parseJSONPos(file string, data []byte) (*jsonNode, error) {
	p := &jsonParser{file: file, data: data, line: 1}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if err := p.space(); err != nil {
		return nil, err
	}
	if p.i < len(p.data) {
		return nil, p.errf("unexpected %q after the top-level value", p.data[p.i])
	}
	return v, nil
}

func (p *jsonParser) pos() Pos { return Pos{File: p.file, Line: p.line, Col: p.i - p.bol + 1} }

func (p *jsonParser) errf(format string, args ...any) error {
	return &ConfigError{Pos: p.pos(), Msg: "JSON: " + fmt.Sprintf(format, args...)}
}

func (p *jsonParser) advance(n int) {
	for ; n > 0 && p.i < len(p.data); n-- {
		if p.data[p.i] == '\n' {
			p.line++
			p.bol = p.i + 1
		}
		p.i++
	}
}

// space skips white space and comments.
func (p *jsonParser) space() error {
	for p.i < len(p.data) {
		switch c := p.data[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.advance(1)
		case c == '/' && p.i+1 < len(p.data) && p.data[p.i+1] == '/':
			for p.i < len(p.data) && p.data[p.i] != '\n' {
				p.advance(1)
			}
		case c == '/' && p.i+1 < len(p.data) && p.data[p.i+1] == '*':
			start := p.pos()
			p.advance(2)
			for p.i+1 < len(p.data) && !(p.data[p.i] == '*' && p.data[p.i+1] == '/') {
				p.advance(1)
			}
			if p.i+1 >= len(p.data) {
				return &ConfigError{Pos: start, Msg: "JSON: unterminated /* comment"}
			}
			p.advance(2)
		default:
			return nil
		}
	}
	return nil
}

const maxJSONDepth = 64

func (p *jsonParser) value(depth int) (*jsonNode, error) {
	if depth > maxJSONDepth {
		return nil, p.errf("nested too deeply")
	}
	if err := p.space(); err != nil {
		return nil, err
	}
	if p.i >= len(p.data) {
		return nil, p.errf("unexpected end of file; expected a value")
	}
	n := &jsonNode{pos: p.pos()}
	switch c := p.data[p.i]; {
	case c == '{':
		n.kind = jsonObject
		p.advance(1)
		for first := true; ; first = false {
			if err := p.space(); err != nil {
				return nil, err
			}
			if p.i < len(p.data) && p.data[p.i] == '}' && first {
				p.advance(1)
				return n, nil
			}
			kpos := p.pos()
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return nil, p.errf("expected a key in quotes")
			}
			k, err := p.string()
			if err != nil {
				return nil, err
			}
			if err := p.space(); err != nil {
				return nil, err
			}
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return nil, p.errf("expected ':' after key %q", k)
			}
			p.advance(1)
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.obj = append(n.obj, jsonMember{key: k, keyPos: kpos, val: v})
			if done, err := p.sep('}'); err != nil || done {
				return n, err
			}
		}
	case c == '[':
		n.kind = jsonArray
		p.advance(1)
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.advance(1)
			return n, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, v)
			if done, err := p.sep(']'); err != nil || done {
				return n, err
			}
		}
	case c == '"':
		n.kind = jsonString
		s, err := p.string()
		n.str = s
		return n, err
	case c == '-' || c >= '0' && c <= '9':
		j := p.i
		for j < len(p.data) && (p.data[j] == '-' || p.data[j] == '+' || p.data[j] == '.' || p.data[j] == 'e' ||
			p.data[j] == 'E' || p.data[j] >= '0' && p.data[j] <= '9') {
			j++
		}
		f, err := strconv.ParseFloat(string(p.data[p.i:j]), 64)
		if err != nil {
			return nil, p.errf("bad number %q", p.data[p.i:j])
		}
		n.kind, n.num = jsonNumber, f
		p.advance(j - p.i)
	default:
		for _, lit := range []struct {
			s    string
			kind jsonKind
			b    bool
		}{{"true", jsonBool, true}, {"false", jsonBool, false}, {"null", jsonNull, false}} {
			if len(p.data)-p.i >= len(lit.s) && string(p.data[p.i:p.i+len(lit.s)]) == lit.s {
				n.kind, n.b = lit.kind, lit.b
				p.advance(len(lit.s))
				return n, nil
			}
		}
		return nil, p.errf("unexpected %q; expected a value", c)
	}
	return n, nil
}

// sep reads ',' or the closing character; done reports the latter.
func (p *jsonParser) sep(end byte) (done bool, err error) {
	if err := p.space(); err != nil {
		return false, err
	}
	if p.i < len(p.data) {
		switch p.data[p.i] {
		case ',':
			p.advance(1)
			return false, nil
		case end:
			p.advance(1)
			return true, nil
		}
	}
	return false, p.errf("expected ',' or '%c'", end)
}

func (p *jsonParser) string() (string, error) {
	start := p.i
	j := p.i + 1
	for j < len(p.data) && p.data[j] != '"' {
		if p.data[j] == '\\' {
			j++
		}
		if j < len(p.data) && p.data[j] == '\n' {
			break
		}
		j++
	}
	if j >= len(p.data) || p.data[j] != '"' {
		return "", p.errf("unterminated string")
	}
	var s string
	if err := json.Unmarshal(p.data[start:j+1], &s); err != nil {
		return "", p.errf("bad string: %v", err)
	}
	p.advance(j + 1 - start)
	return s, nil
}
