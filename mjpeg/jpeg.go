package mjpeg

// Dimensions returns the width and height in a JPEG's frame header, and
// whether data is a whole JPEG: it starts with SOI, its marker segments
// are in bounds up to the frame header, and it ends with EOI (after which
// cameras may pad with zeros or line ends). A JPEG cut short, such as the
// last frame of a camera that dropped, is not whole; neither is one cut
// right after the EOI of a thumbnail in its APP1 segment. It reads the
// headers only, and does not allocate.
func Dimensions(data []byte) (width, height int, ok bool) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 0, 0, false
	}
	end := len(data)
	for end > 2 && (data[end-1] == 0 || data[end-1] == '\r' || data[end-1] == '\n') {
		end--
	}
	if end < 4 || data[end-2] != 0xFF || data[end-1] != 0xD9 {
		return 0, 0, false // cut short
	}
	for i := 2; i+4 <= end; {
		if data[i] != 0xFF {
			return 0, 0, false
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD7: // no length
			i += 2
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > end {
			return 0, 0, false
		}
		switch marker {
		case 0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF: // SOFn
			if n < 8 {
				return 0, 0, false
			}
			height = int(data[i+5])<<8 | int(data[i+6])
			width = int(data[i+7])<<8 | int(data[i+8])
			return width, height, width > 0 && height > 0
		case 0xDA: // start of scan before a frame header
			return 0, 0, false
		}
		i += 2 + n
	}
	return 0, 0, false
}
