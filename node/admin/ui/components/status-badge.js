// A state or status as a coloured word (the colour repeats the word; it never stands alone).
import { html } from '../lib/html.js'

const TONES = {
  up: 'good', done: 'good', ready: 'good', running: 'busy', joining: 'busy', draining: 'warn', suspect: 'warn',
  cancelled: 'warn', down: 'bad', failed: 'bad', invalid: 'bad', unknown: 'muted', leaving: 'warn', active: 'good',
  starting: 'busy', restarting: 'warn', stopping: 'warn', stopped: 'muted', unreachable: 'bad', pending: 'muted', enabled: 'good', disabled: 'muted', gone: 'muted'
}

export function StatusBadge ({ value }) {
  return html`<span class=${`badge badge-${TONES[value] ?? 'muted'}`}>${value}</span>`
}
