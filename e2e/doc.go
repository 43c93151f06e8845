// Package e2e holds end-to-end tests: real d3sd nodes on loopback driven by
// real S3 clients (aws-sdk-go-v2, minio-go, and the aws CLI and boto3 when
// the machine has them). The tests live in _test files; this package has no
// library code.
//
// # The default run
//
//	CGO_ENABLED=0 go test ./e2e
//
// keeps every test to seconds. TestRepairScenario (repair_test.go) runs
// issue 4's durability scenario on five in-process nodes with a reduced
// set: 40 objects of 1 KiB to 16 MiB (about 30 s on two cores).
//
// # Long tests: build tag long
//
//	CGO_ENABLED=0 go test -tags long ./e2e -run 'TestRepairScenario|TestScale' -v -count=1 -timeout 60m
//
// With the tag, TestRepairScenario uses the full set: 200 objects of
// 1 KiB to 64 MiB (about 1.2 GB, more than 4 GB on disk once replicated);
// and TestScaleIdleRSSAndRestart (scale_test.go) PUTs 100 000 objects of
// 1–16 KiB into one d3sd process from 16 clients, then checks its idle
// RSS (at most 300 MiB: the highest VmRSS over 75 s once the process is
// idle, its background passes included) and that after SIGTERM and a
// restart it serves a GET within 10 s of the process start. Both log
// their measured figures with -v. On two cores the repair scenario took
// about 4 minutes and the scale test 6 to 7 (2.5–3.5 minutes of PUTs,
// then about 1.5 minutes per idle memory reading). -count=1: the figures
// are the point, a cached PASS shows the old ones.
//
// # Fault tests: build tag fault
//
//	sudo CGO_ENABLED=0 go test -tags fault ./e2e -run TestPartitionHeal -v
//
// TestPartitionHeal (partition_test.go) needs root and iproute2's ip with
// network namespace support, and skips with a message saying so
// otherwise. It creates six namespaces named d3s-XXXX-* (five nodes and a
// bridge), a 10.a.b.0/24 bridge network, and per node a /30 veth link
// from the test's namespace that carries only S3 (interfaces d3mXXXX*),
// all removed when the test ends, even when it fails. It runs five d3sd
// processes with `ip netns exec`, cuts nodes 4 and 5 off by moving their
// bridge ports to a second bridge for 90 s, PUTs through the minority
// right after the cut (answer within 10 s: 503 with Retry-After, or 200),
// writes and deletes on both sides, heals, and checks that every node's
// `d3sd status` shows every other node connected within 10 s, lists
// exactly the keys the acknowledged operations leave within 15 s, and
// serves them with the right SHA-256. It takes about two minutes. Set
// D3S_TEST_LOG=1 to run the daemons at log level info; their logs are
// printed when the test fails.
//
// TestPartitionHeal runs `--consistency eventual` (both sides write,
// then merge). TestPartitionStrong and TestPartitionEventual
// (partition_strong_test.go) use the same lab for issue 11: five
// processes, five clients doing PUT/DELETE/GET/LIST on 20 keys through
// random nodes, nodes 4 and 5 cut off for D3S_LIN_PARTITION (60 s),
// healed, D3S_LIN_QUIET (15 s) of more work, then every node must agree
// and the whole history is checked for linearizability
// (linearize_check_test.go, github.com/anishathalye/porcupine; a
// visualisation of the first anomaly is written to D3S_TEST_ARTEFACTS or
// the temp dir). In strong mode the minority must refuse writes (503)
// within 10 s and the history must be linearizable; eventual reports
// its anomalies without failing. About two minutes each.
//
// # Strong mode (default run, and long)
//
// TestStrongReadAfterWrite and TestStrongConditionalCreateRace
// (strong_test.go, strong_race_test.go) run five d3sd processes with
// `--consistency strong`. The first runs D3S_RAW_TRIALS (default 300)
// trials of PUT, overwrite and DELETE on random nodes, each followed at
// once by GET, HEAD and LIST on another node: 0 misses allowed. The
// second runs D3S_RACE_ROUNDS (default 200) rounds of 2–3 racers doing
// If-None-Match: * PUTs, 20 If-Match rounds and 3
// CompleteMultipartUpload rounds: exactly one 200, the others 412/409
// (503s retried), then every node serves the winner.
// D3S_E2E_CONSISTENCY=eventual runs them against eventual mode, where
// they fail. With the tag long, TestEventualReadAfterWrite reports
// eventual's read-after-write figures and TestStrongBench
// (D3S_BENCH_MODES) logs the consistency cost table (BENCHMARKS.md).
//
// # Chaos: build tags fault and chaos
//
//	sudo CGO_ENABLED=0 go test -tags 'fault chaos' ./e2e -run TestChaos -v -count=1 -timeout 30m
//
// TestChaos (chaos_test.go) uses the same namespaces as TestPartitionHeal:
// five d3sd processes; four clients PUT, GET, LIST, DELETE and upload
// two-part multipart objects through random nodes for five minutes
// (D3S_CHAOS_DURATION overrides) while a driver, one fault at a time,
// kills a node (SIGKILL) or stops it (SIGTERM) and restarts it 10–25 s
// later, or cuts two nodes off for 30–45 s. After each fault the clients
// pause until every node lists the same keys, those the acknowledged
// operations allow (a quiet point, at most 90 s); at the end every key is
// read from every node. A GET that returns bytes never written for its
// key, a LIST (200) that misses a stable key, a NoSuchKey for a stable key
// or a quiet point that does not come fails the test; it logs the count
// of every operation by outcome.
package e2e
