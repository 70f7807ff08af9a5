//go:build xiao_esp32c3

package main

import "machine"

// The XIAO ESP32C3 has no LED of its own to drive: wire one to D10.
const ledPin = machine.D10
