import { describe, expect, it } from 'vitest'
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import AttachmentTypes from '../src/components/AttachmentTypes.vue'
import {
  allowedText,
  DEFAULT_TYPES,
  formFromSettings,
  groupTypes,
  payloadFromForm,
  switchUploads,
  typeName,
  validateAttachments,
} from '../src/logic/attachments'

// server/settings.AttachmentTypes, as GET answers it in `choices`.
const choices = [
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/x-icon',
  'application/pdf', 'text/plain',
  'application/zip', 'application/x-gzip', 'application/x-rar-compressed',
  'audio/mpeg', 'audio/wave', 'audio/aiff', 'audio/midi', 'application/ogg',
  'video/mp4', 'video/webm', 'video/avi',
]

const render = (modelValue: string[], error = '') => renderToString(createSSRApp(AttachmentTypes, { modelValue, choices, error }))

describe('attachment types', () => {
  it("groups the choices by kind, in the server's order", () => {
    expect(groupTypes(choices)).toEqual([
      { name: 'Pictures', types: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/x-icon'] },
      { name: 'Documents', types: ['application/pdf', 'text/plain'] },
      { name: 'Archives', types: ['application/zip', 'application/x-gzip', 'application/x-rar-compressed'] },
      { name: 'Audio', types: ['audio/mpeg', 'audio/wave', 'audio/aiff', 'audio/midi', 'application/ogg'] },
      { name: 'Video', types: ['video/mp4', 'video/webm', 'video/avi'] },
    ])
    // A type a newer server offers still shows, under Other; empty kinds do not.
    expect(groupTypes(['image/png', 'model/gltf-binary'])).toEqual([
      { name: 'Pictures', types: ['image/png'] },
      { name: 'Other', types: ['model/gltf-binary'] },
    ])
  })

  it('names every type the server offers', () => {
    for (const t of choices) expect(typeName(t)).not.toBe(t)
    expect(typeName('model/gltf-binary')).toBe('model/gltf-binary')
  })

  it('reads an empty list as uploads off, and turns them back on with the defaults', () => {
    expect(formFromSettings({ allowed_types: [], choices })).toEqual({ enabled: false, types: [] })
    const on = formFromSettings({ allowed_types: ['application/pdf'], choices })
    expect(on).toEqual({ enabled: true, types: ['application/pdf'] })
    expect(switchUploads({ enabled: false, types: [] }, true, choices)).toEqual({ enabled: true, types: DEFAULT_TYPES })
    // Switching off and on again keeps what was ticked.
    const off = switchUploads(on, false, choices)
    expect(off).toEqual({ enabled: false, types: ['application/pdf'] })
    expect(switchUploads(off, true, choices)).toEqual(on)
  })

  it("sends the ticked types in the server's order, or [] when off", () => {
    expect(payloadFromForm({ enabled: true, types: ['video/avi', 'image/png'] }, choices)).toEqual({
      allowed_types: ['image/png', 'video/avi'],
    })
    expect(payloadFromForm({ enabled: false, types: ['image/png'] }, choices)).toEqual({ allowed_types: [] })
    // Something the server does not offer is sent, for the server to refuse.
    expect(payloadFromForm({ enabled: true, types: ['text/html', 'image/png'] }, choices)).toEqual({
      allowed_types: ['image/png', 'text/html'],
    })
  })

  it('wants a type ticked while uploads are on', () => {
    expect(validateAttachments({ enabled: true, types: [] })).toEqual({
      allowed_types: 'Tick at least one type, or switch attachments off.',
    })
    expect(validateAttachments({ enabled: false, types: [] })).toEqual({})
    expect(validateAttachments({ enabled: true, types: ['image/png'] })).toEqual({})
  })

  it('says what customers can attach', () => {
    expect(allowedText([])).toBe('Customers cannot attach files.')
    expect(allowedText(['image/png', 'application/pdf', 'application/zip'])).toBe('Customers can attach: PNG, PDF, ZIP.')
  })
})

describe('AttachmentTypes', () => {
  it('has a labelled checkbox per type, the allowed ones ticked', async () => {
    const html = await render(['image/png', 'application/zip'])
    expect(html.match(/type="checkbox"/g)?.length).toBe(choices.length)
    expect(html).toMatch(/<input id="attachments-type-image-png" checked type="checkbox" name="allowed_types" value="image\/png">/)
    expect(html).toMatch(/<input id="attachments-type-image-gif" type="checkbox" name="allowed_types" value="image\/gif">/)
    expect(html).toContain('<label for="attachments-type-image-png">PNG <code class="type">image/png</code></label>')
    for (const kind of ['Pictures', 'Documents', 'Archives', 'Audio', 'Video']) expect(html).toContain(`<legend>${kind}</legend>`)
    // Office documents are ZIP archives to the server: the admin is told.
    expect(html).toContain('aria-describedby="attachments-type-application-zip-note"')
    expect(html).toContain('also Word, Excel and PowerPoint files')
    expect(html).not.toContain('aria-invalid')
  })

  it("shows the server's error and points the list at it", async () => {
    const html = await render([], '"text/html" is not a type portico can recognize safely')
    expect(html).toContain('aria-invalid="true"')
    expect(html).toContain('aria-describedby="attachments-types-help attachments-types-error"')
    expect(html).toMatch(/<p id="attachments-types-error" class="field-error" role="alert">&quot;text\/html&quot; is not a type/)
  })
})
