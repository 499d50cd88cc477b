package filterexpr

// SetOptimize switches the optimizer for a test and returns the old value.
func SetOptimize(on bool) bool {
	old := optimizeOn
	optimizeOn = on
	return old
}
