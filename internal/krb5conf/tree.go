package krb5conf

// node is a section or block of one file's tree. Relations and
// subsections with the same tag are separate, as in MIT, where a tag can
// name both a relation and a block in the same section.
type node struct {
	parent *node
	// final is set by "[name]*", "tag* = {" or "}*": later files add
	// nothing to this node.
	final bool
	rels  map[string]*relation
	subs  map[string]*node
}

// relation holds every value of one tag in one section of one file, in
// the order they were read.
type relation struct {
	values []string
	// where holds the position of each value, for error messages.
	where []position
	// final is set when any of the values was written "tag* = value".
	final bool
}

func newNode(parent *node) *node {
	return &node{parent: parent}
}

// addSection returns the subsection called name, creating it if needed;
// blocks with the same name in one file are merged, as MIT does.
func (n *node) addSection(name string) *node {
	if s, ok := n.subs[name]; ok {
		return s
	}
	if n.subs == nil {
		n.subs = make(map[string]*node)
	}
	s := newNode(n)
	n.subs[name] = s
	return s
}

// addRelation appends a value unless a final relation or final block of
// the same name is already there (MIT's check_final).
func (n *node) addRelation(name, value string, final bool, at position) {
	if s, ok := n.subs[name]; ok && s.final {
		return
	}
	r := n.rels[name]
	if r != nil && r.final {
		return
	}
	if r == nil {
		if n.rels == nil {
			n.rels = make(map[string]*relation)
		}
		r = &relation{}
		n.rels[name] = r
	}
	r.values = append(r.values, value)
	r.where = append(r.where, at)
	if final {
		r.final = true
	}
}

// position is where a value was written: the file, as named to Load or
// in the include directive, and the 1-based line.
type position struct {
	file string
	line int
}
