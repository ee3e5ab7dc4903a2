// The mesh as a picture. Up to RING_MAX members: on a ring, each sized by the entities it holds and
// coloured by its status, a line between two members that are both heard from (every member gossips
// with every other), dashed where one of them is suspect. Past that (a ring of 30 is a hairball of
// 435 lines and overlapping labels): one row per set of roles, small circles coloured by status,
// the members that are not up named in their row's caption, no lines. This node has a double ring.
import { html } from '../lib/html.js'
import { shortPeer } from '../lib/format.js'

const WIDTH = 480
const HEIGHT = 320
const RING = 110
/** Members drawn on a ring with every line between them; more are drawn in rows by role. */
export const RING_MAX = 12
/** Members that need a look first (as `plexi admin cluster` orders them). */
export const STATUS_ORDER = ['down', 'suspect', 'joining', 'draining', 'up']
/** The rows' geometry: circles per line, their spacing, a group's two lines of text, a line of circles. */
const PER_ROW = 20
const CELL = 24
const TEXT_H = 36
const ROW_H = 28

function ringLayout (members) {
  const n = members.length
  return members.map((m, i) => {
    if (n === 1) return { m, x: WIDTH / 2, y: HEIGHT / 2 - 10 }
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n
    return { m, x: WIDTH / 2 + RING * 1.45 * Math.cos(angle), y: HEIGHT / 2 - 10 + RING * Math.sin(angle) }
  })
}

/** Members grouped by their set of roles (most members first), problems first in each group. */
export function roleGroups (members) {
  const groups = new Map()
  for (const m of members) {
    const key = m.roles.length === 0 ? 'no roles' : [...m.roles].sort().join(', ')
    groups.set(key, [...(groups.get(key) ?? []), m])
  }
  const rank = (m) => STATUS_ORDER.indexOf(m.status) === -1 ? STATUS_ORDER.length : STATUS_ORDER.indexOf(m.status)
  return [...groups].map(([roles, of]) => ({ roles, members: of.sort((a, b) => rank(a) - rank(b) || a.peerId.localeCompare(b.peerId)) }))
    .sort((a, b) => b.members.length - a.members.length || a.roles.localeCompare(b.roles))
}

function summaryOf (members) {
  const up = members.filter((m) => m.status === 'up').length
  const others = members.filter((m) => m.status !== 'up')
  return `${members.length} members, ${up} up${others.length === 0 ? '' : `; ${others.map((m) => `${shortPeer(m.peerId)} ${m.status}`).join(', ')}`}`
}

function Ring ({ members, self }) {
  const nodes = ringLayout(members)
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
  return html`
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${`Mesh topology: ${summaryOf(members)}`}>
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
    </svg>`
}

function Rows ({ members, self }) {
  const groups = roleGroups(members)
  let y = 4
  const rows = []
  for (const group of groups) {
    const top = y
    const notUp = group.members.filter((m) => m.status !== 'up')
    const count = `${group.members.length} member${group.members.length === 1 ? '' : 's'}${notUp.length === 0 ? ', all up' : `, ${notUp.length} not up: ${notUp.map((m) => `${shortPeer(m.peerId)} ${m.status}`).join(', ')}`}`
    rows.push(html`
      <g key=${group.roles} class="role-group" data-roles=${group.roles}>
        <text x=${4} y=${top + 13} class="group-label">${group.roles}</text>
        <text x=${4} y=${top + 28} class=${notUp.length === 0 ? 'group-count' : 'group-count group-count-bad'}>${count}</text>
        ${group.members.map((m, i) => {
          const x = 4 + CELL / 2 + (i % PER_ROW) * CELL
          const cy = top + TEXT_H + ROW_H / 2 + Math.floor(i / PER_ROW) * ROW_H
          return html`
            <g key=${m.peerId} class=${`member member-${m.status}`} data-peer=${m.peerId}>
              <title>${m.peerId} (${m.status}): ${m.roles.join(', ') || 'no roles'}, ${m.load.entities} entities</title>
              ${m.peerId === self && html`<circle cx=${x} cy=${cy} r=${11} class="self-ring" />`}
              <circle cx=${x} cy=${cy} r=${8} />
            </g>`
        })}
      </g>`)
    y += TEXT_H + Math.ceil(group.members.length / PER_ROW) * ROW_H + 8
  }
  const width = 8 + PER_ROW * CELL
  return html`
    <svg viewBox=${`0 0 ${width} ${y}`} width=${width} height=${y} role="img" aria-label=${`Mesh topology: ${summaryOf(members)}`} class="rows">
      <title>Mesh topology</title>
      ${rows}
    </svg>`
}

export function Topology ({ members, self }) {
  const ring = members.length <= RING_MAX
  return html`
    <figure class="topology" data-layout=${ring ? 'ring' : 'rows'}>
      ${ring ? html`<${Ring} members=${members} self=${self} />` : html`<${Rows} members=${members} self=${self} />`}
      <figcaption>${ring
        ? 'Circles: members, sized by the entities they hold (the number inside), coloured by status. Lines: members that hear each other.'
        : 'One row per set of roles; circles: members coloured by status (members not up first, named beside their row; hover a circle for its peer id). Every member up hears every other.'}</figcaption>
    </figure>`
}
