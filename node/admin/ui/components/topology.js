// The mesh as a picture: members on a ring, each sized by the entities it holds and coloured by its
// status; a line between two members that are both heard from (every member gossips with every
// other), dashed where one of them is suspect. This node has a double ring.
import { html } from '../lib/html.js'
import { shortPeer } from '../lib/format.js'

const WIDTH = 480
const HEIGHT = 320
const RING = 110

function layout (members) {
  const n = members.length
  return members.map((m, i) => {
    if (n === 1) return { m, x: WIDTH / 2, y: HEIGHT / 2 - 10 }
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n
    return { m, x: WIDTH / 2 + RING * 1.45 * Math.cos(angle), y: HEIGHT / 2 - 10 + RING * Math.sin(angle) }
  })
}

export function Topology ({ members, self }) {
  const nodes = layout(members)
  const most = Math.max(1, ...members.map((m) => m.load.entities))
  const heard = (m) => m.status !== 'down'
  const edges = []
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i]
      const b = nodes[j]
      if (!heard(a.m) || !heard(b.m)) continue
      const weak = a.m.status === 'suspect' || b.m.status === 'suspect'
      edges.push(html`<line key=${`${a.m.peerId}-${b.m.peerId}`} x1=${a.x} y1=${a.y} x2=${b.x} y2=${b.y} class=${weak ? 'edge edge-weak' : 'edge'} />`)
    }
  }
  const up = members.filter((m) => m.status === 'up').length
  const summary = `${members.length} members, ${up} up: ${members.map((m) => `${shortPeer(m.peerId)} ${m.status}`).join(', ')}`
  return html`
    <figure class="topology">
      <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${`Mesh topology: ${summary}`}>
        <title>Mesh topology</title>
        ${edges}
        ${nodes.map(({ m, x, y }) => {
          const r = 14 + 12 * Math.sqrt(m.load.entities / most)
          return html`
            <g key=${m.peerId} class=${`member member-${m.status}`} data-peer=${m.peerId}>
              <title>${m.peerId} (${m.status}): ${m.roles.join(', ') || 'no roles'}, ${m.load.entities} entities</title>
              ${m.peerId === self && html`<circle cx=${x} cy=${y} r=${r + 5} class="self-ring" />`}
              <circle cx=${x} cy=${y} r=${r} />
              <text x=${x} y=${y + 4} class="count">${m.load.entities}</text>
              <text x=${x} y=${y + r + 16} class="label">${shortPeer(m.peerId)}</text>
              <text x=${x} y=${y + r + 30} class="roles">${m.roles.join(' · ') || 'no roles'}</text>
            </g>`
        })}
      </svg>
      <figcaption>Circles: members, sized by the entities they hold (the number inside), coloured by status. Lines: members that hear each other.</figcaption>
    </figure>`
}
