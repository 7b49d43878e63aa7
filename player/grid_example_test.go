package player_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/imgstream/imgstream/mjpeg"
	"github.com/imgstream/imgstream/player"
)

// The live page of two cameras (in a program, the live servers of a
// record.Group, and its Status for /api/cameras), with a trigger for one.
func ExampleNewGrid() {
	door, yard := &mjpeg.Server{}, &mjpeg.Server{}
	defer door.Close()
	defer yard.Close()
	triggered := 0
	cameras := func() []player.LiveCamera {
		return []player.LiveCamera{
			{Name: "door", Live: door, Trigger: func() { triggered++ }},
			{Name: "yard", Live: yard},
		}
	}
	status := func() any { return []map[string]any{{"name": "door", "recording": true}, {"name": "yard"}} }
	srv := httptest.NewServer(player.NewGrid(cameras, status, player.Options{}))
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/cameras")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Print(string(b))
	res, err = http.Post(srv.URL+"/cam/door/trigger", "", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	fmt.Println(res.StatusCode, triggered)
	// Output:
	// [{"name":"door","recording":true},{"name":"yard"}]
	// 204 1
}
