package storetest

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// FakeServer speaks just enough of the NATS protocol for nats.go to
// connect: an INFO naming version, and PONG to every PING. It is how
// tests meet a server kaohe must refuse (one older than 2.12) without
// installing one. Its URL is returned; it stops at the end of the test.
func FakeServer(tb testing.TB, version string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.Write([]byte(`INFO {"server_id":"x","version":"` + version + `","proto":1,"max_payload":1048576}` + "\r\n"))
				r := bufio.NewReader(conn)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "PING") {
						conn.Write([]byte("PONG\r\n"))
					}
				}
			}()
		}
	}()
	return "nats://" + ln.Addr().String()
}
