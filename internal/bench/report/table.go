package report

// align is a column's horizontal alignment.
type align int

const (
	left align = iota
	right
)

// table is a grid of already-formatted cells; renderers decide layout.
type table struct {
	header []string
	align  []align // one per column
	rows   [][]string
	// footer rows (totals) are set apart from rows by the renderers that can.
	footer [][]string
}

// keyValue is one line of the environment block.
type keyValue struct {
	key, value string
}
