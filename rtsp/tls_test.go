package rtsp_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imgstream/imgstream/record"
	"github.com/imgstream/imgstream/rtsp"
)

// selfSigned returns a TLS configuration for 127.0.0.1 with a
// self-signed certificate, and the certificate in PEM.
func selfSigned(t *testing.T) (*tls.Config, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test camera"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	require.NoError(t, err)
	return &tls.Config{Certificates: []tls.Certificate{cert}}, certPEM
}

// TestRTSPS: an rtsps:// camera with a self-signed certificate plays
// with its CA given as a PEM file or as a pool, and is a permanent error
// without it.
func TestRTSPS(t *testing.T) {
	cfg, certPEM := selfSigned(t)
	cs := startServer(t, "", withTLS(cfg))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, certPEM, 0o600))
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(certPEM))

	cs.publish(0, mjpegArgs...) // ffmpeg does not check the certificate
	cs.waitAnnounced()

	_, err := collect(t, &rtsp.Source{URL: cs.url("")}, 1)
	require.ErrorIs(t, err, record.ErrPermanent, "without the CA: %v", err)
	assert.Contains(t, err.Error(), "certificate is not trusted")

	frames, err := collect(t, &rtsp.Source{URL: cs.url(""), CAFile: caFile}, 5)
	require.NoError(t, err)
	checkFrames(t, frames)
	frames, err = collect(t, &rtsp.Source{URL: cs.url(""), RootCAs: pool}, 5)
	require.NoError(t, err)
	checkFrames(t, frames)

	_, err = collect(t, &rtsp.Source{URL: cs.url(""), CAFile: filepath.Join(t.TempDir(), "none.pem")}, 1)
	require.ErrorIs(t, err, rtsp.ErrCA)
	require.ErrorIs(t, err, record.ErrPermanent)
}
