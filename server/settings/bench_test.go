package settings_test

import (
	"context"
	"testing"

	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/settings"
)

// BenchmarkIntake compares Intake answered by the cache with the read it
// saves (settings.LoadIntake: one query and two JSON decodes, which every
// widget submission made before the cache). Figures: docs/PERFORMANCE.md,
// "Settings cache".
func BenchmarkIntake(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			in := open(b, d, dbtest.DSN(b, d), newClock(), true)
			setColor(b, in, "#4F46E5")
			if _, err := in.svc.SetGuestPolicy(ctx, settings.GuestPolicyInput{Mode: settings.ModeGuestUser, UserID: "7"}); err != nil {
				b.Fatal(err)
			}
			waitCached(b, in, func() error { _, _, err := in.svc.Intake(ctx); return err })
			uncached := func() error { _, err := settings.LoadIntake(in.svc, ctx); return err }
			cached := func() error { _, _, err := in.svc.Intake(ctx); return err }
			for _, bm := range []struct {
				name string
				read func() error
			}{{"uncached", uncached}, {"cached", cached}} {
				b.Run(bm.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if err := bm.read(); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run(bm.name+"-parallel", func(b *testing.B) {
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := bm.read(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}
