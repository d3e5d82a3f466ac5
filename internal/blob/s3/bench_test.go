package s3

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"testimony/internal/blob"
	"testimony/internal/blob/disk"
)

// BenchmarkStores compares this store on the test server with the disk
// store (the embedded default) on the same machine: Put and Get of 4 KiB and
// of 64 MiB, one at a time, and Put of 4 KiB from 32 writers. Only the ratio
// within one run means anything:
//
//	TESTIMONY_TEST_S3=http://127.0.0.1:7070 go test -run XXX -bench Stores -benchtime 2s ./internal/blob/s3/
//
// The disk store fsyncs each blob and its directory before Put returns; an
// S3 server's Put is as durable as that server makes it (Versity S3 Gateway's
// posix backend does not fsync).
func BenchmarkStores(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) blob.Store
	}{
		{"disk", func(b *testing.B) blob.Store {
			s, err := disk.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"s3", func(b *testing.B) blob.Store {
			cfg, _ := testBucket(b, "")
			s, err := Open(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, size := range []int{4 << 10, 64 << 20} {
		data := pattern(size)
		digest := sha256.Sum256(data)
		for _, st := range stores {
			b.Run(fmt.Sprintf("Put/%s/%s", sizeName(size), st.name), func(b *testing.B) {
				s := st.open(b)
				b.SetBytes(int64(size))
				i := 0
				for b.Loop() {
					i++
					if _, err := s.Put(b.Context(), fmt.Sprintf("%032x", i), bytes.NewReader(data), digest, int64(size)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blobs/s")
			})
			b.Run(fmt.Sprintf("Get/%s/%s", sizeName(size), st.name), func(b *testing.B) {
				s := st.open(b)
				const k = "0123456789abcdef0123456789abcdef"
				if _, err := s.Put(b.Context(), k, bytes.NewReader(data), digest, int64(size)); err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, 64<<10)
				b.SetBytes(int64(size))
				for b.Loop() {
					rc, _, err := s.Get(b.Context(), k)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.CopyBuffer(io.Discard, rc, buf); err != nil {
						b.Fatal(err)
					}
					rc.Close()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blobs/s")
			})
		}
	}
	data := pattern(4 << 10)
	digest := sha256.Sum256(data)
	for _, st := range stores {
		b.Run("PutParallel32/4KiB/"+st.name, func(b *testing.B) {
			s := st.open(b)
			var next atomic.Uint64
			b.SetBytes(int64(len(data)))
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := fmt.Sprintf("%032x", next.Add(1))
					if _, err := s.Put(b.Context(), k, bytes.NewReader(data), digest, int64(len(data))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blobs/s")
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}
