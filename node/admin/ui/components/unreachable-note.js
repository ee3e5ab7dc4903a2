// Members that did not answer a listing: what is shown lacks theirs.
import { html } from '../lib/html.js'
import { shortPeer } from '../lib/format.js'

export function UnreachableNote ({ peers }) {
  if (peers === undefined || peers.length === 0) return null
  return html`<p class="warning" role="status">Not answering, so not listed: ${peers.map((p) => html`<code key=${p} title=${p}>${shortPeer(p)}</code> `)}</p>`
}
