package pac

import (
	"testing"
)

// BenchmarkParseAndVerify measures what an acceptor spends on a PAC:
// decoding it, checking its server signature and its client info.
func BenchmarkParseAndVerify(b *testing.B) {
	for _, g := range loadGoldens(b) {
		if g.file != "mit.json" && g.file != "samba-aes.json" {
			continue
		}
		raw, key, client := g.bytes(b), g.ServerKey.key(b), g.clientName()
		b.Run(g.file, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p, err := Parse(raw)
				if err == nil {
					err = p.VerifyServerChecksum(key)
				}
				if err == nil {
					err = p.VerifyClient(client, g.AuthTime)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
