package x87

// expAMD64 runs the 386 kernels' expf (exp_x87.h) on amd64, whose CPUs
// keep the x87 unit, so that the tests can check it against mathf.Exp on
// every float32 at native speed (exp_amd64.s). The amd64 provider does not
// use it.
func expAMD64(x float32) float32
