package player_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/color"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/internal/testkit"
	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
)

// tat is 2026-12-02 at h:m:s and ms milliseconds, UTC.
func tat(h, m, s, ms int) time.Time {
	return time.Date(2026, 12, 2, h, m, s, ms*int(time.Millisecond), time.UTC)
}

// timelineFolder serves a folder of two cameras: door, two clips of 10
// frames at 100 ms (seq 0-9 from 10:00:00, 10-19 from 10:00:05, motion),
// and yard, one clip of 5 frames at 200 ms (seq 100-104 from 10:00:01);
// and one clip of door the day before.
func timelineFolder(t *testing.T) string {
	dir := t.TempDir()
	testkit.WriteClip(t, filepath.Join(dir, "door", "a.omv"), 10, 100*time.Millisecond, 0, tat(10, 0, 0, 0), "motion")
	testkit.WriteClip(t, filepath.Join(dir, "door", "b.omv"), 10, 100*time.Millisecond, 10, tat(10, 0, 5, 0), "motion")
	testkit.WriteClip(t, filepath.Join(dir, "yard", "c.omv"), 5, 200*time.Millisecond, 100, tat(10, 0, 1, 0), "")
	testkit.WriteClip(t, filepath.Join(dir, "door", "old.omv"), 3, 100*time.Millisecond, 200, tat(10, 0, 0, 0).AddDate(0, 0, -1), "manual")
	p, err := player.NewDir(dir, player.Options{})
	require.NoError(t, err)
	return serve(t, p).URL
}

func rangeQuery(from, to time.Time) string {
	return "from=" + url.QueryEscape(from.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339Nano))
}

// TestTimelineAPI: /api/timeline gives the clips with a frame in the
// range (camera, path, start, end, frames, and the id that plays them)
// and their triggers as events; the last day's when no range is given.
func TestTimelineAPI(t *testing.T) {
	base := timelineFolder(t)
	type answer struct {
		Cameras []string `json:"cameras"`
		Days    []string `json:"days"`
		Clips   []struct {
			ID      int       `json:"id"`
			Camera  string    `json:"camera"`
			Path    string    `json:"path"`
			Start   time.Time `json:"start"`
			End     time.Time `json:"end"`
			Frames  int       `json:"frames"`
			Clock   string    `json:"clock"`
			Trigger string    `json:"trigger"`
		} `json:"clips"`
		Events []struct {
			Camera string    `json:"camera"`
			Time   time.Time `json:"time"`
			Kind   string    `json:"kind"`
		} `json:"events"`
	}
	resp, body := get(t, base+"/api/timeline?"+rangeQuery(tat(10, 0, 0, 950), tat(10, 0, 5, 0)))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var a answer
	require.NoError(t, json.Unmarshal(body, &a))
	assert.Equal(t, []string{"door", "yard"}, a.Cameras)
	require.Len(t, a.Clips, 1, "door/a's last frame is at 10:00:00.900, before the range; door/b starts at its end, excluded")
	assert.Equal(t, "yard/c.omv", a.Clips[0].Path)
	assert.Empty(t, a.Events)
	resp, body = get(t, base+"/api/timeline?"+rangeQuery(tat(10, 0, 0, 0), tat(10, 0, 10, 0)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	a = answer{}
	require.NoError(t, json.Unmarshal(body, &a))
	require.Len(t, a.Clips, 3)
	paths := []string{a.Clips[0].Path, a.Clips[1].Path, a.Clips[2].Path}
	assert.Equal(t, []string{"door/a.omv", "yard/c.omv", "door/b.omv"}, paths, "by start")
	c := a.Clips[1]
	assert.Equal(t, "yard", c.Camera)
	assert.True(t, c.Start.Equal(tat(10, 0, 1, 0)))
	assert.True(t, c.End.Equal(tat(10, 0, 1, 800)))
	assert.Equal(t, 5, c.Frames)
	assert.Equal(t, "side", c.Clock)
	resp, info := get(t, base+"/r/"+itoa(c.ID)+"/api/info")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(info), `"file": "yard/c.omv"`, "its id plays it")
	require.Len(t, a.Events, 2)
	assert.Equal(t, "motion", a.Events[0].Kind)
	assert.True(t, a.Events[1].Time.Equal(tat(10, 0, 5, 0)))

	// No range: the last day with clips.
	_, body = get(t, base+"/api/timeline")
	a = answer{}
	require.NoError(t, json.Unmarshal(body, &a))
	assert.Len(t, a.Clips, 3)
	assert.Equal(t, []string{"2026-12-01", "2026-12-02"}, a.Days)
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestTimelineBadTimes: a time that is not one, or a range that ends
// before it starts, is 400 with what was wrong.
func TestTimelineBadTimes(t *testing.T) {
	base := timelineFolder(t)
	for _, c := range []struct{ path, says string }{
		{"/api/timeline?from=yesterday&to=today", "want RFC 3339"},
		{"/api/timeline?from=2026-12-02T10:00:00Z&to=09:00", "before it starts"},
		{"/api/timeline?from=10:00&to=11:00", "no date"},
		{"/api/snapshot?at=noon", "want RFC 3339"},
		{"/api/snapshot?at=2026-12-02T10:00:00Z&camera=garage", `camera "garage"`},
		{"/export.avi?from=2026-12-02T10:00:00Z", "to: export: invalid time: no time given"},
		{"/export.avi?from=2026-12-02T10:00:00Z&to=10:00:10", `"door", "yard": name one`},
	} {
		resp, body := get(t, base+c.path)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, c.path)
		assert.Contains(t, string(body), c.says, c.path)
	}
	resp, body := get(t, base+"/export.avi?"+rangeQuery(tat(10, 0, 2, 0), tat(10, 0, 4, 0))+"&camera=door")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(body), `camera "door" has no frame`)
}

// stamps returns the StampJPEG numbers of the JPEGs in b, in order.
func stamps(b []byte) []uint64 {
	var seqs []uint64
	soi := []byte{0xff, 0xd8, 0xff, 0xfe, 0, 10}
	for i := bytes.Index(b, soi); i >= 0; {
		if s, ok := testkit.SeqOf(b[i:]); ok {
			seqs = append(seqs, s)
		}
		j := bytes.Index(b[i+1:], soi)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return seqs
}

// TestTimelineExport: /export.avi of a range across door's two clips
// holds their frames in the range, in order, once each (the gap is held
// by index entries, not frames).
func TestTimelineExport(t *testing.T) {
	base := timelineFolder(t)
	resp, body := get(t, base+"/export.avi?"+rangeQuery(tat(10, 0, 0, 450), tat(10, 0, 5, 450))+"&camera=door")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "video/x-msvideo", resp.Header.Get("Content-Type"))
	assert.Equal(t, "10", resp.Header.Get("X-Frames"))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "door-")
	assert.Equal(t, []uint64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, stamps(body))

	resp, body = get(t, base+"/export.gif?"+rangeQuery(tat(10, 0, 1, 0), tat(10, 0, 2, 0))+"&camera=yard")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.True(t, bytes.HasPrefix(body, []byte("GIF89a")))
}

// TestTimelineSnapshot: /api/snapshot gives the frame nearest the time,
// in a clip or across a gap, with its wall time.
func TestTimelineSnapshot(t *testing.T) {
	base := timelineFolder(t)
	for _, c := range []struct {
		at   time.Time
		seq  uint64
		when time.Time
	}{
		{tat(10, 0, 0, 420), 4, tat(10, 0, 0, 400)},
		{tat(10, 0, 3, 500), 10, tat(10, 0, 5, 0)},
	} {
		resp, body := get(t, base+"/api/snapshot?camera=door&at="+url.QueryEscape(c.at.Format(time.RFC3339Nano)))
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
		seq, ok := testkit.SeqOf(body)
		require.True(t, ok)
		assert.Equal(t, c.seq, seq, "at %v", c.at)
		when, err := time.Parse(time.RFC3339Nano, resp.Header.Get("X-Frame-Time"))
		require.NoError(t, err)
		assert.True(t, when.Equal(c.when), "at %v: %v", c.at, when)
	}
}

// TestLiveSnapshotAt: a live page with Options.SnapshotAt serves
// /api/snapshot?at= from it (a recorder's ring), its answer's time in
// X-Frame-Time; a time it does not hold is 404 with why, a bad time 400;
// without SnapshotAt there is no such route.
func TestLiveSnapshotAt(t *testing.T) {
	var srv mjpeg.Server
	defer srv.Close()
	ring := tat(10, 0, 0, 0)
	var asked []time.Time
	snap := func(at time.Time, m *imageio.Image) (time.Time, error) {
		asked = append(asked, at)
		if at.Before(ring) {
			return time.Time{}, errors.New("record: no frame of that time in the ring")
		}
		jpg := testkit.StampJPEG(testkit.SolidJPEG(8, 8, color.Gray{Y: 50}), 42)
		*m = imageio.Image{Width: 8, Height: 8, Format: container.JPEG, Data: jpg}
		return at.Add(-time.Millisecond), nil
	}
	ts := httptest.NewServer(player.NewLive(&srv, "camera", player.Options{SnapshotAt: snap}))
	defer ts.Close()
	resp, body := get(t, ts.URL+"/api/snapshot?at=2026-12-02T10:00:01Z")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	seq, ok := testkit.SeqOf(body)
	assert.True(t, ok && seq == 42, "the frame SnapshotAt read")
	assert.Equal(t, "2026-12-02T10:00:00.999Z", resp.Header.Get("X-Frame-Time"))
	resp, body = get(t, ts.URL+"/api/snapshot?at=2026-12-02T09:00:00Z")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(body), "no frame of that time in the ring")
	resp, _ = get(t, ts.URL+"/api/snapshot?at=soon")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Len(t, asked, 2)
	assert.True(t, asked[0].Equal(tat(10, 0, 1, 0)))

	plain := httptest.NewServer(player.NewLive(&srv, "camera", player.Options{}))
	defer plain.Close()
	resp, _ = get(t, plain.URL+"/api/snapshot?at=2026-12-02T10:00:01Z")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
