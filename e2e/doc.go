// Package e2e holds end-to-end checks that drive real programs: the player
// in headless Chromium through chromedp. It is a module of its own, so
// that chromedp never enters the library's go.mod, and its tests build only
// with the e2e tag (make e2e).
package e2e
