package stats

// WithoutSecondary runs fn with secondary suppression turned off, so that
// the tests can show their adversary recovers hidden counts without it.
func WithoutSecondary(fn func()) {
	disableSecondary = true
	defer func() { disableSecondary = false }()
	fn()
}
