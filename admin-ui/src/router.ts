// A small history-mode router: the app has five pages, which does not need
// vue-router's 10 KB. The server answers index.html for every /admin path.
import { reactive } from 'vue'
import { BASE, isAppURL, resolve, type Route } from './logic/routes'

export { BASE, href } from './logic/routes'

export const route = reactive<Route>(resolve(location.pathname, location.search))

function update() {
  Object.assign(route, resolve(location.pathname, location.search))
}

window.addEventListener('popstate', update)

/** Goes to an /admin URL without reloading the page. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (!isAppURL(to)) to = `${BASE}/settings`
  if (opts.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  update()
  window.scrollTo(0, 0)
}

