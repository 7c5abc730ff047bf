package lifecycle

import "runtime"

func runtimeGC() { runtime.GC() }
