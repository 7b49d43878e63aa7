package container

import "testing"

// TestValidMatchesNames checks Valid's and Defined's switches against the
// names: a format added to one must be added to the other.
func TestValidMatchesNames(t *testing.T) {
	for f, name := range pixFormatNames {
		if !f.Valid() || !f.Defined() {
			t.Errorf("%s: Valid %v, Defined %v; want both", name, f.Valid(), f.Defined())
		}
	}
	for f, name := range streamOnlyNames {
		if f.Valid() || !f.Defined() {
			t.Errorf("%s: Valid %v, Defined %v; want only Defined", name, f.Valid(), f.Defined())
		}
	}
	n := 0
	for f := range PixFormat(1 << 16) { // every code up to 0xffff, and the known ones shifted
		for _, g := range []PixFormat{f, f << 16, f<<16 | 1, f<<16 | 2, f<<16 | 3, f<<16 | 0x101, f<<16 | 0x201, f<<16 | 0x301, f<<16 | 0x102, f<<16 | 0x103} {
			_, named := pixFormatNames[g]
			if g.Valid() != named {
				t.Fatalf("%#08x: Valid %v, named %v", uint32(g), g.Valid(), named)
			}
			if g.Valid() {
				n++
			}
		}
	}
	if n < len(pixFormatNames) {
		t.Errorf("%d valid codes found, want %d", n, len(pixFormatNames))
	}
}
