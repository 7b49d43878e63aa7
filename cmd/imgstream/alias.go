package main

import (
	"github.com/spf13/cobra"
)

// oldFlag keeps old (with its shorthand short, if any), a flag's name
// before it was renamed name, as a hidden alias of it for a release: it
// sets the same value, and a note on stderr says the new name. Every
// renamed flag goes through here, so the old names all behave alike.
func oldFlag(cmd *cobra.Command, name, old, short string) {
	f := cmd.Flags()
	nf := f.Lookup(name)
	f.VarP(nf.Value, old, short, nf.Usage)
	f.Lookup(old).NoOptDefVal = nf.NoOptDefVal // a bool flag takes no value
	f.MarkDeprecated(old, "it is --"+name+" now (--"+old+" goes in the next release)")
}
