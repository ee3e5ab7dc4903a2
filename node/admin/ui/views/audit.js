// Audit: the cluster's hash-chained audit trail (GET /audit, newest page first) and a check of the
// whole chain (GET /audit/verify).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { formatTime } from '../lib/format.js'
import { ErrorMessage } from '../components/error-message.js'
import { PeerLabel } from '../components/peer-label.js'
import { TableWrap } from '../components/table-wrap.js'

const PAGE = 100
const POLL_MS = 5_000

export function AuditView () {
  const { api, self } = useApp()
  // the last page: the head's seq first, then the records before it
  const trail = usePoll(async () => {
    const { head } = await api.get('/audit?limit=1')
    const after = Math.max(0, head.seq - PAGE)
    return { head, records: (await api.get(`/audit?after=${after}&limit=${PAGE}`)).records.reverse() }
  }, POLL_MS, [api])
  const verify = useAction()
  const [verdict, setVerdict] = useState(undefined)
  const check = () => { void verify.run(async () => { setVerdict(await api.get('/audit/verify')) }) }
  const records = trail.data?.records ?? []

  return html`
    <p class="muted">Every admin action on any member, and every failed admin authentication, recorded before it was answered. Each record holds the hash of the one before, so a record changed, removed or moved breaks the chain.</p>
    <div class="inline-form">
      <button type="button" class="primary" onClick=${check} disabled=${verify.busy}>${verify.busy ? 'Checking…' : 'Verify the chain'}</button>
      ${verdict !== undefined && html`
        <p role="status" class=${verdict.ok ? 'verdict ok' : 'verdict broken'} data-verdict=${verdict.ok ? 'whole' : 'broken'}>
          ${verdict.ok ? `Whole: ${verdict.records} records, each following the one before.` : `Broken at record ${verdict.brokenAt}: ${verdict.reason}`}
        </p>`}
    </div>
    <${ErrorMessage} error=${verify.error} context="Could not verify the trail" onDismiss=${verify.clear} />
    <${ErrorMessage} error=${trail.error} context="Could not read the trail" />
    <p class="muted" role="status">${trail.data === undefined ? 'Reading…' : `${trail.data.head.seq} records; the last ${records.length}, newest first.`}</p>
    <${TableWrap} label="Audit records">
      <table class="audit">
        <thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">From</th><th scope="col">Node</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
        <tbody>
          ${records.map((r) => html`
            <tr key=${r.seq} data-seq=${r.seq} data-outcome=${r.outcome}>
              <td>${r.seq}</td>
              <td>${formatTime(r.ts)}</td>
              <td>${r.actor}</td>
              <td><code>${r.ip}</code></td>
              <td><${PeerLabel} peerId=${r.node} self=${self} /></td>
              <td><code>${r.action}</code></td>
              <td><code>${r.target}</code></td>
              <td>${r.outcome} ${r.status}</td>
              <td><code>${r.detail}</code></td>
            </tr>`)}
        </tbody>
      </table>
    <//>`
}
