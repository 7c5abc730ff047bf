// Package errortables holds numbered error tables in the com_err scheme used
// by MIT Kerberos, so that a numeric code means the same thing in safekrb5 as
// in MIT's libraries and tools.
//
// A table has a name of up to four characters. The name encodes into the
// table's base exactly as com_err encodes it: each character is mapped to its
// position in the alphabet "A-Za-z0-9_" counted from one, the positions are
// packed six bits apiece, and the result is shifted left by eight bits. A code
// is the base plus the index of the message in the table, so a table holds at
// most 256 codes.
//
// Modules register the tables they use when they load and release them at
// teardown; registration is counted, so a table stays while any module holds
// it. Lookups through [Message] and [Lookup] take no lock and may run while
// other goroutines register and release tables.
//
// An [Error] carries its code, its table's name, its symbolic name and its
// message text. It never needs the registry again after it was made, so an
// error created before a module's teardown prints the same afterwards.
package errortables
