// Backups: the catalog (GET /backups) and the restores (GET /restores); create (POST /backups), verify
// (POST /backups/{id}/verify), restore (RestoreForm) and remove (DELETE /backups/{id}), with progress.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { formatBytes, formatDuration, formatNumber, formatTime } from '../lib/format.js'
import { ConfirmButton } from '../components/confirm-button.js'
import { ErrorMessage } from '../components/error-message.js'
import { PeerLabel } from '../components/peer-label.js'
import { RestoreForm } from '../components/restore-form.js'
import { StatusBadge } from '../components/status-badge.js'
import { TableWrap } from '../components/table-wrap.js'

const POLL_MS = 2_000

function selectionText (s) {
  const what = s.room !== undefined ? `room ${s.room}` : s.user !== undefined ? `agent of ${s.user}` : 'everything'
  return s.since === undefined ? what : `${what}, changed since ${formatTime(s.since)}`
}

export function BackupsView () {
  const { api, self, track } = useApp()
  const catalog = usePoll(async () => {
    const [backups, restores] = await Promise.all([api.get('/backups'), api.get('/restores')])
    return { backups, restores }
  }, POLL_MS, [api])
  const [note, setNote] = useState('')
  const [restoring, setRestoring] = useState(undefined)
  const [said, setSaid] = useState('')
  const [context, setContext] = useState('')
  const action = useAction()

  const run = (what, fn) => {
    setContext(`Could not ${what}`)
    setSaid('')
    void action.run(fn)
  }
  const create = (event) => {
    event.preventDefault()
    run('start a backup', async () => {
      const job = await api.post('/backups', note.trim() === '' ? {} : { note: note.trim() })
      track({ job, label: `Backup${note.trim() === '' ? '' : ` "${note.trim()}"`}`, onEnd: catalog.refresh })
      setNote('')
      catalog.refresh()
    })
  }
  const verify = (backup, full) => {
    run(`verify ${backup.id}`, async () => {
      const job = await api.post(`/backups/${seg(backup.id)}/verify`, full ? { full: true } : {})
      track({ job, label: `${full ? 'Full verify' : 'Verify'} of ${backup.id}` })
    })
  }
  const remove = (backup) => {
    run(`remove ${backup.id}`, async () => {
      const removed = await api.del(`/backups/${seg(backup.id)}`)
      setSaid(`Removed ${removed.id}: ${formatNumber(removed.chunks)} chunks (${formatBytes(removed.bytes)}) no other backup names.`)
      catalog.refresh()
    })
  }

  const backups = [...(catalog.data?.backups ?? [])].reverse()
  const restores = [...(catalog.data?.restores ?? [])].reverse()
  return html`
    <${ErrorMessage} error=${catalog.error} context="Could not read the backup catalog" />
    <form class="filters" onSubmit=${create} aria-label="Create a backup">
      <div class="field grow">
        <label for="backup-note">Note (optional)</label>
        <input id="backup-note" value=${note} maxlength="1000" onInput=${(e) => { setNote(e.currentTarget.value) }} placeholder="before the upgrade" />
      </div>
      <button type="submit" class="primary" disabled=${action.busy}>Create a backup</button>
    </form>
    <p class="hint">Backups need a node started with <code>--backup-key-file</code> and a member with the backup role; restores need the key that made the backup.</p>
    <${ErrorMessage} error=${action.error} context=${context} onDismiss=${action.clear} />
    <p class="said" role="status">${said}</p>
    ${restoring !== undefined && html`<${RestoreForm} key=${restoring.id} backup=${restoring} onClose=${() => { setRestoring(undefined) }} onEnd=${catalog.refresh} />`}
    <h2>Backups</h2>
    ${catalog.data !== undefined && backups.length === 0 && html`<p>No backups yet.</p>`}
    ${backups.length > 0 && html`<${TableWrap} label="Backups">
      <table class="backups">
        <thead><tr><th scope="col">Backup</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Note</th>
          <th scope="col" class="num">Entities</th><th scope="col" class="num">Records</th><th scope="col" class="num">Size</th><th scope="col" class="num">New chunks</th>
          <th scope="col">Key</th><th scope="col">Node</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${backups.map((b) => html`
            <tr key=${b.id} data-backup=${b.id} data-state=${b.state}>
              <th scope="row"><code>${b.id}</code>${b.resumed > 0 && html`<div class="muted small">resumed ${b.resumed}×</div>`}</th>
              <td><${StatusBadge} value=${b.state} />${b.error !== null && html`<div class="job-error">${b.error}</div>`}</td>
              <td class="nowrap">${formatTime(b.startedAt)}</td>
              <td>${b.endedAt === null ? '–' : formatDuration(b.endedAt - b.startedAt)}</td>
              <td>${b.note}</td>
              <td class="num">${formatNumber(b.stats?.entities)}</td>
              <td class="num">${formatNumber(b.stats?.records)}</td>
              <td class="num">${b.stats === null ? '–' : formatBytes(b.stats.bytes)}</td>
              <td class="num">${b.stats === null ? '–' : `${formatNumber(b.stats.newChunks)} of ${formatNumber(b.stats.chunks)}`}</td>
              <td><code>${b.keyFingerprint}</code></td>
              <td><${PeerLabel} peerId=${b.node} self=${self} /></td>
              <td class="actions-cell">
                <button type="button" class="button-small" disabled=${b.state !== 'done' || action.busy} onClick=${() => { verify(b, false) }} aria-label=${`Verify ${b.id}`}>Verify</button>
                <button type="button" class="button-small" disabled=${b.state !== 'done' || action.busy} onClick=${() => { verify(b, true) }} aria-label=${`Full verify of ${b.id}`}>Full verify</button>
                <button type="button" class="button-small primary" disabled=${b.state !== 'done'} onClick=${() => { setRestoring(b) }} aria-label=${`Restore ${b.id}`}>Restore…</button>
                <${ConfirmButton} label="Remove" ariaLabel=${`Remove ${b.id}`} title=${`Remove ${b.id}`} disabled=${action.busy || b.state === 'running'}
                  question=${`Remove backup ${b.id}? Its chunks that no other backup names are deleted from every holder. It cannot be restored afterwards.`}
                  confirmLabel="Remove it" onConfirm=${() => { remove(b) }} />
              </td>
            </tr>`)}
        </tbody>
      </table>
    <//>`}
    <h2>Restores</h2>
    ${catalog.data !== undefined && restores.length === 0 && html`<p>No restores yet (dry runs are not kept).</p>`}
    ${restores.length > 0 && html`<${TableWrap} label="Restores">
      <table class="restores">
        <thead><tr><th scope="col">Restore</th><th scope="col">Backup</th><th scope="col">What</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Node</th><th scope="col">Started</th><th scope="col">Ended</th></tr></thead>
        <tbody>
          ${restores.map((r) => html`
            <tr key=${r.id} data-restore=${r.id} data-state=${r.state}>
              <th scope="row"><code>${r.id}</code></th>
              <td><code>${r.backup}</code></td>
              <td>${selectionText(r.selection)}</td>
              <td><${StatusBadge} value=${r.state} />${r.error !== null && html`<div class="job-error">${r.error}</div>`}</td>
              <td><div class="progress"><progress max=${Math.max(1, r.total)} value=${r.state === 'done' ? Math.max(1, r.total) : r.cursor} aria-label=${`${r.id} progress`}></progress><span class="progress-text">${r.cursor} of ${r.total}</span></div></td>
              <td><${PeerLabel} peerId=${r.node} self=${self} /></td>
              <td class="nowrap">${formatTime(r.startedAt)}</td>
              <td class="nowrap">${formatTime(r.endedAt)}</td>
            </tr>`)}
        </tbody>
      </table>
    <//>`}`
}
