package krb5conf

// recorder is a source that notes every file and directory it is asked
// for, found or not, so that a caller can watch them for changes.
type recorder struct {
	src   source
	names []string
}

func (r *recorder) readFile(name string) ([]byte, string, error) {
	r.names = append(r.names, name)
	return r.src.readFile(name)
}

func (r *recorder) readDir(name string) ([]string, error) {
	r.names = append(r.names, name)
	return r.src.readDir(name)
}

func (r *recorder) id(name string) string { return r.src.id(name) }

// LoadSources is Load that also returns the name of every file and
// directory it read or tried to read, included ones and missing ones
// too, in the order tried, even when it fails: the files a caller must
// watch to know when the configuration changed.
func LoadSources(paths ...string) (*Profile, []string, error) {
	rec := &recorder{src: osSource{}}
	p, err := loadWith(rec, paths)
	return p, rec.names, err
}
