package circular_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/circular"
)

func newBuffer(t *testing.T, size int) *circular.Buffer {
	t.Helper()
	b, err := circular.New(size)
	require.NoError(t, err)
	return b
}

func write(t *testing.T, w io.Writer, ss ...string) {
	t.Helper()
	for _, s := range ss {
		n, err := w.Write([]byte(s))
		require.NoError(t, err)
		require.Equal(t, len(s), n)
	}
}

func tell(t *testing.T, s io.Seeker) int64 {
	t.Helper()
	pos, err := s.Seek(0, io.SeekCurrent)
	require.NoError(t, err)
	return pos
}

func seek(t *testing.T, s io.Seeker, off int64, whence int) {
	t.Helper()
	_, err := s.Seek(off, whence)
	require.NoError(t, err)
}

func read(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	p := make([]byte, n)
	k, err := r.Read(p)
	if err != io.EOF {
		require.NoError(t, err)
	}
	return string(p[:k])
}

func readChunk(t *testing.T, b interface{ ReadChunk([]byte) (int, error) }, n int) string {
	t.Helper()
	p := make([]byte, n)
	k, err := b.ReadChunk(p)
	if err != io.EOF {
		require.NoError(t, err)
	}
	return string(p[:k])
}

func TestNew(t *testing.T) {
	b := newBuffer(t, 10)
	assert.Equal(t, 10, b.Size())
	assert.Zero(t, b.Len())
	assert.Zero(t, tell(t, b))
	_, err := circular.New(0)
	require.ErrorIs(t, err, circular.ErrInvalidSize)
	_, err = circular.NewWrites(10, 0)
	require.ErrorIs(t, err, circular.ErrInvalidSize)
}

// The picamera CircularIO test sequences, with writes split so that dropping
// whole writes keeps what picamera keeps.

func TestSeekTell(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "defghijklm")
	assert.Equal(t, int64(10), tell(t, b))
	seek(t, b, 0, io.SeekStart)
	assert.Zero(t, tell(t, b))
	seek(t, b, 4, io.SeekCurrent)
	assert.Equal(t, int64(4), tell(t, b))
	seek(t, b, 0, io.SeekEnd)
	assert.Equal(t, int64(10), tell(t, b))
	_, err := b.Seek(-20, io.SeekEnd)
	require.ErrorIs(t, err, circular.ErrNegativePosition)
	_, err = b.Seek(0, 3)
	require.ErrorIs(t, err, circular.ErrInvalidWhence)
	assert.Equal(t, int64(10), tell(t, b), "a failed seek leaves the position")
}

func TestRead(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "abc", "def", "ghijklm")
	seek(t, b, 0, io.SeekStart)
	assert.Equal(t, "d", read(t, b, 1))
	assert.Equal(t, "efgh", read(t, b, 4))
	assert.Equal(t, "ijklm", read(t, b, 100))
	assert.Equal(t, int64(10), tell(t, b))
	n, err := b.Read(make([]byte, 5))
	assert.Zero(t, n)
	assert.Equal(t, io.EOF, err)
	seek(t, b, 0, io.SeekStart)
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "defghijklm", string(got))
}

func TestReadChunk(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "abc", "def", "ghijklm")
	seek(t, b, 0, io.SeekStart)
	assert.Equal(t, "def", readChunk(t, b, 100))
	seek(t, b, 0, io.SeekStart)
	assert.Equal(t, "def", readChunk(t, b, 5))
	assert.Equal(t, "ghi", readChunk(t, b, 3))
	assert.Equal(t, "jklm", readChunk(t, b, 100))
	assert.Equal(t, "", readChunk(t, b, 100))
}

func TestWrite(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "")
	assert.Zero(t, tell(t, b))
	assert.Empty(t, b.Bytes())
	seek(t, b, 2, io.SeekStart)
	write(t, b, "abc")
	assert.Equal(t, "\x00\x00abc", string(b.Bytes()), "a gap is filled with zeros")
	assert.Equal(t, int64(5), tell(t, b))
	write(t, b, "def")
	assert.Equal(t, "\x00\x00abcdef", string(b.Bytes()))
	assert.Equal(t, int64(8), tell(t, b))
	write(t, b, "ghijklm")
	assert.Equal(t, "defghijklm", string(b.Bytes()), "the zero fill and abc are dropped whole")
	assert.Equal(t, int64(10), tell(t, b))
	seek(t, b, 1, io.SeekStart)
	write(t, b, "aaa")
	assert.Equal(t, "daaahijklm", string(b.Bytes()), "overwrites in place")
	assert.Equal(t, int64(4), tell(t, b))
	seek(t, b, -2, io.SeekEnd)
	write(t, b, "bbb")
	// picamera trims the oldest write to 'aa' and keeps 10 bytes; whole
	// writes are dropped here: 'daa' goes, 'ahijkbb' + 'b' stay.
	assert.Equal(t, "ahijkbbb", string(b.Bytes()))
	assert.Equal(t, int64(8), tell(t, b))
}

func TestWholeWritesDropped(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "abcdef", "ghijklm")
	assert.Equal(t, "ghijklm", string(b.Bytes()), "the stream starts at a write boundary")
	write(t, b, "nop")
	assert.Equal(t, "ghijklmnop", string(b.Bytes()))
	write(t, b, "q")
	assert.Equal(t, "nopq", string(b.Bytes()))
	n, err := b.Write(make([]byte, 11))
	require.ErrorIs(t, err, circular.ErrTooLarge)
	assert.Zero(t, n)
	assert.Equal(t, "nopq", string(b.Bytes()), "a too-large write changes nothing")
	write(t, b, "0123456789")
	assert.Equal(t, "0123456789", string(b.Bytes()), "a write of exactly Size replaces everything")
}

func TestMaxWrites(t *testing.T) {
	b, err := circular.NewWrites(100, 3)
	require.NoError(t, err)
	write(t, b, "a", "b", "c", "d")
	assert.Equal(t, "bcd", string(b.Bytes()), "the fourth write drops the first though its bytes fit")
}

func TestPositionFollowsDrops(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "abcde", "fgh")
	seek(t, b, 6, io.SeekStart) // on 'g'
	// Another write appends at the position: overwrite 'gh', append 'ij'.
	write(t, b, "GHij")
	assert.Equal(t, "abcdefGHij", string(b.Bytes()))
	seek(t, b, 7, io.SeekStart) // on 'H'
	p := make([]byte, 2)
	_, err := b.ReadAt(p, 7)
	require.NoError(t, err)
	assert.Equal(t, "Hi", string(p))
	seek(t, b, 0, io.SeekEnd)
	write(t, b, "k")
	assert.Equal(t, "fGHijk", string(b.Bytes()))
	assert.Equal(t, int64(6), tell(t, b))
}

func TestTruncate(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "abc", "def", "ghijklm")
	require.NoError(t, b.Truncate(8))
	seek(t, b, 0, io.SeekEnd)
	assert.Equal(t, int64(8), tell(t, b))
	require.NoError(t, b.Truncate(10))
	seek(t, b, 8, io.SeekStart)
	assert.Equal(t, "\x00\x00", read(t, b, 10))
	require.NoError(t, b.Truncate(4))
	seek(t, b, 0, io.SeekStart)
	assert.Equal(t, "defg", read(t, b, 10))
	require.ErrorIs(t, b.Truncate(-1), circular.ErrNegativePosition)
	require.ErrorIs(t, b.Truncate(11), circular.ErrTooLarge)

	// Boundaries survive a truncation: read1 stops where the writes did.
	seek(t, b, 0, io.SeekStart)
	assert.Equal(t, "def", readChunk(t, b, 10))
	assert.Equal(t, "g", readChunk(t, b, 10))
	require.NoError(t, b.Truncate(0))
	assert.Zero(t, b.Len())
	assert.Equal(t, int64(4), tell(t, b), "Truncate leaves the position")
	write(t, b, "xy")
	assert.Equal(t, "\x00\x00\x00\x00xy", string(b.Bytes()), "so a write there fills the gap")
}

func TestReset(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "abc", "def")
	b.Reset()
	assert.Zero(t, b.Len())
	assert.Zero(t, tell(t, b))
	write(t, b, "gh")
	assert.Equal(t, "gh", string(b.Bytes()))
}

func TestWriteTo(t *testing.T) {
	b := newBuffer(t, 10)
	write(t, b, "abcdefg", "hij")
	write(t, b, "kl") // wraps around the ring's end
	seek(t, b, 1, io.SeekStart)
	var out bytes.Buffer
	n, err := b.WriteTo(&out)
	require.NoError(t, err)
	assert.Equal(t, int64(4), n)
	assert.Equal(t, "ijkl", out.String())
	assert.Equal(t, int64(5), tell(t, b))
}

func TestIOTestReader(t *testing.T) {
	b := newBuffer(t, 1000)
	var want []byte
	for i := range 300 {
		s := strings.Repeat(string(rune('a'+i%26)), 1+i%7)
		write(t, b, s)
		want = append(want, s...)
	}
	want = want[len(want)-b.Len():]
	seek(t, b, 0, io.SeekStart)
	require.NoError(t, iotest.TestReader(b, want))
}

// TestModel checks random operations against a plain model of the
// whole-write semantics, wrapping the ring many times.
func TestModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const size = 64
	b := newBuffer(t, size)
	var writes [][]byte // the model: the writes held, oldest first
	content := func() []byte { return bytes.Join(writes, nil) }
	for i := range 5000 {
		p := make([]byte, 1+rng.IntN(size))
		for j := range p {
			p[j] = byte(i + j)
		}
		write(t, b, string(p))
		writes = append(writes, p)
		for len(content()) > size {
			writes = writes[1:]
		}
		require.Equal(t, content(), b.Bytes(), "after write %d", i)
		// Every write boundary is where ReadChunk stops.
		if i%50 == 0 {
			seek(t, b, 0, io.SeekStart)
			for _, w := range writes {
				require.Equal(t, string(w), readChunk(t, b, size))
			}
			seek(t, b, 0, io.SeekEnd)
		}
	}
}

func TestConcurrent(t *testing.T) {
	b := newBuffer(t, 4096)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			p := bytes.Repeat([]byte{byte(w)}, 100+w)
			for range 2000 {
				if _, err := b.Write(p); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			p := make([]byte, 512)
			for range 2000 {
				_, _ = b.ReadAt(p, 0)
				_ = b.Bytes()
				_ = b.Len()
			}
		})
	}
	wg.Wait()
	// Whole writes only: every run of bytes is one writer's full write.
	data := b.Bytes()
	for len(data) > 0 {
		w := int(data[0])
		n := 100 + w
		require.GreaterOrEqual(t, len(data), n)
		require.Equal(t, bytes.Repeat([]byte{byte(w)}, n), data[:n])
		data = data[n:]
	}
}

var (
	_ io.ReadWriteSeeker = (*circular.Buffer)(nil)
	_ io.ReaderAt        = (*circular.Buffer)(nil)
	_ io.WriterTo        = (*circular.Buffer)(nil)
)
