package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Broker is a mosquitto MQTT broker a test runs on 127.0.0.1.
type Broker struct {
	t        testing.TB
	bin, dir string
	// Port is its plain listener's; TLSPort its TLS listener's (0 for
	// none), whose certificate, for 127.0.0.1, is CAPEM, its own CA.
	Port, TLSPort int
	CAPEM         []byte
	cmd           *exec.Cmd
	exited        chan struct{}
}

// MosquittoPath finds Debian's mosquitto, or skips the test, saying why.
func MosquittoPath(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	t.Skip("mosquitto is not installed (apt-get install mosquitto): the MQTT tests need a real broker")
	return ""
}

// FreePort returns a TCP port free on 127.0.0.1 now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartBroker starts mosquitto on a free port, with persistence (its
// sessions survive Stop and Start) and, when withTLS, a TLS listener with
// a certificate made here; it stops when t ends, and its log is shown if
// t failed.
func StartBroker(t testing.TB, withTLS bool) *Broker {
	t.Helper()
	b := &Broker{t: t, bin: MosquittoPath(t), dir: t.TempDir(), Port: FreePort(t)}
	conf := fmt.Sprintf("user root\npersistence true\npersistence_location %s/\nlog_dest stderr\nlistener %d 127.0.0.1\nallow_anonymous true\n", b.dir, b.Port)
	if withTLS {
		b.TLSPort = FreePort(t)
		cert, key := b.certificate()
		conf += fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\ncertfile %s\nkeyfile %s\n", b.TLSPort, cert, key)
	}
	b.must(os.WriteFile(filepath.Join(b.dir, "mosquitto.conf"), []byte(conf), 0o600))
	b.Start()
	t.Cleanup(b.Stop)
	return b
}

func (b *Broker) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

// certificate writes a self-signed certificate for 127.0.0.1, which is
// its own CA.
func (b *Broker) certificate() (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b.must(err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	b.must(err)
	kb, err := x509.MarshalECPrivateKey(key)
	b.must(err)
	b.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certFile, keyFile = filepath.Join(b.dir, "cert.pem"), filepath.Join(b.dir, "key.pem")
	b.must(os.WriteFile(certFile, b.CAPEM, 0o600))
	b.must(os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}

// Start starts the broker (again, after Stop, on the same port), and
// waits for it to listen.
func (b *Broker) Start() {
	b.t.Helper()
	log, err := os.OpenFile(filepath.Join(b.dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	b.must(err)
	b.cmd = exec.Command(b.bin, "-c", filepath.Join(b.dir, "mosquitto.conf"))
	b.cmd.Stdout, b.cmd.Stderr = log, log
	b.must(b.cmd.Start())
	b.exited = make(chan struct{})
	cmd := b.cmd
	go func() { cmd.Wait(); log.Close(); close(b.exited) }()
	end := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", b.Addr())
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(end) {
			b.t.Fatalf("mosquitto does not listen on %s: %v", b.Addr(), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop ends the broker with SIGINT, on which it saves its sessions.
func (b *Broker) Stop() {
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Signal(os.Interrupt)
	select {
	case <-b.exited:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
	}
	b.cmd = nil
	if b.t.Failed() {
		l, _ := os.ReadFile(filepath.Join(b.dir, "log"))
		b.t.Logf("mosquitto's log:\n%s", l)
	}
}

// Addr is the plain listener's HOST:PORT; URL its mqtt:// URL.
func (b *Broker) Addr() string { return "127.0.0.1:" + strconv.Itoa(b.Port) }

// URL is the plain listener's mqtt:// URL.
func (b *Broker) URL() string { return "mqtt://" + b.Addr() }
