package imageio_test

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
)

// The child of TestCrash records crashFrame(0), crashFrame(1), ... into the
// file named by crashEnv until it is killed, syncing every few frames and
// then printing the index of the last frame synced.
const crashEnv = "IMGSTREAM_IMAGEIO_CRASH_CHILD"

func TestMain(m *testing.M) {
	testkit.Main(m, map[string]func() int{"recorder": func() int { return crashChild(os.Getenv(crashEnv)) }})
}

// crashFrame is frame i of the crash recording: sizes vary so that a kill
// lands in headers, payloads and padding alike.
func crashFrame(i int) *imageio.Image {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	w, h := 1+rng.IntN(200), 1+rng.IntN(150)
	data := make([]byte, w*h*2)
	for j := range data {
		data[j] = byte(rng.Uint32())
	}
	return &imageio.Image{Width: w, Height: h, Format: container.RGB565, Data: data}
}

func crashChild(path string) int {
	s, err := imageio.Create(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "created")
	out.Flush()
	for i := 0; ; i++ {
		if err := s.Write(crashFrame(i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if i%5 == 4 {
			if err := s.Sync(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Fprintln(out, i)
			out.Flush()
		}
	}
}

// crashSeedEnv, if set, seeds TestCrash, to replay a failing run.
const crashSeedEnv = "IMGSTREAM_CRASH_SEED"

// TestCrash kills a recording child at random moments: every complete frame
// reads back, every frame it acknowledged as synced is there, and Repair
// gives a file read whole. The seed is logged; set crashSeedEnv to it to
// replay a run.
func TestCrash(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		var err error
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, crashSeedEnv)
	}
	t.Logf("seed %d (%s=%d replays this run)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	rounds := 25
	if testing.Short() {
		rounds = 5
	}
	damaged := 0
	for round := range rounds {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("crash%d.omv", round))
		cmd := testkit.Child("recorder", crashEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// Once the file exists, let it record for a random while, noting
		// what it synced.
		sc := bufio.NewScanner(stdout)
		require.True(t, sc.Scan(), "the child did not start")
		require.Equal(t, "created", sc.Text())
		synced := -1
		lines := make(chan int)
		go func() {
			defer close(lines)
			for sc.Scan() {
				if n, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil {
					lines <- n
				}
			}
		}()
		// Every round kills after at least one acknowledged sync, so every
		// round checks that synced frames survive.
		first, ok := <-lines
		require.True(t, ok, "round %d: the child synced nothing", round)
		synced = first
		deadline := time.After(time.Duration(rng.IntN(60)) * time.Millisecond)
	wait:
		for {
			select {
			case n, ok := <-lines:
				if !ok {
					break wait
				}
				synced = n
			case <-deadline:
				break wait
			}
		}
		require.NoError(t, cmd.Process.Kill()) // SIGKILL
		for n := range lines {
			synced = n // acknowledged before the kill landed
		}
		cmd.Wait()

		s, err := imageio.Open(path, nil)
		require.NoError(t, err, "Create writes the magic before anything else")
		n := 0
		var damage error
		for m, err := range s.All() {
			if err != nil {
				damage = err
				break
			}
			require.Equal(t, pixels(crashFrame(n)), pixels(m), "round %d frame %d", round, n)
			n++
		}
		s.Close()
		require.GreaterOrEqual(t, synced, 4, "round %d: a sync was acknowledged", round)
		assert.GreaterOrEqual(t, n, synced+1, "round %d: the %d frames synced before the kill are there", round, synced+1)
		if damage == nil {
			continue
		}
		damaged++
		require.ErrorIs(t, damage, io.ErrUnexpectedEOF, "a kill only cuts the file off")
		rep, err := imageio.Repair(path)
		require.NoError(t, err)
		assert.Equal(t, n, rep.Frames)
		f, err := os.Open(path)
		require.NoError(t, err)
		x, err := container.ReadIndex(f)
		f.Close()
		require.NoError(t, err, "round %d: the repaired file reads whole", round)
		assert.Len(t, x.Entries, n)
	}
	t.Logf("%d rounds, %d left a frame cut off", rounds, damaged)
}
