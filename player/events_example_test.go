package player_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/imgstream/imgstream/player"
)

// An EventStream serves Server-Sent Events: here to a client that reads
// the first event's lines. A page reads it with new EventSource(URL).
func ExampleEventStream() {
	es := &player.EventStream{}
	srv := httptest.NewServer(es)
	defer srv.Close()
	defer es.Close()

	es.Send("door", "", []byte(`{"event":"motion_start","camera":"door"}`)) // kept for clients to come
	resp, err := http.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	for range 4 { // a comment, its end, the event, its end
		line, _ := r.ReadString('\n')
		fmt.Print(line)
	}
	// Output:
	// : imgstream events
	//
	// data: {"event":"motion_start","camera":"door"}
	//
}
