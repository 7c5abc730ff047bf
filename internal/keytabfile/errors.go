package keytabfile

import (
	"errors"
	"strconv"
)

var (
	// ErrTruncated means the data ended in the middle of a field.
	ErrTruncated = errors.New("unexpected end of data")
	// ErrVersion means the file does not start with a known version.
	ErrVersion = errors.New("unsupported file format version")
	// ErrLimit means a length or count is beyond what the data or this
	// package's limits allow.
	ErrLimit = errors.New("length or count out of range")
	// ErrMalformed means a field holds a value the format does not allow.
	ErrMalformed = errors.New("malformed field")
	// ErrInvalid means a Keytab holds a value that cannot be written.
	ErrInvalid = errors.New("value cannot be encoded")
	// ErrTooLarge means a file is larger than MaxFileSize.
	ErrTooLarge = errors.New("file too large")
)

// FormatError reports where and why parsing failed. Offset is the byte
// offset of the field in the input, What names the field, and Err is one
// of ErrTruncated, ErrVersion, ErrLimit or ErrMalformed.
type FormatError struct {
	Offset int
	What   string
	Err    error
}

// Error describes the failure without quoting any of the input bytes.
func (e *FormatError) Error() string {
	return "reading " + e.What + " at offset " +
		strconv.Itoa(e.Offset) + ": " + e.Err.Error()
}

// Unwrap returns the sentinel behind the failure.
func (e *FormatError) Unwrap() error { return e.Err }
