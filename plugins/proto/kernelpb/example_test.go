package kernelpb_test

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/retrollama/retrollama/plugins/proto/kernelpb"
)

// A Supports question as the host sends it: the messages marshal to the
// protobuf wire format and back, and their getters are safe on nil, so
// an absent model reads as zeros.
func ExampleQuery() {
	q := &kernelpb.Query{Op: "matmul", Dtype: 1, Model: &kernelpb.Shape{Dim: 288, Heads: 6}, Rows: 288, Cols: 288, GroupSize: 32}
	wire, err := proto.Marshal(q)
	if err != nil {
		fmt.Println(err)
		return
	}
	var got kernelpb.Query
	if err := proto.Unmarshal(wire, &got); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.GetOp(), got.GetModel().GetDim(), got.GetGroupSize(), proto.Equal(q, &got))
	fmt.Println((&kernelpb.Query{}).GetModel().GetDim())
	// Output:
	// matmul 288 32 true
	// 0
}
