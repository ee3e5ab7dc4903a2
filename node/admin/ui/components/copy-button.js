// Copies a text to the clipboard, saying so; where the clipboard API is refused (a page not served
// over https or loopback), the text is selected for Ctrl+C instead.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'

export function CopyButton ({ text, label, selectTarget }) {
  const [said, setSaid] = useState('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setSaid('Copied')
    } catch {
      selectTarget?.current?.select()
      setSaid('Selected: press Ctrl+C to copy')
    }
  }
  return html`
    <button type="button" class="button-small" onClick=${copy} aria-label=${label}>Copy</button>
    <span class="copy-said" role="status">${said}</span>`
}
