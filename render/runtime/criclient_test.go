package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The one CRI call the tests make, PullImage, as the kubelet makes it: gRPC over containerd's
// unix socket. A unary gRPC call is an HTTP/2 POST of one length-prefixed protobuf message,
// answered by one and a grpc-status trailer; the two messages have one string each, so they
// are encoded here rather than bringing gRPC and the CRI API into the module for a test.

// criPullImage pulls ref through the CRI image service at sock and returns the image's id.
func criPullImage(ctx context.Context, sock, ref string) (string, error) {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{
		Protocols: &protocols,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	defer client.CloseIdleConnections()
	// PullImageRequest{image: ImageSpec{image: ref}}: field 1, a message of field 1, a string.
	req := protoBytes(1, protoBytes(1, []byte(ref)))
	frame := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(req)))
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://containerd/runtime.v1.ImageService/PullImage", bytes.NewReader(append(frame, req...)))
	if err != nil {
		return "", err
	}
	r.Header.Set("Content-Type", "application/grpc")
	r.Header.Set("TE", "trailers")
	resp, err := client.Do(r)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	// An error may come as headers alone ("trailers-only").
	status, msg := resp.Trailer.Get("Grpc-Status"), resp.Trailer.Get("Grpc-Message")
	if status == "" {
		status, msg = resp.Header.Get("Grpc-Status"), resp.Header.Get("Grpc-Message")
	}
	if status != "0" {
		m, _ := url.PathUnescape(msg)
		return "", fmt.Errorf("PullImage: grpc status %q (HTTP %d): %s", status, resp.StatusCode, m)
	}
	if len(body) < 5 || int(binary.BigEndian.Uint32(body[1:5])) != len(body)-5 {
		return "", fmt.Errorf("PullImage: a response of %d bytes is not one gRPC message", len(body))
	}
	// PullImageResponse{image_ref: id}: field 1, a string.
	id, ok := protoString(body[5:], 1)
	if !ok {
		return "", fmt.Errorf("PullImage: no image_ref in the response %x", body[5:])
	}
	return id, nil
}

// criPullImageWhenReady is criPullImage, asked again while the CRI plugin, which starts after
// containerd's socket answers, says it is not initialised yet.
func criPullImageWhenReady(ctx context.Context, sock, ref string) (string, error) {
	for {
		id, err := criPullImage(ctx, sock, ref)
		if err == nil || !strings.Contains(err.Error(), "not initialized yet") {
			return id, err
		}
		select {
		case <-ctx.Done():
			return "", errors.Join(err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// protoBytes returns field as a length-delimited protobuf field (wire type 2).
func protoBytes(field int, data []byte) []byte {
	out := binary.AppendUvarint(nil, uint64(field)<<3|2)
	out = binary.AppendUvarint(out, uint64(len(data)))
	return append(out, data...)
}

// protoString returns the length-delimited field of a message made only of such fields.
func protoString(msg []byte, field int) (string, bool) {
	for len(msg) > 0 {
		key, n := binary.Uvarint(msg)
		if n <= 0 || key&7 != 2 {
			return "", false
		}
		size, m := binary.Uvarint(msg[n:])
		if m <= 0 || uint64(len(msg)-n-m) < size {
			return "", false
		}
		value := msg[n+m : n+m+int(size)]
		if int(key>>3) == field {
			return string(value), true
		}
		msg = msg[n+m+int(size):]
	}
	return "", false
}
