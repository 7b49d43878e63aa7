module github.com/imgstream/imgstream/bench

go 1.25.0

require (
	github.com/armon/circbuf v0.0.0-20190214190532-5111143e8da2
	github.com/imgstream/imgstream v0.1.0
	github.com/smallnest/ringbuffer v0.0.0-20250317021400-0da97b586904
)

require github.com/mattn/go-mjpeg v0.0.3
