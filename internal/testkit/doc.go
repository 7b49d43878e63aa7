// Package testkit holds what the project's tests share: running the test
// binary again as a child process, the golden files' manifest, JPEG frames
// made to order, the address a program under test prints, and an in-memory
// network for HTTP tests inside testing/synctest bubbles.
//
// It is imported by tests only.
package testkit
