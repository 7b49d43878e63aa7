package player_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/imgstream/imgstream/container"
	"github.com/imgstream/imgstream/export"
	"github.com/imgstream/imgstream/imageio"
	"github.com/imgstream/imgstream/player"
)

// The player of a recording, mounted on a server: the page at /, and the
// API a program can use too. On 127.0.0.1 the zero Options serves it;
// beyond loopback, give it a Token (or User and Password).
func ExampleNewFile() {
	// A recording of ten 8x4 grey frames, 100 ms apart.
	dir, err := os.MkdirTemp("", "player")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "door.omv")
	s, err := imageio.Create(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	for i := range 10 {
		img := &imageio.Image{Width: 8, Height: 4, Format: container.Grayscale, Data: make([]byte, 32)}
		if err := s.WriteAt(img, start.Add(time.Duration(i)*100*time.Millisecond)); err != nil {
			log.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}

	p, err := player.NewFile(path, player.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(p) // on 127.0.0.1
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/info")
	if err != nil {
		log.Fatal(err)
	}
	var info export.Summary // /api/info's schema, imgstream info --json's too
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d frames of %dx%d over %v\n", info.File, info.Count, info.Width, info.Height, time.Duration(info.DurationUS)*time.Microsecond)

	resp, err = http.Get(srv.URL + "/frame/9.png")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("/frame/9.png:", resp.Status, resp.Header.Get("Content-Type"))
	// Output:
	// door.omv: 10 frames of 8x4 over 900ms
	// /frame/9.png: 200 OK image/png
}
