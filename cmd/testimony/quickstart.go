package main

func runQuickstart(e *env, args []string) error { return usagef("quickstart: not yet") }
