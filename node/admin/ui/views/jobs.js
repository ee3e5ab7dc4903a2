// Jobs: every member's jobs (drains, migrations, repairs, backups, ...) with live progress, read every
// second while the page is visible (GET /jobs); cancel a running one (POST /jobs/{id}/cancel).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { useApp } from '../lib/app-context.js'
import { usePoll } from '../lib/use-poll.js'
import { ErrorMessage } from '../components/error-message.js'
import { JobCard } from '../components/job-card.js'
import { UnreachableNote } from '../components/unreachable-note.js'

const KINDS = ['drain', 'decommission', 'rebalance', 'migrate', 'repair', 'backup', 'verify', 'restore', 'sweep']
const STATES = ['running', 'done', 'failed', 'cancelled']
const POLL_MS = 1_000

export function JobsView () {
  const { api } = useApp()
  const [kind, setKind] = useState('')
  const [state, setState] = useState('')
  const query = new URLSearchParams({ ...(kind !== '' && { kind }), ...(state !== '' && { state }) }).toString()
  const jobs = usePoll(async () => await api.get(`/jobs${query === '' ? '' : `?${query}`}`), POLL_MS, [api, query])
  const list = jobs.data?.jobs ?? []
  const running = list.filter((j) => j.state === 'running').length

  return html`
    <form class="filters" onSubmit=${(e) => { e.preventDefault() }} aria-label="Filter the jobs">
      <div class="field">
        <label for="job-kind">Kind</label>
        <select id="job-kind" value=${kind} onChange=${(e) => { setKind(e.currentTarget.value) }}>
          <option value="">every kind</option>
          ${KINDS.map((k) => html`<option key=${k} value=${k}>${k}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="job-state">State</label>
        <select id="job-state" value=${state} onChange=${(e) => { setState(e.currentTarget.value) }}>
          <option value="">every state</option>
          ${STATES.map((s) => html`<option key=${s} value=${s}>${s}</option>`)}
        </select>
      </div>
    </form>
    <${ErrorMessage} error=${jobs.error} context="Could not list the jobs" />
    <${UnreachableNote} peers=${jobs.data?.unreachable} />
    <p class="muted" role="status">${jobs.data === undefined ? 'Reading…' : `${list.length} jobs, ${running} running. Jobs are kept in memory by the node that runs them (the running ones and its last 100).`}</p>
    <div class="job-list">
      ${list.map((job) => html`<${JobCard} key=${job.id} job=${job} onChange=${jobs.refresh} />`)}
    </div>`
}
