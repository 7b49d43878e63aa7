// Package avi writes MJPEG AVI files: JPEG frames at a constant frame rate,
// in the RIFF layout every player reads (ffmpeg, VLC, OpenCV, Windows), with
// the OpenDML extensions that let a file grow past 1 GiB and 4 GiB.
//
// A [Writer] takes JPEG frames with the time each was recorded at and places
// each on the output rate's grid: frame rates are fractions (30000/1001,
// 12345/1000), and a frame shown for several slots of the grid is
// referenced again by the index rather than stored again, so a recording
// with uneven intervals plays at its recorded pace in exactly its recorded
// duration, to a frame, without growing. The output is deterministic: the
// same frames give the same bytes (no dates in the file). [RateFor] chooses
// a rate on whose grid no two frames share a slot, so none is dropped.
//
// A Writer seeks back to patch the headers once it has seen every frame.
// When the frames' sizes and times are known in advance (JPEG frames in a
// recording's index), a [Layout] works the file out without their bytes,
// and its Writer sends the file to an io.Writer that cannot seek, such as
// an HTTP response, with its size known before the first byte.
//
// # Layout
//
//	RIFF 'AVI '                          first segment, at most SegmentSize bytes
//	  LIST 'hdrl'
//	    'avih'  main header: frame period, size, frames in this segment
//	    LIST 'strl'
//	      'strh'  stream header: 'vids' 'MJPG', rate = Rate.Num / Rate.Den, length
//	      'strf'  BITMAPINFOHEADER: width, height, 'MJPG'
//	      'indx'  super index: where each segment's 'ix00' is (OpenDML)
//	    LIST 'odml'
//	      'dmlh'  the total frame count (OpenDML)
//	  LIST 'movi'
//	    '00dc'  a JPEG frame (and a pad byte when its length is odd)
//	    ...
//	    'ix00'  standard index of this segment's grid slots (OpenDML)
//	  'idx1'    the AVI 1.0 index of the first segment's slots
//	RIFF 'AVIX'                          further segments, as many as needed
//	  LIST 'movi'
//	    '00dc' ...
//	    'ix00'
//
// Every index has one entry per slot of the grid: a repeated frame's
// entries point at the one chunk that holds it. All index entries mark key
// frames, as every JPEG is one.
//
// # Limits
//
//   - Width and height: 1 to 32767 (the stream header's frame rectangle
//     holds 16-bit signed values).
//   - Rate: Num and Den from 1 to 2^31-1.
//   - A frame: at most MaxFrameSize bytes, and no more than fits in a
//     segment.
//   - SegmentSize: at most DefaultSegmentSize, 1 GiB, the size players
//     expect of a RIFF segment (chunk offsets in an 'ix00' are 32-bit, and
//     some players refuse larger segments); at least MinSegmentSize. A
//     segment may outgrow it by the index entries of the frame held when
//     the segment ends (at most MaxHoldSlots of them, 1.5 MiB), as they
//     must point into the segment that holds the frame.
//   - Segments: at most Config.MaxSegments (DefaultMaxSegments, 256:
//     256 GiB at the default segment size), for which the super index
//     reserves 16 bytes each in the header.
//   - A frame is shown for at most Config.MaxHold (DefaultMaxHold, one
//     minute) and MaxHoldSlots slots: a longer gap is shortened to it and
//     counted by Writer.Shortened, so a recording with a 49.7-day gap
//     makes a small file.
//   - Memory: the index, kept as one 24-byte entry per frame stored in the
//     current segment (however many slots it is shown for), until the
//     segment is finished: at most about the segment's size.
package avi
