//go:build tools

// Package engine pins the Pulumi CLI that `npm run engine` builds. It is never compiled itself:
// the blank import keeps github.com/pulumi/pulumi/pkg/v3 (and with it every module the CLI needs)
// in go.mod, so `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` resolves from go.sum.
package engine

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
