// One job: what it is, its state, its progress, what it says it does, what is left; cancel while running.
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { formatTime } from '../lib/format.js'
import { ErrorMessage } from './error-message.js'
import { JobProgress } from './job-progress.js'
import { StatusBadge } from './status-badge.js'

export function JobCard ({ job, label, onDismiss, onChange, pollError, cancellable = true }) {
  const { api } = useApp()
  const cancel = useAction()
  const doCancel = () => cancel.run(async () => {
    const after = await api.post(`/jobs/${seg(job.id)}/cancel`)
    onChange?.(after)
  })
  return html`
    <article class=${`job-card job-${job.state}`} data-job=${job.id} data-state=${job.state} aria-label=${`${label ?? job.kind} ${job.id}`}>
      <header>
        <strong>${label ?? job.kind}</strong>
        <code>${job.id}</code>
        <${StatusBadge} value=${job.state} />
        ${job.state === 'running' && cancellable && html`<button type="button" class="button-small" onClick=${doCancel} disabled=${cancel.busy}>${cancel.busy ? 'Cancelling…' : 'Cancel'}</button>`}
      </header>
      ${onDismiss !== undefined && html`<button type="button" class="icon-button dismiss" aria-label=${`Dismiss job ${job.id}`} onClick=${onDismiss}>×</button>`}
      <${JobProgress} job=${job} />
      <p class="job-message">${job.message}</p>
      ${job.error !== null && job.error !== undefined && job.error !== '' && html`<p class="job-error" role="alert">Failed: ${job.error}</p>`}
      ${job.left?.length > 0 && html`
        <details>
          <summary>${job.state === 'running' ? 'Left' : 'Items'} (${job.left.length})</summary>
          <ul class="job-left">${job.left.map((l, i) => html`<li key=${i}><code>${l.item}</code> ${l.why}</li>`)}</ul>
        </details>`}
      <p class="muted small">started ${formatTime(job.startedAt)}${job.endedAt !== null && job.endedAt !== undefined ? `, ended ${formatTime(job.endedAt)}` : ''}</p>
      <${ErrorMessage} error=${pollError} context="Could not read its progress" />
      <${ErrorMessage} error=${cancel.error} context="Could not cancel" onDismiss=${cancel.clear} />
    </article>`
}
