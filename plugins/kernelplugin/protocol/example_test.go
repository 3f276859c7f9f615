package protocol_test

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin/protocol"
)

// Both sides convert the contract's types to the wire's and back with the
// same functions, so a shape survives the trip unchanged.
func ExampleToShape() {
	wire := protocol.ToShape(protocol.NominalShape)
	fmt.Println(wire.GetDim(), wire.GetKvHeads(), wire.GetVocabSize())
	fmt.Println(protocol.FromShape(wire) == protocol.NominalShape)
	// Output:
	// 288 6 32000
	// true
}

// The host asks a plugin about each op as the contract's Query, sent as
// the wire's.
func ExampleToQuery() {
	q := kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0, Model: protocol.NominalShape, Rows: 768, Cols: 288, GroupSize: 32}
	wire := protocol.ToQuery(q)
	fmt.Println(wire.GetOp(), wire.GetRows(), wire.GetCols(), wire.GetGroupSize())
	fmt.Println(protocol.FromQuery(wire) == q)
	// Output:
	// matmul 768 288 32
	// true
}

// The handshake a plugin binary must present; the version is spec.Version.
func ExampleHandshake() {
	fmt.Println(protocol.Handshake.ProtocolVersion, protocol.Handshake.MagicCookieKey)
	// Output: 1 RETROLLAMA_KERNEL_PLUGIN
}
