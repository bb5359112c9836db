// portico support widget loader (served as /support/widget/widget.js).
//
// It mounts a host element whose shadow root holds the launcher and the
// dialog, so page CSS cannot reach in and ours cannot leak out, and shows the
// launcher at once. The Go/WebAssembly form is fetched on intent (hover,
// focus, click) or when the page is idle. Where WebAssembly is missing or the
// page's CSP forbids it, the launcher opens the hosted form (<path>/form).
//
// __WASM__ and __RUNTIME__ are replaced by the build with the content-hashed
// file names of the wasm and of the scoped wasm_exec.js.

/* global __WASM__, __RUNTIME__ */
import { pageSettings } from './page.js'

(() => {
  const w = window
  const d = document
  const key = Symbol.for('portico-widget')
  if (d[key]) return // two tags (widget.js and escalated-widget.js): one widget
  d[key] = 1

  const script = d.currentScript || d.querySelector('script[src*="widget.js"]')
  const o = w.PorticoWidget || w.EscalatedWidget || {}
  const own = pageSettings(o, (script && script.dataset) || {}, script ? new URL(script.src).origin : location.origin)
  const { api, color: ownColor, position: ownPos } = own

  const h = (tag, attrs, ...kids) => {
    const e = d.createElement(tag)
    for (const k in attrs) e.setAttribute(k, attrs[k])
    e.append(...kids)
    return e
  }
  const svg = d.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('aria-hidden', 'true')
  svg.append(d.createElementNS(svg.namespaceURI, 'path'))
  svg.firstChild.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0-.01zm5 0a1.5 1.5 0 1 0 0-.01zm5 0a1.5 1.5 0 1 0 0-.01z')

  const host = h('portico-widget', {})
  const root = host.attachShadow({ mode: 'open' })
  const css = `:host{all:initial!important;display:block!important;position:fixed!important;inset:auto 20px 20px auto!important;z-index:2147483647!important;margin:0!important;padding:0!important;border:0!important;background:none!important;overflow:visible!important;width:auto!important;height:auto!important;min-width:0!important;max-width:none!important;visibility:visible!important;opacity:1!important;transform:none!important;filter:none!important;clip-path:none!important;pointer-events:none!important;color-scheme:light dark;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;--bg:#fff;--fg:#1b1b1f;--mu:#55565e;--ln:#c9c9d1;--er:#a4161a;--erb:#fde8e8}
:host([data-pos=bottom-left]){inset:auto auto 20px 20px!important}
@media (prefers-color-scheme:dark){:host{--bg:#1c1c21;--fg:#ececf1;--mu:#b4b4bd;--ln:#44444d;--er:#ffb3b8;--erb:#3a1518}}
*{box-sizing:border-box}
.w{pointer-events:auto;color:var(--fg)}
button{font:inherit;cursor:pointer}
.l{all:unset;box-sizing:border-box;display:grid;place-items:center;width:56px;height:56px;border-radius:50%;background:var(--c);color:var(--t);cursor:pointer;box-shadow:0 4px 14px #0005}
.l svg{width:28px;height:28px;fill:currentColor}
:focus-visible{outline:3px solid var(--o);outline-offset:2px}
.p{position:absolute;bottom:72px;right:0;display:flex;flex-direction:column;width:min(380px,calc(100vw - 40px));max-height:min(640px,calc(100vh - 100px));background:var(--bg);border:1px solid var(--ln);border-radius:12px;box-shadow:0 12px 40px #0006;overflow:hidden}
:host([data-pos=bottom-left]) .p{right:auto;left:0}
[hidden]{display:none!important}
.hd{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 16px;background:var(--c);color:var(--t)}
h2{flex:1;margin:0;font-size:17px;font-weight:600}
.x{width:44px;height:44px;border:0;border-radius:8px;background:none;color:inherit;font-size:26px;line-height:1}
.b{overflow:auto;padding:14px 16px 16px}
.g,.m{margin:0 0 10px}
.f{margin:0 0 12px}
label{display:block;font-weight:600;margin:0 0 4px}
.q{font-weight:400;color:var(--mu)}
input,textarea,select{display:block;width:100%;font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--mu);border-radius:6px;padding:9px 10px;margin:0}
textarea{resize:vertical;min-height:96px}
[aria-invalid=true]{border-color:var(--er);border-width:2px}
.e{color:var(--er);margin:4px 0 0;font-size:14px}
.a{background:var(--erb);color:var(--er);padding:10px 12px;border-radius:6px;margin:0 0 12px}
.s,.s2{min-height:44px;padding:10px 18px;border:0;border-radius:6px;background:var(--c);color:var(--t);font-weight:600;margin:4px 8px 0 0}
.s2{background:none;color:var(--fg);border:1px solid var(--mu)}
.s:disabled{opacity:.7;cursor:progress}
.st{margin:8px 0 0;color:var(--mu);font-size:14px}
.st:empty{display:none}
.ts{margin:0 0 12px;min-height:65px}
h3{margin:0 0 8px;font-size:17px}
a{color:inherit}
@media (prefers-reduced-motion:no-preference){.p{animation:pw .16s ease-out}.l{transition:transform .15s}.l:hover{transform:scale(1.06)}}
@keyframes pw{from{opacity:0;transform:translateY(8px)}}`
  try {
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(css)
    root.adoptedStyleSheets = [sheet] // not subject to the page's style-src
  } catch (e) {
    root.append(h('style', {}, css))
  }

  // The few words shown before the form and its texts arrive, in the
  // page's language (data-locale, else the browser's): launcher and title,
  // close, loading. server/widget's TestLoaderWords keeps the first two equal
  // to the widget catalog's launcher and close.
  const pageLang = (own.locale || navigator.language || '').slice(0, 2).toLowerCase()
  const [word, closeWord, loadingWord] = {
    de: ['Support kontaktieren', 'Schließen', 'Wird geladen…'],
    fr: ['Contacter le support', 'Fermer', 'Chargement…'],
    es: ['Contactar con soporte', 'Cerrar', 'Cargando…'],
    pt: ['Fale com o suporte', 'Fechar', 'Carregando…'],
  }[pageLang] || ['Contact support', 'Close', 'Loading…']

  const title = h('h2', { id: 't' }, word)
  const x = h('button', { type: 'button', class: 'x', 'aria-label': closeWord }, '×')
  const body = h('div', { class: 'b' }, h('p', { class: 'm', role: 'status' }, loadingWord))
  const panel = h('div', { class: 'p', id: 'p', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 't', tabindex: '-1', hidden: '' }, h('div', { class: 'hd' }, title, x), body)
  const btn = h('button', { type: 'button', class: 'l', part: 'launcher', 'aria-label': word, 'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'p' }, svg)
  const wrap = h('div', { class: 'w' }, panel, btn)
  root.append(wrap)

  const paint = (c) => {
    if (!/^#([\da-f]{3}){1,2}$/i.test(c || '')) return
    let n = c.slice(1)
    if (n.length < 4) n = n.replace(/./g, '$&$&')
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(n.substr(i, 2), 16) / 255).map((v) => (v > 0.04 ? ((v + 0.055) / 1.055) ** 2.4 : v / 12.92))
    const dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.18 // white text reads better
    wrap.style.setProperty('--c', c)
    wrap.style.setProperty('--t', dark ? '#fff' : '#111')
    wrap.style.setProperty('--o', dark ? c : '#111')
  }
  const place = (p) => host.setAttribute('data-pos', p === 'bottom-left' ? p : 'bottom-right')
  paint('#4F46E5')
  paint(ownColor)
  place(ownPos)

  let mode = 0 // 0: wasm when possible, 1: hosted form
  let loading
  let ready = false
  const probe = () => {
    try {
      return !!new WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0))
    } catch (e) {
      return false // no WebAssembly, or the page's CSP forbids compiling it
    }
  }
  const load = () =>
    (loading = loading || new Promise((resolve, reject) => {
      if (!probe()) throw 0
      const wasm = fetch(api + '/' + __WASM__, { credentials: 'omit' })
      const s = h('script', { src: api + '/' + __RUNTIME__, async: '' })
      s.onerror = reject
      s.onload = () => {
        const Go = s.p({
          api,
          own, // what the form goes by when <api>/config fails
          root: body,
          ready: () => {
            ready = true
            resolve()
          },
          close: () => close(),
          // lang: the language config chose, with the loader's own labels
          // in it (until then they are English).
          brand: (c, p, t, lang, closeLabel, launcherLabel) => {
            if (!ownColor) paint(c)
            if (!ownPos) place(p)
            if (t) title.textContent = t
            if (lang) {
              wrap.lang = lang
              x.setAttribute('aria-label', closeLabel)
              btn.setAttribute('aria-label', launcherLabel)
            }
          },
        })
        const go = new Go()
        const inst = WebAssembly.instantiateStreaming
          ? WebAssembly.instantiateStreaming(wasm, go.importObject)
          : wasm.then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, go.importObject))
        inst.then((r) => go.run(r.instance).then(reject), reject) // exiting before ready is a failure
      }
      ;(d.head || d.documentElement).append(s)
    })).catch((e) => {
      mode = 1
      throw e
    })
  const prefetch = () => load().catch(() => {})

  const hosted = () => {
    const u = api + '/form' + (own.locale ? '?locale=' + encodeURIComponent(own.locale) : '')
    const win = w.open(u, '_blank')
    if (win) win.opener = null
    else location.href = u
  }
  const focusables = () => [...panel.querySelectorAll('button,input,select,textarea,a[href],iframe,[tabindex="0"]')].filter((e) => !e.disabled && e.getClientRects().length)
  const focusForm = () => {
    const f = body.querySelector('input,select,textarea,a[href]')
    if (!panel.hidden && (root.activeElement === panel || !root.activeElement) && f) f.focus()
  }
  const open = () => {
    if (mode || !probe()) {
      mode = 1
      return hosted()
    }
    if (!panel.hidden) return
    panel.hidden = false
    btn.setAttribute('aria-expanded', 'true')
    panel.focus()
    if (ready) focusForm()
    else
      load().then(focusForm, () => {
        close()
        hosted()
      })
  }
  const close = () => {
    if (panel.hidden) return
    const inside = !!root.activeElement
    panel.hidden = true
    btn.setAttribute('aria-expanded', 'false')
    if (inside) btn.focus()
  }

  btn.addEventListener('click', () => (panel.hidden ? open() : close()))
  for (const ev of ['pointerenter', 'focus', 'touchstart']) btn.addEventListener(ev, () => mode || prefetch(), { passive: true })
  x.addEventListener('click', close)
  wrap.addEventListener('keydown', (e) => {
    if (panel.hidden) return
    if (e.key === 'Escape') {
      e.stopPropagation()
      close()
    } else if (e.key === 'Tab') {
      const f = focusables()
      const i = f.indexOf(root.activeElement)
      if (f.length && (e.shiftKey ? i <= 0 : i === f.length - 1)) {
        e.preventDefault()
        f[e.shiftKey ? f.length - 1 : 0].focus()
      }
    }
  })

  const api_ = { open, close, toggle: () => (panel.hidden ? open() : close()) }
  try {
    w.PorticoWidget = Object.assign(o, api_)
  } catch (e) {
    w.PorticoWidget = api_
  }

  const mount = () => {
    if (host.showPopover) host.setAttribute('popover', 'manual') // top layer: above any z-index
    ;(d.body || d.documentElement).append(host)
    try {
      host.showPopover && host.showPopover()
    } catch (e) {}
    const idle = () => (w.requestIdleCallback || setTimeout)(prefetch, { timeout: 4000 })
    d.readyState === 'complete' ? idle() : w.addEventListener('load', idle, { once: true })
  }
  d.body ? mount() : d.addEventListener('DOMContentLoaded', mount)
})()
