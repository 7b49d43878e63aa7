package bufferio_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/bufferio"
)

func TestReadWriteSeek(t *testing.T) {
	mem := make([]byte, 10)
	b := bufferio.New(mem)
	assert.Equal(t, 10, b.Size())

	n, err := b.Write([]byte("abcd"))
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Equal(t, "abcd", string(mem[:4]), "writes go straight into the caller's slice")

	pos, err := b.Seek(0, io.SeekCurrent)
	require.NoError(t, err)
	assert.Equal(t, int64(4), pos)

	// A write that does not fit writes what fits.
	n, err = b.Write([]byte("efghijkl"))
	assert.Equal(t, 6, n)
	require.ErrorIs(t, err, bufferio.ErrFull)
	require.ErrorIs(t, err, io.ErrShortWrite)
	assert.Equal(t, "abcdefghij", string(mem))

	// At the end, nothing is written and the position stays.
	n, err = b.Write([]byte("x"))
	assert.Zero(t, n)
	require.ErrorIs(t, err, bufferio.ErrFull)
	pos, _ = b.Seek(0, io.SeekCurrent)
	assert.Equal(t, int64(10), pos)

	// Past the end: the same.
	_, err = b.Seek(5, io.SeekEnd)
	require.NoError(t, err)
	n, err = b.Write([]byte("x"))
	assert.Zero(t, n)
	require.ErrorIs(t, err, bufferio.ErrFull)
	pos, _ = b.Seek(0, io.SeekCurrent)
	assert.Equal(t, int64(15), pos)
	n, err = b.Read(make([]byte, 3))
	assert.Zero(t, n)
	assert.Equal(t, io.EOF, err)

	_, err = b.Seek(-11, io.SeekEnd)
	require.ErrorIs(t, err, bufferio.ErrNegativePosition)
	_, err = b.Seek(0, 7)
	require.ErrorIs(t, err, bufferio.ErrInvalidWhence)

	_, err = b.Seek(-4, io.SeekEnd)
	require.NoError(t, err)
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "ghij", string(got))
	assert.Same(t, &mem[0], &b.Bytes()[0], "Bytes is the caller's slice")
}

func TestReadAtWriteAt(t *testing.T) {
	b := bufferio.New([]byte("0123456789"))
	p := make([]byte, 4)
	n, err := b.ReadAt(p, 8)
	assert.Equal(t, 2, n)
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, "89", string(p[:n]))
	n, err = b.ReadAt(p, 3)
	require.NoError(t, err)
	assert.Equal(t, "3456", string(p[:n]))
	_, err = b.ReadAt(p, -1)
	require.ErrorIs(t, err, bufferio.ErrNegativePosition)
	_, err = b.ReadAt(p, 10)
	assert.Equal(t, io.EOF, err)

	n, err = b.WriteAt([]byte("xyz"), 8)
	assert.Equal(t, 2, n)
	require.ErrorIs(t, err, bufferio.ErrFull)
	_, err = b.WriteAt([]byte("x"), -1)
	require.ErrorIs(t, err, bufferio.ErrNegativePosition)
	assert.Equal(t, "01234567xy", string(b.Bytes()))
	pos, _ := b.Seek(0, io.SeekCurrent)
	assert.Zero(t, pos, "ReadAt and WriteAt leave the position alone")
}

func TestIOTestReader(t *testing.T) {
	content := []byte(strings.Repeat("imgstream bufferio ", 100))
	require.NoError(t, iotest.TestReader(bufferio.New(bytes.Clone(content)), content))
	require.NoError(t, iotest.TestReader(bufferio.NewReadOnly(content), content))
}

func TestReadOnly(t *testing.T) {
	b := bufferio.NewReadOnly([]byte("abc"))
	_, err := b.Write([]byte("x"))
	require.ErrorIs(t, err, bufferio.ErrReadOnly)
	_, err = b.WriteAt([]byte("x"), 0)
	require.ErrorIs(t, err, bufferio.ErrReadOnly)
	_, err = b.ReadFrom(strings.NewReader("x"))
	require.ErrorIs(t, err, bufferio.ErrReadOnly)
	assert.Equal(t, "abc", string(b.Bytes()))
}

func TestClose(t *testing.T) {
	b := bufferio.New(make([]byte, 4))
	require.NoError(t, b.Close())
	require.NoError(t, b.Close())
	_, err := b.Read(make([]byte, 1))
	assert.ErrorIs(t, err, bufferio.ErrClosed)
	_, err = b.Write([]byte("x"))
	assert.ErrorIs(t, err, bufferio.ErrClosed)
	_, err = b.Seek(0, io.SeekStart)
	assert.ErrorIs(t, err, bufferio.ErrClosed)
	_, err = b.ReadAt(make([]byte, 1), 0)
	assert.ErrorIs(t, err, bufferio.ErrClosed)
	_, err = b.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, bufferio.ErrClosed)
	_, err = b.ReadFrom(strings.NewReader("x"))
	assert.ErrorIs(t, err, bufferio.ErrClosed)
	_, err = b.WriteTo(io.Discard)
	assert.ErrorIs(t, err, bufferio.ErrClosed)
	assert.Equal(t, 4, b.Size())
	b.Reset(make([]byte, 2))
	n, err := b.Write([]byte("ok"))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}

func TestTruncateUnsupported(t *testing.T) {
	err := bufferio.New(make([]byte, 4)).Truncate(2)
	require.ErrorIs(t, err, errors.ErrUnsupported)
}

func TestReadFromWriteTo(t *testing.T) {
	mem := make([]byte, 8)
	b := bufferio.New(mem)
	n, err := b.ReadFrom(iotest.OneByteReader(strings.NewReader("hello")))
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)
	n, err = b.ReadFrom(iotest.HalfReader(strings.NewReader("world")))
	assert.Equal(t, int64(3), n)
	require.ErrorIs(t, err, bufferio.ErrFull, "more data than room")
	assert.Equal(t, "hellowor", string(mem))

	b2 := bufferio.New(make([]byte, 5))
	n, err = b2.ReadFrom(strings.NewReader("exact"))
	require.NoError(t, err, "exactly full is not an error")
	assert.Equal(t, int64(5), n)

	boom := errors.New("boom")
	_, err = bufferio.New(make([]byte, 5)).ReadFrom(iotest.ErrReader(boom))
	require.ErrorIs(t, err, boom)
	_, err = bufferio.New(make([]byte, 5)).ReadFrom(stuckReader{})
	require.ErrorIs(t, err, io.ErrNoProgress)

	_, err = b.Seek(2, io.SeekStart)
	require.NoError(t, err)
	var out bytes.Buffer
	n, err = b.WriteTo(&out)
	require.NoError(t, err)
	assert.Equal(t, int64(6), n)
	assert.Equal(t, "llowor", out.String())
	n, err = b.WriteTo(&out)
	require.NoError(t, err)
	assert.Zero(t, n)
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestZeroValue(t *testing.T) {
	var b bufferio.Buffer
	n, err := b.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.Equal(t, io.EOF, err)
	_, err = b.Write([]byte("x"))
	assert.ErrorIs(t, err, bufferio.ErrFull)
	assert.Zero(t, b.Size())
}

// Buffer satisfies the interfaces its documentation promises.
var (
	_ io.ReadWriteSeeker = (*bufferio.Buffer)(nil)
	_ io.ReaderAt        = (*bufferio.Buffer)(nil)
	_ io.WriterAt        = (*bufferio.Buffer)(nil)
	_ io.ReaderFrom      = (*bufferio.Buffer)(nil)
	_ io.WriterTo        = (*bufferio.Buffer)(nil)
	_ io.Closer          = (*bufferio.Buffer)(nil)
)
