// Replication: every partition with its replicas, their lag and last repair (GET /partitions); start a
// repair of all of them or of one (POST /repairs, followed at GET /repairs/{id}).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { repairAsJob } from '../lib/job-tracker.js'
import { formatAgo, formatNumber, shortPeer } from '../lib/format.js'
import { ErrorMessage } from '../components/error-message.js'
import { TableWrap } from '../components/table-wrap.js'
import { UnreachableNote } from '../components/unreachable-note.js'

export function ReplicationView () {
  const { api, track } = useApp()
  const listing = usePoll(async () => await api.getListing('/partitions'), 5_000, [api])
  const [onlyLagging, setOnlyLagging] = useState(false)
  const [partition, setPartition] = useState('')
  const repair = useAction()
  const partitions = listing.data?.body ?? []
  const lagging = (p) => p.replicas.some((r) => r.lag === null || r.lag > 0 || r.status !== 'up')
  const shown = onlyLagging ? partitions.filter(lagging) : partitions
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
    <form class="filters" onSubmit=${startRepair} aria-label="Start a repair">
      <div class="field">
        <label for="repair-partition">Partition to repair (empty: every one)</label>
        <input id="repair-partition" type="number" min="0" max="65535" step="1" inputmode="numeric" value=${partition} onInput=${(e) => { setPartition(e.currentTarget.value) }} />
      </div>
      <button type="submit" class="primary" disabled=${repair.busy}>${repair.busy ? 'Starting…' : 'Start a repair'}</button>
    </form>
    <${ErrorMessage} error=${repair.error} context="Could not start the repair" onDismiss=${repair.clear} />
    <p class="hint">A repair compares every live replica with every other by Merkle trees; only what differs moves.</p>
    <label class="check" for="only-lagging"><input id="only-lagging" type="checkbox" checked=${onlyLagging} onChange=${(e) => { setOnlyLagging(e.currentTarget.checked) }} /> only partitions with a replica behind or not up</label>
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
