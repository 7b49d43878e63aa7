package rtsp

import "time"

// A clock turns the 32-bit RTP timestamps of one stream into times since
// its first packet. Each timestamp is taken as the one nearest to the
// previous packet's, within half the 32-bit range (6.6 hours at 90 kHz),
// so the clock goes on across the wrap and a packet that arrives late,
// out of order, gets the time it was sent with, not a wrapped one.
type clock struct {
	rate    int64  // ticks per second
	started bool   // a packet has been seen
	last    uint32 // the previous packet's timestamp
	ext     int64  // last, unwrapped: ticks since the first packet
}

// at returns the time of the packet with timestamp ts since the first
// packet of the stream.
func (c *clock) at(ts uint32) time.Duration {
	if !c.started {
		c.started, c.last = true, ts
		return 0
	}
	c.ext += int64(int32(ts - c.last))
	c.last = ts
	return ticks(c.ext, c.rate)
}

// ticks converts n ticks of a clock of rate per second to a duration,
// without overflow for any n a stream reaches.
func ticks(n, rate int64) time.Duration {
	return time.Duration(n/rate)*time.Second + time.Duration(n%rate)*time.Second/time.Duration(rate)
}
