#!/usr/bin/env bash
# Follows README's Install section as a newcomer would, with a fresh clone
# of this repository (its committed HEAD) standing in for the one from
# GitHub: a module of their own beside the clone, the replace directive,
# go mod tidy, then go build; and the same with a go.work instead. Each
# build serves one request to curl. It also builds the program under
# README's "Use", as it stands there. Needs no network: biplane has no
# dependencies.
#
# The commands below must appear in README.md exactly as they are run
# here; the script checks that first, so that README cannot drift from
# what was tried.
#
#	scripts/install-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# README's commands, in order (the clone's source aside).
clone='git clone https://github.com/biplane-go/biplane'
replace_steps=(
	'go mod init example.com/try'
	'go mod edit -replace github.com/biplane-go/biplane=../biplane'
	'go mod tidy'
)
work_steps=(
	'go mod init example.com/try'
	'go work init . ../biplane'
)
for cmd in "$clone" "${replace_steps[@]}" "${work_steps[@]}"; do
	if ! grep -qF -- "$cmd" README.md; then
		echo "install-check: README.md no longer says: $cmd" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM HUP PIPE

# A newcomer's environment: no workspace, modules fetched as go.mod says
# (-mod=mod, which workspace mode refuses: the go.work part goes without).
goflags=$(go env GOFLAGS)
export GOWORK=off GOFLAGS="-mod=mod $goflags"
go version

# "git clone https://github.com/biplane-go/biplane", from here.
git clone -q "$repo" "$tmp/biplane"
echo "install-check: cloned $(git -C "$tmp/biplane" rev-parse --short HEAD) into $tmp/biplane"

# hello.go is the newcomer's program: hello over unixsock, on a port the
# kernel picks, which it prints.
cat >"$tmp/hello.go" <<'EOF'
package main

import (
	"fmt"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/unixsock"
)

func main() {
	ln, err := unixsock.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var mux biplane.Mux
	mux.HandleFunc("GET /hello/{name}", func(r *biplane.Request) biplane.Response {
		return biplane.Response{ContentType: "text/plain", Body: []byte("Hi " + r.PathValue("name") + "\n")}
	})
	fmt.Printf("serving on http://%s/\n", ln.Addr())
	srv := &biplane.Server{Listener: ln, Handler: &mux}
	if err := srv.Serve(); err != nil {
		panic(err)
	}
}
EOF

# serve DIR: builds the module in DIR, runs it and asks it for one page.
serve() {
	local dir=$1 line url got
	(cd "$dir" && go build -o hello .)
	mkfifo "$dir/out"
	"$dir/hello" >"$dir/out" &
	pid=$!
	exec {out}<"$dir/out"
	if ! read -r -t 30 line <&"$out"; then
		echo "install-check: the program in $dir did not say it was serving" >&2
		exit 1
	fi
	url=${line#serving on }
	got=$(curl -sS --max-time 10 "${url}hello/newcomer")
	if [ "$got" != "Hi newcomer" ]; then
		echo "install-check: $url answered \"$got\", want \"Hi newcomer\"" >&2
		exit 1
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	exec {out}<&-
	echo "install-check: $dir builds and serves: \"$got\""
}

# With a replace directive.
mkdir "$tmp/try"
cp "$tmp/hello.go" "$tmp/try/main.go"
(cd "$tmp/try" && for cmd in "${replace_steps[@]}"; do echo "+ $cmd"; $cmd; done)
grep -F 'github.com/biplane-go/biplane v0.0.0-00010101000000-000000000000' "$tmp/try/go.mod" >/dev/null ||
	{ echo "install-check: go mod tidy did not require biplane:" >&2; cat "$tmp/try/go.mod" >&2; exit 1; }
serve "$tmp/try"

# With a workspace: GOWORK unset, so that the go.work is used.
mkdir "$tmp/trywork"
cp "$tmp/hello.go" "$tmp/trywork/main.go"
(
	unset GOWORK
	export GOFLAGS=$goflags
	cd "$tmp/trywork"
	for cmd in "${work_steps[@]}"; do
		echo "+ $cmd"
		$cmd
	done
)
GOWORK= GOFLAGS=$goflags serve "$tmp/trywork" # an empty GOWORK is an unset one

# README's "Use" program, as printed there, builds in the same module.
mkdir "$tmp/try/readme"
awk '/^## Use/ { use = 1 } use && /^```go$/ { on = 1; next } on && /^```$/ { exit } on { print }' README.md >"$tmp/try/readme/main.go"
grep -q '^package main$' "$tmp/try/readme/main.go" ||
	{ echo "install-check: no Go program found under README's \"## Use\"" >&2; exit 1; }
(cd "$tmp/try" && go build -o /dev/null ./readme)
echo "install-check: README's \"Use\" program builds"
echo "install-check: PASS"
