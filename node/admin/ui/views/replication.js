// Replication: each node's replicas counted by state, then every partition with its replicas, their
// lag and last repair (GET /partitions), those with trouble first, a page at a time; start a repair
// of all of them or of one (POST /repairs, followed at GET /repairs/{id}).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { repairAsJob } from '../lib/job-tracker.js'
import { formatAgo, formatNumber, shortPeer } from '../lib/format.js'
import { ErrorMessage } from '../components/error-message.js'
import { PeerLabel } from '../components/peer-label.js'
import { TableWrap } from '../components/table-wrap.js'
import { UnreachableNote } from '../components/unreachable-note.js'

/** Partitions drawn a page at a time (a node keeps 256 by default). */
const PAGE = 25

/** A replica that is not up, did not answer, or lags. */
const troubled = (r) => r.lag === null || r.lag > 0 || r.status !== 'up'

/** Each node's replicas counted by state, the nodes with trouble first. */
function byNode (partitions) {
  const nodes = new Map()
  for (const p of partitions) {
    for (const r of p.replicas) {
      const n = nodes.get(r.peerId) ?? { peerId: r.peerId, partitions: 0, inSync: 0, behind: 0, notUp: 0, records: 0 }
      n.partitions++
      if (r.status !== 'up' || r.lag === null) n.notUp++
      else if (r.lag > 0) n.behind++
      else n.inSync++
      n.records += r.records ?? 0
      nodes.set(r.peerId, n)
    }
  }
  return [...nodes.values()].sort((a, b) => (b.notUp + b.behind) - (a.notUp + a.behind) || a.peerId.localeCompare(b.peerId))
}

export function ReplicationView () {
  const { api, track, self } = useApp()
  const listing = usePoll(async () => await api.getListing('/partitions?limit=1000'), 5_000, [api])
  const [onlyLagging, setOnlyLagging] = useState(false)
  const [page, setPage] = useState(0)
  const [partition, setPartition] = useState('')
  const repair = useAction()
  const partitions = listing.data?.body ?? []
  const lagging = (p) => p.replicas.some(troubled)
  // the partitions with trouble first, then the others, a page at a time
  const ordered = [...partitions.filter(lagging), ...(onlyLagging ? [] : partitions.filter((p) => !lagging(p)))]
  const pages = Math.max(1, Math.ceil(ordered.length / PAGE))
  const current = Math.min(page, pages - 1)
  const shown = ordered.slice(current * PAGE, (current + 1) * PAGE)
  const now = Date.now()

  const startRepair = (event) => {
    event.preventDefault()
    void repair.run(async () => {
      const body = partition.trim() === '' ? {} : { partition: Number(partition) }
      const started = await api.post('/repairs', body)
      track({
        job: repairAsJob(started),
        label: body.partition === undefined ? 'Repair of every partition' : `Repair of partition ${body.partition}`,
        poll: async () => repairAsJob(await api.get(`/repairs/${seg(started.id)}`)),
        onEnd: listing.refresh
      })
    })
  }

  return html`
    <${ErrorMessage} error=${listing.error} context="Could not list the partitions" />
    <${UnreachableNote} peers=${listing.data?.unreachable} />
    <section class="cards" aria-label="Replication summary">
      <div class="stat"><span class="stat-value">${partitions.length}</span><span class="stat-label">partitions</span></div>
      <div class="stat"><span class="stat-value">${partitions.filter(lagging).length}</span><span class="stat-label">with a replica behind or not up</span></div>
      <div class="stat"><span class="stat-value">${formatNumber(Math.max(0, ...partitions.flatMap((p) => p.replicas.map((r) => r.lag ?? 0))))}</span><span class="stat-label">most records behind</span></div>
    </section>
    <h2>Replicas by node</h2>
    <${TableWrap} label="Replicas by node">
      <table class="replica-nodes">
        <thead><tr><th scope="col">Node</th><th scope="col" class="num">Partitions</th><th scope="col" class="num">In sync</th><th scope="col" class="num">Behind</th><th scope="col" class="num">Not up or no answer</th><th scope="col" class="num">Records</th></tr></thead>
        <tbody>
          ${byNode(partitions).map((n) => html`
            <tr key=${n.peerId} data-peer=${n.peerId} class=${n.notUp + n.behind > 0 ? 'row-trouble' : undefined}>
              <th scope="row"><${PeerLabel} peerId=${n.peerId} self=${self} /></th>
              <td class="num">${formatNumber(n.partitions)}</td>
              <td class="num">${formatNumber(n.inSync)}</td>
              <td class="num" data-testid="behind">${formatNumber(n.behind)}</td>
              <td class="num" data-testid="not-up">${formatNumber(n.notUp)}</td>
              <td class="num">${formatNumber(n.records)}</td>
            </tr>`)}
        </tbody>
      </table>
    <//>
    <form class="filters" onSubmit=${startRepair} aria-label="Start a repair">
      <div class="field">
        <label for="repair-partition">Partition to repair (empty: every one)</label>
        <input id="repair-partition" type="number" min="0" max="65535" step="1" inputmode="numeric" value=${partition} onInput=${(e) => { setPartition(e.currentTarget.value) }} />
      </div>
      <button type="submit" class="primary" disabled=${repair.busy}>${repair.busy ? 'Starting…' : 'Start a repair'}</button>
    </form>
    <${ErrorMessage} error=${repair.error} context="Could not start the repair" onDismiss=${repair.clear} />
    <p class="hint">A repair compares every live replica with every other by Merkle trees; only what differs moves.</p>
    <h2>Partitions</h2>
    <label class="check" for="only-lagging"><input id="only-lagging" type="checkbox" checked=${onlyLagging} onChange=${(e) => { setOnlyLagging(e.currentTarget.checked); setPage(0) }} /> only partitions with a replica behind or not up</label>
    <nav class="pager" aria-label="Pages of partitions">
      <button type="button" class="button-small" disabled=${current === 0} onClick=${() => { setPage(current - 1) }}>Previous</button>
      <span role="status">${ordered.length === 0 ? (listing.data === undefined ? 'Reading…' : 'No partition to show') : `${current * PAGE + 1}–${current * PAGE + shown.length} of ${ordered.length}${partitions.some(lagging) ? ', those with a replica behind or not up first' : ''}`}</span>
      <button type="button" class="button-small" disabled=${current >= pages - 1} onClick=${() => { setPage(current + 1) }}>Next</button>
    </nav>
    <${TableWrap} label="Partitions">
      <table class="partitions">
        <thead><tr><th scope="col" class="num">Partition</th><th scope="col" class="num">Write quorum</th><th scope="col">Replicas: status, records, lag, last repair</th></tr></thead>
        <tbody>
          ${shown.map((p) => html`
            <tr key=${p.partition} data-partition=${p.partition}>
              <th scope="row" class="num">${p.partition}</th>
              <td class="num">${p.writeQuorum}</td>
              <td>
                <ul class="replicas">
                  ${p.replicas.map((r) => html`
                    <li key=${r.peerId} class=${`replica replica-${r.status}${r.lag !== null && r.lag > 0 ? ' replica-behind' : ''}`}>
                      <code title=${r.peerId}>${shortPeer(r.peerId)}</code>
                      <span>${r.status}</span>
                      <span>${r.records === null ? 'no answer' : `${formatNumber(r.records)} records`}</span>
                      <span>${r.lag === null ? 'lag ?' : r.lag === 0 ? 'in sync' : `${formatNumber(r.lag)} behind`}</span>
                      <span class="muted">${r.lastRepair === null || r.lastRepair === undefined ? 'not repaired yet' : `repaired ${formatAgo(r.lastRepair, now)}`}</span>
                    </li>`)}
                </ul>
              </td>
            </tr>`)}
        </tbody>
      </table>
    <//>`
}
