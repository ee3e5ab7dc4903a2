// The jobs started from this dashboard, whichever view started them, with their live progress.
import { html } from '../lib/html.js'
import { JobCard } from './job-card.js'

export function JobDock ({ tracker }) {
  const { tracked, dismiss, update } = tracker
  return html`
    <section class="job-dock" aria-label="Jobs started here" aria-live="polite">
      ${tracked.map((e) => html`
        <${JobCard} key=${e.key} job=${e.job} label=${e.label} pollError=${e.pollError}
          cancellable=${e.job.kind !== 'repair' || e.job.id.split('-').length > 2}
          onDismiss=${e.job.state !== 'running' || e.lost ? () => { dismiss(e.key) } : undefined} onChange=${(job) => { update(e.key, job) }} />`)}
    </section>`
}
