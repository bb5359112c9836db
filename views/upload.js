// Progressive enhancement of the forms that take files (the portal's reply
// form, the hosted support form; see fileInput in attachments.templ).
// Without this script both post as plain forms. With it:
// - choosing files checks them against the server's limits (data-max-* on
//   the file input) and says what is wrong next to the input, in the page's
//   language (data-too-* texts), with send disabled until it is fixed;
// - sending with files goes through XMLHttpRequest so that a <progress>
//   can show the upload; the answer then replaces the page.
// No framework, no build step: the server serves this file as is under a
// content-hashed name.
;(function () {
  'use strict'
  // The page's CSP nonce (script-src 'nonce-…'), to carry into a page we write.
  var nonce = document.currentScript ? document.currentScript.nonce : ''
  var inputs = document.querySelectorAll('input[type=file][data-max-files]')
  for (var i = 0; i < inputs.length; i++) enhance(inputs[i])

  function enhance(input) {
    var form = input.form
    var d = input.dataset
    if (!form) return
    var button = form.querySelector('[type=submit]')
    var live = document.createElement('p')
    live.id = input.id + '-check'
    live.className = 'field-error'
    live.setAttribute('aria-live', 'polite')
    input.after(live)
    // Empty, it describes nothing; filled, it says what is wrong.
    input.setAttribute('aria-describedby', (input.getAttribute('aria-describedby') || '') + ' ' + live.id)

    // problem is what is wrong with the chosen files, '' when nothing.
    function problem() {
      var files = input.files
      var total = 0
      if (files.length > +d.maxFiles) return d.tooMany
      for (var i = 0; i < files.length; i++) {
        var name = files[i].name
        if (files[i].size > +d.maxSize) return d.tooLarge.replace('{file}', function () { return name })
        total += files[i].size
      }
      return total > +d.maxTotal ? d.tooMuch : ''
    }

    function check() {
      var msg = problem()
      if (msg) input.setAttribute('aria-invalid', 'true')
      else input.removeAttribute('aria-invalid')
      live.textContent = msg
      if (button) button.disabled = !!msg
      return !msg
    }

    input.addEventListener('change', check)
    form.addEventListener('submit', function (e) {
      if (!check()) return e.preventDefault()
      // Without files there is nothing to show: the browser posts as usual.
      if (!input.files.length) return
      e.preventDefault()
      send(form, button)
    })
  }

  function send(form, button) {
    // "Sending… [=====     ] 42 %": the bar is labelled, and says its value
    // to assistive technology itself, so the written percentage is hidden
    // from it.
    var box = document.createElement('p')
    var label = document.createElement('label')
    var bar = document.createElement('progress')
    var pct = document.createElement('span')
    var percent = new Intl.NumberFormat(document.documentElement.lang, { style: 'percent' })
    bar.id = 'upload-progress'
    bar.max = 100
    bar.value = 0
    label.htmlFor = bar.id
    label.textContent = form.dataset.sending
    pct.setAttribute('aria-hidden', 'true')
    box.append(label, ' ', bar, ' ', pct)
    form.insertBefore(box, button)
    if (button) button.disabled = true

    var xhr = new XMLHttpRequest()
    xhr.open('POST', form.action)
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable || !e.total) return
      var f = Math.floor((e.loaded / e.total) * 100) / 100
      bar.value = f * 100
      pct.textContent = percent.format(f)
    }
    xhr.onload = function () { show(xhr, form) }
    // The request did not get through: let the browser post the form itself.
    xhr.onerror = xhr.ontimeout = function () {
      box.remove()
      if (button) button.disabled = false
      form.submit()
    }
    xhr.send(new FormData(form))
  }

  // show puts the answer where the browser would have. A redirect (the
  // portal's 303 after a reply) is followed by loading its target, so that
  // the address, the history and a reload are those of a plain post. Any
  // other answer (the page again with the reason, the hosted form's thanks)
  // replaces this document. That document keeps this page's CSP, whose
  // nonce differs from the answer's: the answer's nonce, read from its own
  // CSP header (128 random bits, so it matches nothing else), becomes ours.
  function show(xhr, form) {
    if (xhr.responseURL && xhr.responseURL !== form.action) {
      location.assign(xhr.responseURL)
      return
    }
    var html = xhr.responseText
    var theirs = /'nonce-([^']+)'/.exec(xhr.getResponseHeader('Content-Security-Policy') || '')
    if (!/html/.test(xhr.getResponseHeader('Content-Type') || '')) {
      html = '<pre>' + html.replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</pre>'
    } else if (theirs && nonce) {
      html = html.split('nonce="' + theirs[1] + '"').join('nonce="' + nonce + '"')
    }
    document.open()
    document.write(html)
    document.close()
  }
})()
