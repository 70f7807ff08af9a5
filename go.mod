module github.com/biplane-go/biplane

go 1.26
