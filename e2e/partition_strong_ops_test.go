//go:build fault

package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The operations of TestPartitionStrong's workload, each recorded in the
// run's linHistory and counted.

// workload starts linWorkers clients and returns the function that stops
// them and waits until their last operations are answered.
func (r *linRun) workload() (stop func()) {
	ctx, cancel := context.WithCancel(r.t.Context())
	var wg sync.WaitGroup
	for w := range linWorkers {
		wg.Go(func() { r.worker(ctx, w) })
	}
	return func() { cancel(); wg.Wait() }
}

// worker runs random operations on random keys through random nodes
// until ctx ends. Each operation has its own deadline, not ctx's: stopping
// the workload lets the operations in flight be answered.
func (r *linRun) worker(ctx context.Context, w int) {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	for ctx.Err() == nil {
		node, key := rng.IntN(labNodes), r.keys[rng.IntN(len(r.keys))]
		switch p := rng.IntN(100); {
		case p < 35:
			r.put(w, node, key, rng)
		case p < 50:
			r.del(w, node, key)
		case p < 80:
			r.get(w, node, key)
		default:
			r.list(w, node)
		}
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond) // pacing, not waiting
	}
}

// put writes unique bytes (1–16 KiB) to key through node.
func (r *linRun) put(w, node int, key string, rng *rand.Rand) {
	o := testObject{key: key, size: 1<<10 + rng.IntN(15<<10), seed: uint64(w)<<48 | r.seq.Add(1)}
	data := o.data()
	sum, etag := sha256Hex(data), md5.Sum(data)
	r.etags.Store(hex.EncodeToString(etag[:]), sum)
	ctx, cancel := context.WithTimeout(r.t.Context(), opTimeout)
	defer cancel()
	call := r.h.Now()
	err := putObject(ctx, r.clients[node], linBucket, o)
	ret := r.h.Now()
	r.h.Put(w, node, key, sum, call, ret, err)
	r.wrote(linPut, node, call, ret, err)
}

// del deletes key through node.
func (r *linRun) del(w, node int, key string) {
	ctx, cancel := context.WithTimeout(r.t.Context(), opTimeout)
	defer cancel()
	call := r.h.Now()
	_, err := r.clients[node].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(linBucket), Key: aws.String(key)})
	ret := r.h.Now()
	r.h.Delete(w, node, key, call, ret, err)
	r.wrote(linDelete, node, call, ret, err)
}

// get reads key through node; an answer other than the bytes or
// NoSuchKey tells nothing about the key and is only counted.
func (r *linRun) get(w, node int, key string) {
	ctx, cancel := context.WithTimeout(r.t.Context(), opTimeout)
	defer cancel()
	call := r.h.Now()
	sum, err := getSum(ctx, r.clients[node], linBucket, key)
	ret := r.h.Now()
	switch {
	case err == nil:
		r.h.Get(w, node, key, call, ret, sum)
	case isAPICode(err, "NoSuchKey"):
		r.h.Get(w, node, key, call, ret, linAbsent)
	}
	r.count(linGet, node, call, err)
}

// list lists the bucket through node and records it as a read of every
// key; a listed ETag names the bytes of the PUT that had it.
func (r *linRun) list(w, node int) {
	ctx, cancel := context.WithTimeout(r.t.Context(), opTimeout)
	defer cancel()
	call := r.h.Now()
	seen, err := r.listOnce(ctx, node)
	ret := r.h.Now()
	if err == nil {
		r.h.List(w, node, r.keys, call, ret, seen)
	}
	r.count(linList, node, call, err)
}

// listOnce lists the bucket in one page through node: key -> value.
func (r *linRun) listOnce(ctx context.Context, node int) (map[string]string, error) {
	out, err := r.clients[node].ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(linBucket)})
	if err != nil {
		return nil, err
	}
	if aws.ToBool(out.IsTruncated) {
		return nil, errors.New("LIST truncated")
	}
	seen := map[string]string{}
	for _, o := range out.Contents {
		v, ok := r.etags.Load(strings.Trim(aws.ToString(o.ETag), `"`))
		if !ok {
			v = linPresent
		}
		seen[aws.ToString(o.Key)] = v.(string)
	}
	return seen, nil
}

// wrote keeps a write's answer for the minority checks and counts it.
func (r *linRun) wrote(kind linKind, node int, call, ret int64, err error) {
	r.mu.Lock()
	r.writes = append(r.writes, linWrite{kind: kind, node: node, call: call, ret: ret, outcome: linOutcome(err)})
	r.mu.Unlock()
	r.count(kind, node, call, err)
}

// count counts an operation by phase, side, kind and outcome.
func (r *linRun) count(kind linKind, node int, call int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[fmt.Sprintf("%-6s %-8s %-6s %s", r.phase(call), linSide(node), kind, linOutcome(err))]++
}

// phase names when call was, relative to the partition; r.mu is held.
func (r *linRun) phase(call int64) string {
	switch {
	case r.heal > 0 && call >= r.heal:
		return "after"
	case r.cut > 0 && call >= r.cut:
		return "during"
	}
	return "before"
}

// linSide names the side of the cut node is on.
func linSide(node int) string {
	if node >= 3 {
		return "minority"
	}
	return "majority"
}

// linOutcome is an answer as counted: 200, the HTTP status, or what kept
// the client from having one.
func linOutcome(err error) string {
	var re *awshttp.ResponseError
	switch {
	case err == nil:
		return "200"
	case errors.As(err, &re):
		return fmt.Sprint(re.HTTPStatusCode())
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// isAPICode reports whether err is an S3 error with code.
func isAPICode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
