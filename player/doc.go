// Package player is imgstream's browser player and its HTTP API, as an
// http.Handler that programs mount: a recording played, paused, stepped
// and scrubbed in any browser (phones too), with its timing drawn as a
// chart; a folder of recordings (an SD card) listed with thumbnails; or a
// live source. The page is plain HTML, CSS and JavaScript embedded in the
// package (no build step, no CDN, no framework, under 100 KB), and it uses
// only the API below, so other programs can too.
//
// # API of a recording
//
//	GET /                         the player page
//	GET /api/info                 JSON: export.Summary, as imgstream info --json gives it: file,
//	                              version, time_unit, count, duration_us, fps, min_fps, max_fps,
//	                              width, height, bytes, formats, size, modified, damage (null or
//	                              {frame, offset, error})
//	GET /api/frames               JSON: [{index, offset, time_us, interval_us, size, format, w, h}]
//	GET /frame/N.jpg, N.png       frame N (0 to frames-1) as JPEG (JPEG frames as they are) or PNG
//	                              (png.BestSpeed: 5.2x as fast as the default level, BenchmarkFramePNG);
//	                              constant time (the file's headers are indexed when it is opened),
//	                              with an ETag and Cache-Control: immutable, as the file does not change
//	GET /stream.mjpg?from=N&speed=S   MJPEG at the recorded pace times S (0.25 to 4), from frame N,
//	                              round and round, frames at least imageio.MinFramePeriod apart
//	                              and a round at least imageio.MinLoopPeriod long
//	GET /export.avi?from=N&to=M   frames N to M-1 as an MJPEG AVI at export.VideoRate (export.AVI,
//	                              the bytes the command line's export gives); JPEG frames are sent
//	                              as the file is made, with its Content-Length (no Range)
//	GET /export.gif?from=N&to=M   the same as an animated GIF (export.GIF)
//
// A folder ([NewDir]) opens on its timeline at /: a day of its clips on
// a clock axis, a row a camera, clips triggered by motion and the
// triggers marked; a click plays from that moment across the clips, a
// click in a gap says "no recording", and a drag picks a range to export.
// It lists its recordings as thumbnails at /list and in /api/recordings
// (JSON: [{id, name, frames, duration_us, size, modified, damaged}]), and
// serves recording id under /r/ID/ with the API above. Its clips are
// placed on the clock by export.Folder (each clip's first frame's wall
// time from the recorder's side file, CLIP.omv.json, else the date and
// time in its name, local, else its modification time less its length;
// each frame at that plus its time since the first), and served by it:
//
//	GET /api/timeline?from=&to=   JSON: {from, to, cameras, days, clips: [{id, camera, path, start,
//	                              end, frames, clock, trigger, trigger_at, duration_us, ...}],
//	                              events: [{camera, time, kind, path}]}: the clips with a frame in
//	                              [from, to) and their triggers; RFC 3339 times, local without a
//	                              zone, to also a time of day on from's date; no range: the last
//	                              day with clips; a bad time is 400 with what is wrong
//	GET /api/snapshot?at=&camera= the frame of the camera's clips nearest to at, as a JPEG, its wall
//	                              time in X-Frame-Time and its clip in X-Clip (the clips only: a
//	                              live recorder's ring is the live player's)
//	GET /export.avi?from=&to=&camera=  the camera's frames in [from, to) from every clip, the gaps
//	                              kept as time (export.Folder.Recording, as export DIR --from --to
//	                              gives them); X-Frames says how many; a range with no frame is 404
//	GET /export.gif?from=&to=&camera=  the same as an animated GIF
//
// camera may be left out when the folder, or the range, has clips of one
// camera only. A live source
// ([NewLive]) serves the page in live mode, /stream.mjpg, /snapshot.jpg and
// /api/info (live: true, viewers, fps_in); and, with Options.SnapshotAt
// (a recorder's, as imgstream record --listen gives it),
// /api/snapshot?at=TIME, the frame nearest TIME of the seconds it keeps
// in memory (404 for a time before them: the clips have it, and
// imgstream serve DIR's /api/snapshot serves them); with Options.Events,
// /api/events, Server-Sent Events (an [EventStream]) that the page shows
// as the last event and the motion. A grid ([NewGrid]) serves them too.
//
// # Security
//
// Only recordings are served: a folder's are found once, when the handler
// is made, by their magic, under the folder itself (which may be a link;
// the links under it are not followed, and nothing is opened outside it),
// and are named in URLs by number, never by path. A folder's recordings
// are opened when a request needs them, and at most MaxOpenRecordings of
// them, with MaxIndexedFrames frames between them, stay open and indexed
// between requests, so a folder of any size takes a bounded number of
// files and bytes.
// Frame numbers and ranges are checked against the recording; the rest is
// 400 or 404. URLs over MaxURL bytes are 414, at most MaxStreams
// streams and exports run at once (503 beyond), and at most MaxRenders
// frames are rendered at once (for /frame/ and GIF exports; more requests
// wait for a place, until they are cancelled). Each write of a response
// has Options.WriteTimeout ([DefaultWriteTimeout], 10 s): a client that
// stops reading loses its response and its place then, so clients that
// never read cannot hold the places. Options.Token or
// Options.User and Password guard every endpoint. Without them, a player
// (a live one too) serves only the loopback interface: a request that
// came in on an address beyond it (a LAN address, when the server
// listens on 0.0.0.0) is answered 403, and the player logs why once,
// unless Options.Public says that anyone may see it (the command line
// never sets it: beyond loopback it makes a token if none is given). A
// request on loopback is answered only if its Host is a loopback name
// (localhost, 127.0.0.0/8, [::1], any port) or in Options.Hosts, and 403
// otherwise: a web page cannot rebind its own name to 127.0.0.1 (DNS
// rebinding) to read recordings, watch a live source or POST /trigger.
// A reverse proxy on the same machine reaches the player on loopback, and
// many send a loopback Host (nginx to a Unix socket upstream says
// localhost): behind one, set Token or User and Password, since every
// request it forwards looks local. X-Forwarded-For is never trusted.
//
// # Limits
//
// A player serves untrusted clients with bounded memory, files and time:
//
//   - [MaxURL] (2048 bytes): a URL longer than any the API makes is 414,
//     before any work is done for it.
//   - [MaxStreams] (32) streams and exports at once, 503 beyond: each
//     holds a connection, a file position and a goroutine for as long as
//     its client reads.
//   - [MaxRenders] (4) frames decoded and encoded at once (/frame/ and
//     GIF exports), about 20 MB each for a 5 MP frame: a burst of
//     requests waits for a place, taking time, not memory.
//   - [DefaultWriteTimeout] (10 s) on each write of a response
//     (Options.WriteTimeout): a client that stops reading loses its
//     response and its place, so clients that never read cannot hold
//     them; no timeout on a whole response, which would cut long streams.
//   - A folder lists at most [MaxRecordings] (10000) recordings and keeps
//     at most [MaxOpenRecordings] (8) open and [MaxIndexedFrames] (about
//     64 MiB of index) indexed between requests: a folder of any size
//     takes a bounded number of files and bytes.
//   - A stream's speed is [MinSpeed] to [MaxSpeed] (0.25 to 4), its frames
//     at least imageio.MinFramePeriod apart and a round of its loop at
//     least imageio.MinLoopPeriod long: a one-frame recording, or a fast
//     speed, does not spin a core.
//   - Without credentials, only the loopback interface is served, and
//     only to loopback Host names or Options.Hosts (see Security above and
//     Options.Public): a default that leaves nothing open to a network.
package player
