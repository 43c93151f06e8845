// Package e2e holds end-to-end tests: real d3sd nodes on loopback driven by
// real S3 clients (aws-sdk-go-v2, minio-go, and the aws CLI and boto3 when
// the machine has them). The tests live in _test files; this package has no
// library code.
//
// Long-running soak and fault tests are behind the build tag `soak`.
package e2e
