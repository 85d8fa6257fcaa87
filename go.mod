module github.com/schedsim/schedsim

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/cilium/ebpf v0.22.0
	gonum.org/v1/gonum v0.17.0
)

require (
	golang.org/x/sys v0.43.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
