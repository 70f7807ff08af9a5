//go:build baremetal && !qemu && !xiao_esp32c3

package main

import "machine"

const ledPin = machine.LED
