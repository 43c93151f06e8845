// Command d3sd runs a D3S node: an S3-compatible object store with no
// central server. Run "d3sd -h" for its flags and subcommands.
package main
