package natsbus

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/imgstream/imgstream/imageio"
)

// Whole recordings, not per-frame traffic, go through an Object Store
// bucket: a key-value entry is one message and fails past the max
// payload, while an object is chunked by JetStream itself, with a digest.

// Upload puts the recording at path into bucket (made if needed) as
// name. The file must open as a recording.
func Upload(ctx context.Context, js jetstream.JetStream, bucket, name, path string) (*jetstream.ObjectInfo, error) {
	s, err := imageio.Open(path, nil)
	if err != nil {
		return nil, err
	}
	s.Close()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bucket, Description: "imgstream recordings"})
	}
	if err != nil {
		return nil, fmt.Errorf("natsbus: bucket %s: %w", bucket, err)
	}
	return obs.Put(ctx, jetstream.ObjectMeta{Name: name, Description: "OMV IMG STR recording"}, f)
}

// Download writes the recording name of bucket to path. JetStream checks
// its digest.
func Download(ctx context.Context, js jetstream.JetStream, bucket, name, path string) error {
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		return fmt.Errorf("natsbus: bucket %s: %w", bucket, err)
	}
	return obs.GetFile(ctx, name, path)
}
