module github.com/biplane-go/biplane/tinysock/netdevcheck

go 1.26

require (
	github.com/biplane-go/biplane v0.0.0
	tinygo.org/x/drivers v0.37.0
)

replace github.com/biplane-go/biplane => ../..
