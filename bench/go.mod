module github.com/biplane-go/biplane/bench

go 1.26
