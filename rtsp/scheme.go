package rtsp

import (
	"fmt"

	"github.com/bluenviron/gortsplib/v5/pkg/base"

	"github.com/imgstream/imgstream/record"
)

// Scheme returns the record.SchemeFunc of rtsp:// and rtsps:// names, for
// record.Sources.Schemes: each name gets a new Source with o's settings
// (Transport, RootCAs, CAFile, FPS, Quality, FFmpeg, Timeout, Log) and
// the name as its URL. A name that is no RTSP URL is an error matching
// ErrInvalidURL, without its password. o may be nil.
func Scheme(o *Source) record.SchemeFunc {
	return func(name string) (record.Source, error) {
		s := &Source{URL: name}
		if o != nil {
			s.Transport, s.RootCAs, s.CAFile = o.Transport, o.RootCAs, o.CAFile
			s.FPS, s.Quality, s.FFmpeg = o.FPS, o.Quality, o.FFmpeg
			s.Timeout, s.Log = o.Timeout, o.Log
		}
		u, err := base.ParseURL(name)
		if err != nil || (u.Scheme != "rtsp" && u.Scheme != "rtsps") || u.Host == "" {
			return nil, fmt.Errorf("%w: %s: give rtsp://[USER:PASSWORD@]HOST[:PORT]/PATH, or rtsps:// for TLS", ErrInvalidURL, s.redacted())
		}
		return s, nil
	}
}
