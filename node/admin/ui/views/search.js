// Search: an admin's ranked search over every room and agent conversation (GET /search), with the
// filters of the API; each hit names its room and seq, its match marked.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { formatTime } from '../lib/format.js'
import { ErrorMessage } from '../components/error-message.js'
import { TableWrap } from '../components/table-wrap.js'

const MODES = [['text', 'Words (BM25)'], ['semantic', 'Meaning (embeddings)'], ['hybrid', 'Both (fused)']]

/** The snippet with each [start, length] match in a <mark>. */
function Marked ({ snippet, marks }) {
  const parts = []
  let at = 0
  for (const [start, length] of [...marks].sort((a, b) => a[0] - b[0])) {
    if (start < at) continue
    parts.push(snippet.slice(at, start), html`<mark key=${start}>${snippet.slice(start, start + length)}</mark>`)
    at = start + length
  }
  parts.push(snippet.slice(at))
  return html`<span class="snippet">${parts}</span>`
}

/** What the answer leaves out, in words. */
function partialNote (r) {
  const why = []
  if (r.missing.length > 0) why.push(`${r.missing.length} partitions had no replica that answered`)
  if (r.incomplete.length > 0) why.push(`${r.incomplete.length} node(s) are still rebuilding their index`)
  if (r.failed.length > 0) why.push(`failed: ${r.failed.map((f) => f.error).join('; ')}`)
  return why.join('; ')
}

export function SearchView () {
  const { api } = useApp()
  const [form, setForm] = useState({ q: '', rooms: '', author: '', as: '', mode: 'text', limit: '20' })
  const [result, setResult] = useState(undefined)
  const search = useAction()
  const set = (key) => (e) => { setForm({ ...form, [key]: e.currentTarget.value }) }
  const submit = (e) => {
    e.preventDefault()
    const params = new URLSearchParams({ q: form.q, mode: form.mode, limit: form.limit })
    for (const key of ['rooms', 'author', 'as']) if (form[key].trim() !== '') params.set(key, form[key].trim())
    void search.run(async () => { setResult(await api.get(`/search?${params}`)) })
  }

  return html`
    <p class="muted">Ranked search over every room and every user's agent conversation, answered by the members that hold each partition. A hit is ROOM#SEQ: the post's place in its room.</p>
    <form class="filters" role="search" aria-label="Search the conversations" onSubmit=${submit}>
      <div class="field grow">
        <label for="search-q">Words</label>
        <input id="search-q" type="search" required maxlength="512" value=${form.q} onInput=${set('q')} />
      </div>
      <div class="field">
        <label for="search-rooms">Rooms (comma-separated)</label>
        <input id="search-rooms" value=${form.rooms} onInput=${set('rooms')} />
      </div>
      <div class="field">
        <label for="search-author">Author</label>
        <input id="search-author" value=${form.author} onInput=${set('author')} />
      </div>
      <div class="field">
        <label for="search-as">As user (blank: as admin)</label>
        <input id="search-as" value=${form.as} onInput=${set('as')} />
      </div>
      <div class="field">
        <label for="search-mode">Rank by</label>
        <select id="search-mode" value=${form.mode} onChange=${set('mode')}>
          ${MODES.map(([value, label]) => html`<option key=${value} value=${value}>${label}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="search-limit">Hits</label>
        <input id="search-limit" type="number" min="1" max="100" value=${form.limit} onInput=${set('limit')} />
      </div>
      <button type="submit" class="primary" disabled=${search.busy}>${search.busy ? 'Searching…' : 'Search'}</button>
    </form>
    <${ErrorMessage} error=${search.error} context="Could not search" onDismiss=${search.clear} />
    ${result !== undefined && html`
      <p class="muted" role="status" data-partial=${result.partial ? 'yes' : 'no'}>
        ${result.hits.length} hits${result.partial ? ` (partial: ${partialNote(result)})` : ''}${form.mode !== 'text' && result.semantic !== 'used' ? `; meaning ranking ${result.semantic === 'partial' ? 'ran on some nodes only' : 'is not available: no node embeds'}` : ''}.
      </p>
      <${TableWrap} label="Search hits">
        <table class="search-hits">
          <thead><tr><th scope="col">Where</th><th scope="col">Author</th><th scope="col">Time</th><th scope="col">Post</th><th scope="col">Score</th></tr></thead>
          <tbody>
            ${result.hits.map((h) => html`
              <tr key=${`${h.kind}/${h.name}#${h.seq}`} data-hit=${`${h.kind}/${h.name}#${h.seq}`}>
                <td><code>${h.kind === 'room' ? `${h.name}#${h.seq}` : `agent ${h.name}#${h.seq}`}</code></td>
                <td>${h.author}</td>
                <td>${formatTime(h.ts)}</td>
                <td><${Marked} snippet=${h.snippet} marks=${h.marks} /></td>
                <td>${h.score.toPrecision(3)}</td>
              </tr>`)}
          </tbody>
        </table>
      <//>`}`
}
