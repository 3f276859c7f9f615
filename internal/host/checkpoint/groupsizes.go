package checkpoint

import (
	"fmt"
	"strings"
)

// GroupSizes is the Q8_0 group size of each matrix kind of a model: how
// many consecutive values of a row share one float32 scale. A FormatQ8
// file has one group size for all (Uniform); a FormatQ8PerMatrix file
// one per kind, the same in every layer. Each divides its matrix's input
// width (Cols).
type GroupSizes struct {
	TokenEmbedding, WQ, WK, WV, WO, W1, W2, W3, Classifier int
}

// Uniform is gs for every matrix kind, FormatQ8's group sizes.
func Uniform(gs int) GroupSizes {
	return GroupSizes{gs, gs, gs, gs, gs, gs, gs, gs, gs}
}

// groupSizeKinds lists the kinds in header order, with the matrix each is
// and the header field its input width comes from.
var groupSizeKinds = []struct {
	t     tensor
	name  string
	input string // "dim" or "hidden_dim"
}{
	{tTokenEmbedding, "token_embedding", "dim"}, {tWQ, "wq", "dim"}, {tWK, "wk", "dim"}, {tWV, "wv", "dim"},
	{tWO, "wo", "dim"}, {tW1, "w1", "dim"}, {tW2, "w2", "hidden_dim"}, {tW3, "w3", "dim"},
	{tClassifier, "classifier", "dim"},
}

// field returns the group size of tensor t's kind (0 for a tensor that
// is not a matrix).
func (g *GroupSizes) field(t tensor) *int {
	switch t {
	case tTokenEmbedding:
		return &g.TokenEmbedding
	case tWQ:
		return &g.WQ
	case tWK:
		return &g.WK
	case tWV:
		return &g.WV
	case tWO:
		return &g.WO
	case tW1:
		return &g.W1
	case tW2:
		return &g.W2
	case tW3:
		return &g.W3
	case tClassifier:
		return &g.Classifier
	}
	return nil
}

// of is the group size of tensor t's kind, 0 for a non-matrix.
func (g GroupSizes) of(t tensor) int {
	if p := g.field(t); p != nil {
		return *p
	}
	return 0
}

// list returns the group sizes in header order.
func (g GroupSizes) list() []int {
	out := make([]int, len(groupSizeKinds))
	for i, k := range groupSizeKinds {
		out[i] = g.of(k.t)
	}
	return out
}

// String lists the group sizes for messages: one number when they are
// all equal, else "wq 64, wk 64, …".
func (g GroupSizes) String() string {
	l := g.list()
	same := true
	for _, v := range l {
		same = same && v == l[0]
	}
	if same {
		return fmt.Sprint(l[0])
	}
	parts := make([]string, len(l))
	for i, k := range groupSizeKinds {
		parts[i] = fmt.Sprintf("%s %d", k.name, l[i])
	}
	return strings.Join(parts, ", ")
}

// CheckGroupSizes reports the first group size of g that cannot be used
// for a model of shape c (which should already be valid): each must be
// positive and divide its matrix's input width (dim, or hidden_dim for
// w2), and with a shared classifier the classifier's must be the token
// embedding's (they are one matrix). The error names the field.
func (c Config) CheckGroupSizes(g GroupSizes, shared bool) error {
	for _, k := range groupSizeKinds {
		gs := g.of(k.t)
		width := c.Dim
		if k.input == "hidden_dim" {
			width = c.HiddenDim
		}
		if gs <= 0 {
			return fmt.Errorf("group_size of %s = %d must be positive", k.name, gs)
		}
		if width%gs != 0 {
			return fmt.Errorf("group_size of %s = %d does not divide %s = %d (every row must hold whole groups)", k.name, gs, k.input, width)
		}
	}
	if shared && g.Classifier != g.TokenEmbedding {
		return fmt.Errorf("group_size of classifier = %d differs from token_embedding's %d, but the classifier is shared (the same matrix)", g.Classifier, g.TokenEmbedding)
	}
	return nil
}
