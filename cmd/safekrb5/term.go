package main

import "golang.org/x/term"

func termIsTerminal(fd int) bool { return term.IsTerminal(fd) }

func termReadPassword(fd int) ([]byte, error) { return term.ReadPassword(fd) }
