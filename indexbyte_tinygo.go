//go:build tinygo

package biplane

// indexByte is bytes.IndexByte four bytes at a time: TinyGo's is a loop of
// some nine instructions a byte on a microcontroller.
func indexByte(b []byte, c byte) int {
	const lo, hi = 0x01010101, 0x80808080
	pat := uint32(c) * lo
	i := 0
	for ; i+4 <= len(b); i += 4 {
		w := (uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24) ^ pat
		if (w-lo)&^w&hi != 0 {
			break // a zero byte in w: c is in these four
		}
	}
	for ; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}
