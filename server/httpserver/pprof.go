package httpserver

import (
	"net/http"
	"net/http/pprof"
	"runtime"
)

// ProfileHandler serves Go's profiler (CPU, heap, mutex, block, goroutines)
// for PORTICO_PPROF_ADDR, a loopback-only listener apart from the public one.
// Mutex and block profiling are switched on with it, sampled lightly.
func ProfileHandler() http.Handler {
	runtime.SetMutexProfileFraction(100)
	runtime.SetBlockProfileRate(100_000) // one sample per 100 µs blocked
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
