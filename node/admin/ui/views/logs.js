// Logs: a live tail of this node's structured log (GET /logs/stream?level=L: its recent lines, then each
// new one), from a minimum level, searchable.
import { useEffect, useRef, useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { useApp } from '../lib/app-context.js'
import { useEventStream } from '../lib/use-event-stream.js'
import { formatClock } from '../lib/format.js'
import { StreamStatus } from '../components/stream-status.js'

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
/** Lines kept in the page; older ones go. */
const MAX_LINES = 1_000

function fieldsText (fields) {
  if (fields === null || typeof fields !== 'object') return ''
  return Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
}

export function LogsView () {
  const { api } = useApp()
  const [level, setLevel] = useState('info')
  const [search, setSearch] = useState('')
  const [paused, setPaused] = useState(false)
  const [entries, setEntries] = useState([])
  const box = useRef(null)
  const stick = useRef(true)

  const status = useEventStream(api, `/logs/stream?level=${encodeURIComponent(level)}`, (event) => {
    let data
    try {
      data = JSON.parse(event.data)
    } catch {
      return
    }
    if (event.type === 'history') setEntries((data.entries ?? []).slice(-MAX_LINES))
    else if (event.type === 'entry') {
      setEntries((list) => (list.length > 0 && list.at(-1).seq >= data.seq) ? list : [...list.slice(-(MAX_LINES - 1)), data])
    }
  })

  // the view follows the newest line while it is scrolled to the bottom
  const [shown, setShown] = useState(entries)
  useEffect(() => { if (!paused) setShown(entries) }, [entries, paused])
  useEffect(() => {
    const el = box.current
    if (el !== null && stick.current) el.scrollTop = el.scrollHeight
  }, [shown])
  const scrolled = () => {
    const el = box.current
    if (el !== null) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40
  }

  const needle = search.trim().toLowerCase()
  const visible = needle === '' ? shown : shown.filter((e) => `${e.msg} ${e.component ?? ''} ${fieldsText(e.fields)}`.toLowerCase().includes(needle))

  return html`
    <form class="filters" onSubmit=${(e) => { e.preventDefault() }} aria-label="Filter the log">
      <div class="field">
        <label for="log-level">Lowest level</label>
        <select id="log-level" value=${level} onChange=${(e) => { setLevel(e.currentTarget.value) }}>
          ${LEVELS.map((l) => html`<option key=${l} value=${l}>${l}</option>`)}
        </select>
      </div>
      <div class="field grow">
        <label for="log-search">Search</label>
        <input id="log-search" type="search" value=${search} onInput=${(e) => { setSearch(e.currentTarget.value) }} />
      </div>
      <button type="button" aria-pressed=${paused ? 'true' : 'false'} onClick=${() => { setPaused(!paused) }}>${paused ? 'Resume' : 'Pause'}</button>
    </form>
    <${StreamStatus} status=${status} what="log lines" />
    <p class="muted small">${visible.length} lines shown${paused ? ' (paused: new lines wait)' : ''}; the last ${MAX_LINES} are kept.</p>
    <div class="log" ref=${box} onScroll=${scrolled} role="log" aria-label="Log lines" tabindex="0">
      ${visible.map((e) => html`
        <div key=${e.seq} class=${`log-line level-${e.level}`} data-level=${e.level}>
          <time datetime=${Number.isFinite(e.time) ? new Date(e.time).toISOString() : undefined}>${formatClock(e.time)}</time>
          <span class="level">${e.level}</span>
          ${typeof e.component === 'string' && e.component !== '' && html`<span class="component">${e.component}</span>`}
          <span class="msg">${e.msg}</span>
          <span class="fields">${fieldsText(e.fields)}</span>
        </div>`)}
    </div>`
}
