// Package krb5conf reads krb5.conf files in MIT Kerberos' profile format
// and turns them into gokrb5's *config.Config.
//
// The parser follows MIT krb5 (src/util/profile/prof_parse.c and the
// krb5.conf(5) manual) and never panics on its input. Its tests hand the
// same files to MIT 1.20's profile library and compare the answers; the
// final marker follows MIT 1.22, which made it mean what the manual says,
// where 1.20 honours it on sections and blocks across files only:
//
//   - sections "[name]", relations "tag = value" and blocks "tag = {" ...
//     "}" to any depth (bounded by MaxNesting); the "{" may also open the
//     next line after "tag =";
//   - the final marker: "[name]*", "tag* = value", "tag* = {" and "}*".
//     A final node takes no more values from later text of the same file
//     and stops lookups, and listings that include it, from consulting
//     later files;
//   - comments: lines whose first non-blank character is "#" or ";", and
//     everything before the first section header;
//   - values trimmed of surrounding white space, or quoted with "\n",
//     "\t", "\b" and "\<char>" escapes, text after the closing quote
//     ignored;
//   - lines of any length, CRLF line ends;
//   - "include FILE" and "includedir DIR" at the start of a line, with
//     MIT's file name rule for directories and sorted order; cycles and
//     nesting beyond MaxIncludeDepth are errors.
//
// Several files are read in order, as in KRB5_CONFIG, where an empty
// entry ends the list; earlier files take precedence for single-valued
// lookups, and multi-valued lookups return the values of all files, first
// file first, up to a final marker. Syntax errors and values that do not
// convert name the file and line.
//
// Profile holds the parsed tree and answers queries; it is immutable and
// safe for concurrent use. Config converts it to gokrb5's struct, filling
// MIT's defaults for anything the files do not say.
package krb5conf

// BUG(safekrb5): MIT's parser splits lines longer than 2047 bytes into
// several lines; this package reads each line whole, so a configuration
// with such a line can mean something different to MIT.

// BUG(safekrb5): The "module" directive, which makes MIT load a profile
// plugin instead of reading the file, is rejected with ErrModule.

// BUG(safekrb5): KRB5_CONFIG is honoured even in set-user-ID programs,
// where MIT's secure_getenv ignores it.

// BUG(safekrb5): Config drops what gokrb5's struct has no field for:
// [capaths], [appdefaults], [plugins], auth_to_local rules and most
// newer [libdefaults] relations. Read them with Profile.Values.
