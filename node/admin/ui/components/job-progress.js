// A job's progress: a bar of done over total (moving while the total is not known yet) and the words.
import { html } from '../lib/html.js'

export function JobProgress ({ job }) {
  const known = job.total > 0
  const label = known ? `${job.done} of ${job.total}${job.failed > 0 ? `, ${job.failed} failed` : ''}` : job.state === 'running' ? 'starting' : `${job.done} done`
  return html`
    <div class="progress">
      ${known || job.state !== 'running'
        ? html`<progress max=${known ? job.total : 1} value=${known ? Math.min(job.done + job.failed, job.total) : 1} aria-label=${`${job.id} progress`}></progress>`
        : html`<progress aria-label=${`${job.id} progress`}></progress>`}
      <span class="progress-text">${label}</span>
    </div>`
}
