//go:build !baremetal || qemu

package main

import "os"

// simulated makes the loop stop after a simulated second and check itself.
const simulated = true

type simLED struct{}

func newLED() simLED { return simLED{} }

func (simLED) Set(bool) {}

func exit(code int) { os.Exit(code) }
