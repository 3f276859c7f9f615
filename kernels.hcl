# kernels.hcl — which kernel providers exist and which op goes to which.
#
# Today the engine routes every op to the scalar reference; this file is
# not read yet. Issue #3 (kernel profiles) makes `retrollama --kernels FILE
# --profile NAME` load it, adds the unrolled providers and the `fast`
# profile, and turns every mistake in this file into a positioned diagnostic.

provider "builtin" "scalar" {}

profile "reference" {
  default = [builtin.scalar]
}
