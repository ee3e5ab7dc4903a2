// Restore a backup: everything, one room or one user's agent, optionally only what changed since a
// time, optionally as a dry run (POST /backups/{id}/restore, a restore job). A real restore asks first.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { ConfirmDialog } from './confirm-dialog.js'
import { ErrorMessage } from './error-message.js'

export function RestoreForm ({ backup, onClose, onEnd }) {
  const { api, track } = useApp()
  const rooms = usePoll(async () => await api.get('/rooms'), 0, [api])
  const [scope, setScope] = useState('all')
  const [room, setRoom] = useState('')
  const [user, setUser] = useState('')
  const [since, setSince] = useState('')
  const [dryRun, setDryRun] = useState(false)
  const [asking, setAsking] = useState(false)
  const restore = useAction()

  const body = () => ({
    ...(scope === 'room' && { room: room.trim() }),
    ...(scope === 'user' && { user: user.trim() }),
    ...(since !== '' && { since: new Date(since).toISOString() }),
    ...(dryRun && { dryRun: true })
  })
  const what = scope === 'room' ? `room ${room.trim()}` : scope === 'user' ? `the agent of ${user.trim()}` : 'every entity'
  const start = () => {
    void restore.run(async () => {
      const job = await api.post(`/backups/${seg(backup.id)}/restore`, body())
      track({ job, label: `${dryRun ? 'Dry run of a restore' : 'Restore'} of ${what} from ${backup.id}`, onEnd })
      onClose()
    })
  }
  const submit = (event) => {
    event.preventDefault()
    if (dryRun) start()
    else setAsking(true)
  }

  return html`
    <form class="card restore-form" onSubmit=${submit} aria-labelledby="restore-title">
      <h2 id="restore-title">Restore <code>${backup.id}</code></h2>
      <fieldset>
        <legend>What to restore</legend>
        <label class="check" for="restore-all"><input type="radio" id="restore-all" name="scope" value="all" checked=${scope === 'all'} onChange=${() => { setScope('all') }} /> everything in the backup</label>
        <label class="check" for="restore-room"><input type="radio" id="restore-room" name="scope" value="room" checked=${scope === 'room'} onChange=${() => { setScope('room') }} /> one room</label>
        <label class="check" for="restore-user"><input type="radio" id="restore-user" name="scope" value="user" checked=${scope === 'user'} onChange=${() => { setScope('user') }} /> one user's agent</label>
      </fieldset>
      ${scope === 'room' && html`
        <div class="field">
          <label for="restore-room-name">Room</label>
          <input id="restore-room-name" list="restore-rooms" value=${room} onInput=${(e) => { setRoom(e.currentTarget.value) }} required maxlength="200" />
          <datalist id="restore-rooms">${(rooms.data ?? []).map((r) => html`<option key=${r.name} value=${r.name} />`)}</datalist>
        </div>`}
      ${scope === 'user' && html`
        <div class="field">
          <label for="restore-user-name">User</label>
          <input id="restore-user-name" value=${user} onInput=${(e) => { setUser(e.currentTarget.value) }} required maxlength="200" />
        </div>`}
      <div class="field">
        <label for="restore-since">Only entities changed since (optional)</label>
        <input id="restore-since" type="datetime-local" step="1" value=${since} onInput=${(e) => { setSince(e.currentTarget.value) }} />
      </div>
      <label class="check" for="restore-dry-run"><input type="checkbox" id="restore-dry-run" checked=${dryRun} onChange=${(e) => { setDryRun(e.currentTarget.checked) }} /> dry run: write nothing, list what would change</label>
      <div class="actions">
        <button type="submit" class=${dryRun ? 'primary' : 'danger'} disabled=${restore.busy}>${restore.busy ? 'Starting…' : dryRun ? 'Start the dry run' : 'Restore'}</button>
        <button type="button" onClick=${onClose}>Cancel</button>
      </div>
      <${ErrorMessage} error=${restore.error} context="Could not start the restore" onDismiss=${restore.clear} />
      <${ConfirmDialog} open=${asking} title="Restore from a backup"
        question=${`Restore ${what} as it was in ${backup.id}? What was written since goes; entities are held still while they are restored.`}
        confirmLabel="Restore it" onConfirm=${() => { setAsking(false); start() }} onCancel=${() => { setAsking(false) }} />
    </form>`
}
