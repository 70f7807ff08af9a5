//go:build baremetal && !qemu

package main

import "machine"

// simulated is false on a board: the loop runs for ever.
const simulated = false

type pinLED struct{ pin machine.Pin }

func newLED() pinLED {
	ledPin.Configure(machine.PinConfig{Mode: machine.PinOutput})
	return pinLED{ledPin}
}

func (l pinLED) Set(on bool) { l.pin.Set(on) }

func exit(int) {}
