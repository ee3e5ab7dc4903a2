// Cluster: every member with its roles, status, addresses, load and uptime, the mesh as a picture,
// whether writes are available (storage nodes up against the replicas a write needs);
// change roles, drain, decommission (GET /cluster, PUT /nodes/{id}/roles, POST /nodes/{id}/drain|decommission).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { formatAgo, formatBytes, formatDuration, formatNumber, shortPeer } from '../lib/format.js'
import { ConfirmButton } from '../components/confirm-button.js'
import { ErrorMessage } from '../components/error-message.js'
import { PeerLabel } from '../components/peer-label.js'
import { RolesEditor } from '../components/roles-editor.js'
import { StatusBadge } from '../components/status-badge.js'
import { TableWrap } from '../components/table-wrap.js'
import { RING_MAX, STATUS_ORDER, Topology } from '../components/topology.js'
import { RoleSummary } from '../components/role-summary.js'

/** A member's place in the table: members that need a look first, then by roles, then peer id. */
const rank = (m) => STATUS_ORDER.indexOf(m.status) === -1 ? STATUS_ORDER.length : STATUS_ORDER.indexOf(m.status)
const byConcern = (a, b) => rank(a) - rank(b) || a.roles.join(',').localeCompare(b.roles.join(',')) || a.peerId.localeCompare(b.peerId)

/** Whether a member matches the filter box's words (each in its peer id, roles, status or addresses). */
function matches (m, filter) {
  const words = filter.toLowerCase().split(/\s+/).filter((w) => w !== '')
  const text = `${m.peerId} ${m.roles.join(' ')} ${m.status} ${m.addresses.grpc} ${m.addresses.admin}`.toLowerCase()
  return words.every((w) => text.includes(w))
}

export function ClusterView () {
  const { api, cluster, self, track } = useApp()
  const action = useAction()
  const [context, setContext] = useState('')
  const [filter, setFilter] = useState('')
  const members = cluster.data?.members ?? []
  const writes = cluster.data?.writes
  const now = Date.now()

  const leave = (member, mode) => {
    setContext(`Could not ${mode} ${shortPeer(member.peerId)}`)
    void action.run(async () => {
      const job = await api.post(`/nodes/${seg(member.peerId)}/${mode}`)
      track({ job, label: `${mode === 'drain' ? 'Drain' : 'Decommission'} ${shortPeer(member.peerId)}`, onEnd: cluster.refresh })
      cluster.refresh()
    })
  }

  if (cluster.data === undefined) return html`<p role="status">${cluster.loading ? 'Reading the cluster…' : ''}</p>`
  const many = members.length > RING_MAX
  const shown = members.filter((m) => !many || matches(m, filter)).sort(byConcern)
  const totals = members.reduce((t, m) => ({ actors: t.actors + m.load.actors, entities: t.entities + m.load.entities, rss: t.rss + m.load.rssBytes }), { actors: 0, entities: 0, rss: 0 })
  return html`
    <section class="cards" aria-label="Cluster summary">
      <div class="stat"><span class="stat-value" data-testid="member-count">${members.length}</span><span class="stat-label">members</span></div>
      <div class="stat"><span class="stat-value">${members.filter((m) => m.status === 'up').length}</span><span class="stat-label">up</span></div>
      <div class="stat"><span class="stat-value">${formatNumber(totals.entities)}</span><span class="stat-label">entities</span></div>
      <div class="stat"><span class="stat-value">${formatNumber(totals.actors)}</span><span class="stat-label">actors</span></div>
      <div class="stat"><span class="stat-value">${formatBytes(totals.rss)}</span><span class="stat-label">memory (RSS)</span></div>
      ${writes !== undefined && html`
        <div class="stat" data-testid="writes" data-available=${String(writes.available)}>
          <span class="stat-value"><span class=${`badge ${writes.available ? 'badge-good' : 'badge-bad'}`}>${writes.available ? 'available' : 'unavailable'}</span></span>
          <span class="stat-label">writes: ${writes.storageUp} of ${writes.storageNodes} storage up, ${writes.needed} needed</span>
        </div>`}
    </section>
    ${writes !== undefined && !writes.available && html`
      <p class="warning" role="alert" data-testid="writes-unavailable">
        Writes unavailable on ${writes.unavailablePartitions} of ${writes.partitions} partitions: ${writes.storageUp} of ${writes.storageNodes} storage nodes are up, and a write needs ${writes.needed} of a partition's ${writes.replicas} replicas${writes.down.length > 0 ? ` (down: ${writes.down.map(shortPeer).join(', ')})` : ''}.
        Clients are told UNAVAILABLE until enough storage nodes are back: start the ones that are down.
      </p>`}
    <${ErrorMessage} error=${action.error} context=${context} onDismiss=${action.clear} />
    ${members.length >= 4 && html`<${RoleSummary} members=${members} />`}
    <${Topology} members=${members} self=${self} />
    <h2>Members</h2>
    ${many && html`
      <p class="filter-row">
        <label>Filter <input type="search" value=${filter} placeholder="peer id, role, status or address" data-testid="member-filter"
          onInput=${(e) => { setFilter(e.currentTarget.value) }} /></label>
        <span class="muted" role="status" data-testid="member-shown">${shown.length} of ${members.length} shown, members not up first</span>
      </p>`}
    <${TableWrap} label="Members">
      <table class="members">
        <thead>
          <tr><th scope="col">Member</th><th scope="col">Status</th><th scope="col">Roles</th><th scope="col">Addresses</th>
            <th scope="col" class="num">Actors</th><th scope="col" class="num">Entities</th><th scope="col" class="num">Mailbox</th><th scope="col" class="num">Memory</th>
            <th scope="col">Actions</th></tr>
        </thead>
        <tbody>
          ${shown.map((m) => html`
            <tr key=${m.peerId} data-peer=${m.peerId} data-status=${m.status}>
              <th scope="row">
                <${PeerLabel} peerId=${m.peerId} self=${self} />${m.settled === false && m.status === 'up' && html` <span class="tag">settling</span>`}
                <div class="muted small">version ${m.version ?? '–'}</div>
              </th>
              <td>
                <${StatusBadge} value=${m.status} />
                ${m.status !== 'down' && m.startedAt !== undefined && html`<div class="small">uptime ${formatDuration(now - m.startedAt)}</div>`}
                ${m.lastSeen !== undefined && html`<div class="muted small">heard ${formatAgo(m.lastSeen, now)}</div>`}
              </td>
              <td class="roles">${m.roles.length === 0 ? html`<span class="muted">none</span>` : m.roles.join(', ')}</td>
              <td class="addresses">
                <div>gRPC <code>${m.addresses.grpc}</code></div>
                <div>admin <code>${m.addresses.admin}</code></div>
                ${m.addresses.p2p.length > 0 && html`<details><summary>p2p (${m.addresses.p2p.length})</summary>${m.addresses.p2p.map((a) => html`<div key=${a}><code class="wrap">${a}</code></div>`)}</details>`}
              </td>
              <td class="num">${formatNumber(m.load.actors)}</td>
              <td class="num" data-testid="entities">${formatNumber(m.load.entities)}</td>
              <td class="num">${formatNumber(m.load.mailbox)}</td>
              <td class="num">${formatBytes(m.load.rssBytes)}</td>
              <td class="actions-cell">
                <${RolesEditor} member=${m} onChanged=${cluster.refresh} />
                <${ConfirmButton} label="Drain" title=${`Drain ${m.peerId}`} ariaLabel=${`Drain ${m.peerId}`}
                  disabled=${m.peerId === self || m.status === 'down' || action.busy}
                  question=${`Drain member ${shortPeer(m.peerId)}? It stops taking clients, its entities move live to the other members, then its process exits (it may be started again).`}
                  confirmLabel="Drain it" onConfirm=${() => { leave(m, 'drain') }} />
                <${ConfirmButton} label="Decommission" title=${`Decommission ${m.peerId}`} ariaLabel=${`Decommission ${m.peerId}`}
                  disabled=${m.peerId === self || m.status === 'down' || action.busy}
                  question=${`Decommission member ${shortPeer(m.peerId)} for good? Its entities move, its storage partitions are handed off, it leaves the cluster and its data dir never starts a node again. This cannot be undone.`}
                  confirmLabel="Decommission it" onConfirm=${() => { leave(m, 'decommission') }} />
              </td>
            </tr>`)}
        </tbody>
      </table>
    <//>
    <p class="hint">This dashboard's own node cannot drain or decommission itself: open another member's dashboard (its admin address) for that.</p>`
}
