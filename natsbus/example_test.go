package natsbus_test

import (
	"errors"
	"fmt"

	"github.com/imgstream/imgstream/natsbus"
)

// A camera's name is one NATS subject token, checked before anything
// connects. The Examples that publish, subscribe, record and replay
// through a server are those of natsbus/server, whose module has the
// embedded server they start.
func ExampleCheckCamera() {
	for _, camera := range []string{"door", "front.door", "cam*"} {
		if err := natsbus.CheckCamera(camera); err != nil {
			fmt.Println(errors.Is(err, natsbus.ErrInvalidCamera), err)
			continue
		}
		fmt.Println(natsbus.Subject(camera), natsbus.StreamName(camera))
	}
	// Output:
	// imgstream.door IMGSTREAM_door
	// true natsbus: invalid camera name: "front.door" (one subject token: no dots, wildcards or spaces)
	// true natsbus: invalid camera name: "cam*" (one subject token: no dots, wildcards or spaces)
}
