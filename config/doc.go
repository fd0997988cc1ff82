// Package config loads Tandem's settings from TANDEM_* environment
// variables (through go-envconfig) and checks them, so that a bad setting
// stops the daemon with one line naming the variable. It owns no other I/O.
package config
