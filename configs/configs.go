// Package configs holds schedsim's example scenarios. They are embedded so
// that `schedsim run` without a config runs web.toml, and so that tests can
// check that every example parses and runs.
package configs

import "embed"

// FS holds every *.toml scenario of this directory.
//
//go:embed *.toml
var FS embed.FS

// Default is the name of the scenario `schedsim run` runs by default.
const Default = "web.toml"
