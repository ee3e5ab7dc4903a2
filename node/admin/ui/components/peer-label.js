// A peer id, shortened (the whole id on hover and for screen readers), marked when it is this node.
import { html } from '../lib/html.js'
import { shortPeer } from '../lib/format.js'

export function PeerLabel ({ peerId, self }) {
  if (peerId === null || peerId === undefined) return html`<span class="muted">–</span>`
  return html`<span class="peer" title=${peerId} data-peer=${peerId}>
    <code>${shortPeer(peerId)}</code>${peerId === self && html` <span class="tag">this node</span>`}
  </span>`
}
