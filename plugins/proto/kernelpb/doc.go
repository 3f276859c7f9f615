// Package kernelpb is the Go code protoc generates from
// plugins/proto/kernelplugin.proto: the messages and the gRPC service
// (Kernels: Open, Supports, Init, Prepare, Call, Close) by which
// retrollama controls an out-of-process kernel plugin. It is public
// because it is part of the plugin protocol: package protocol's exported
// API (its go-plugin glue and its conversions) is written in these types,
// and a Go program that talks to a plugin without retrollama's host needs
// the generated client. A plugin author in Go never uses it directly:
// plugins/kernelplugin's Serve does. Authors in other languages generate
// their own code from the .proto; plugins/PROTOCOL.md is the prose.
//
// Every file here but this one and example_test.go is generated: change
// the .proto and run `make proto` (pinned generators); `make proto-check`
// fails if the committed code is not what the .proto generates.
package kernelpb
