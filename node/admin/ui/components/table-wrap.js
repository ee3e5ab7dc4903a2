// A table that scrolls sideways on a narrow screen; the scrolling region is named and focusable so a
// keyboard can scroll it too.
import { html } from '../lib/html.js'

export function TableWrap ({ label, children }) {
  return html`<div class="table-wrap" role="region" aria-label=${label} tabindex="0">${children}</div>`
}
