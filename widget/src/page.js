// What the embedding page says about the widget: the object set before the
// tag (window.PorticoWidget, or window.EscalatedWidget of older snippets)
// wins over the tag's data-* attributes. Besides the API address, these are
// the branding the page insists on (colour, corner) and, when
// <widget-path>/config cannot be had, all the form goes by (title and
// greeting too). locale is the language the page asks the widget to speak
// (data-locale="de"); config decides whether portico speaks it.
//
// o: the page's object ({} when none); ds: the tag's dataset; origin: where
// the tag was loaded from (the page's own origin when unknown).
export const pageSettings = (o, ds, origin) => {
  const pick = (...keys) => {
    for (const k of keys) if (o[k]) return String(o[k])
  }
  const base = (pick('baseUrl', 'baseURL', 'base_url') || ds.baseUrl || origin).replace(/\/+$/, '')
  return {
    api: base + '/' + (pick('widgetPath', 'widget_path') || ds.widgetPath || 'support/widget').replace(/^\/+|\/+$/g, ''),
    color: pick('color') || ds.color,
    position: pick('position') || ds.position,
    title: pick('title') || ds.title,
    greeting: pick('greeting') || ds.greeting,
    locale: pick('locale') || ds.locale,
  }
}
