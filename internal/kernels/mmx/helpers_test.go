package mmx

import "github.com/retrollama/retrollama/internal/kernels/kerneltest"

// testShape is a small model; buffers grow at Prepare for wider matrices.
var testShape = kerneltest.SmallGQA()
