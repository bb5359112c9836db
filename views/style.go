package views

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

func describedBy(errText string) string {
	if errText != "" {
		return "body-hint reply-error"
	}
	return "body-hint"
}

// styleTag inlines the page's CSS under the request's CSP nonce (the nonce is
// hex we generate, never user input).
func styleTag(nonce string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<style nonce="`+nonce+`">`+css+`</style>`)
		return err
	})
}

// css: mobile first, system fonts, dark mode from the system setting, visible
// focus, contrast above 4.5:1 in both schemes.
const css = `:root{color-scheme:light dark;--bg:#f7f7f8;--fg:#1b1b1f;--muted:#55565e;--card:#fff;--line:#d9d9de;--accent:#3730a3;--mine:#eef0ff;--ok:#0f5132;--okbg:#d1f0df;--err:#842029;--errbg:#f8d7da}
@media (prefers-color-scheme:dark){:root{--bg:#121214;--fg:#ececf1;--muted:#b4b4bd;--card:#1c1c21;--line:#33333b;--accent:#a5b4fc;--mine:#23243a;--ok:#a3e3c0;--okbg:#13301f;--err:#f5b5bb;--errbg:#3a1518}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:44rem;padding:1rem;font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
h1{font-size:1.4rem;line-height:1.25;margin:.25rem 0}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--card);padding:.5rem}
.muted,.hint{color:var(--muted)}.hint{margin:.25rem 0;font-size:.9rem}
.meta{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap;margin:.25rem 0}
.badge{border:1px solid var(--line);border-radius:999px;padding:0 .6rem;font-size:.85rem}
.badge.closed{color:var(--muted)}
.timeline{list-style:none;margin:0;padding:0}
.msg{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:.75rem 1rem;margin:.75rem 0}
.msg.mine{background:var(--mine)}
.msg-head{display:flex;justify-content:space-between;gap:.5rem;flex-wrap:wrap;font-size:.9rem}
.msg-head time{color:var(--muted)}
.body{white-space:pre-wrap;overflow-wrap:anywhere;margin-top:.4rem}
.md{white-space:normal}.md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}.md pre{overflow-x:auto}.md img{max-width:100%}
.md blockquote{margin:.5rem 0;padding-left:.75rem;border-left:3px solid var(--line);color:var(--muted)}
label{display:block;font-weight:600;margin-top:.5rem}
textarea{width:100%;font:inherit;padding:.6rem;border:1px solid var(--muted);border-radius:.4rem;background:var(--card);color:var(--fg)}
button{margin-top:.75rem;font:inherit;font-weight:600;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:var(--accent);color:var(--bg);cursor:pointer;min-height:44px}
.notice{padding:.75rem 1rem;border-radius:.5rem;margin:.75rem 0}.notice p{margin:.25rem 0 0}
.ok{background:var(--okbg);color:var(--ok)}.err{background:var(--errbg);color:var(--err)}
.cf-turnstile{margin-top:.75rem}
fieldset{border:0;padding:0;margin:.5rem 0}legend{font-weight:600}
.scores label{display:inline-flex;gap:.4rem;align-items:center;margin:.25rem 1.25rem .25rem 0;font-weight:400;min-height:44px}
p.err{padding:.25rem .5rem;border-radius:.3rem}
.files{margin:.5rem 0 0;padding-left:1.2rem;font-size:.9rem}
footer{margin-top:2rem;font-size:.9rem}
.error{margin-top:15vh}`
