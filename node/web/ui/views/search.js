// The search box (Chat.Search: ranked, over every room and the user's agent conversation) and its
// hits under the top bar: who, where, when, and the snippet with its matches marked (as text: the
// marks are slices of the snippet). A room's hit opens that room at the hit (its seq).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { METHODS } from '../lib/chat-messages.js'

/** The node takes 1-512 characters (docs/api.md, Search). */
const MAX_QUERY = 512

/** The snippet as text pieces, the marked ones in <mark>. */
function Snippet ({ text, marks }) {
  const pieces = []
  let at = 0
  for (const { start, length } of [...marks].sort((a, b) => a.start - b.start)) {
    if (start < at || start + length > text.length) continue
    pieces.push(text.slice(at, start), html`<mark>${text.slice(start, start + length)}</mark>`)
    at = start + length
  }
  pieces.push(text.slice(at))
  return html`<span class="snippet">${pieces}</span>`
}

export function Search ({ client, onOpen }) {
  const [query, setQuery] = useState('')
  const [found, setFound] = useState(undefined)
  const [error, setError] = useState(undefined)
  const search = async (event) => {
    event.preventDefault()
    const q = query.trim()
    if (q === '' || q.length > MAX_QUERY) { setError(`a search is 1 to ${MAX_QUERY} characters`); return }
    try {
      setFound(await client.call(METHODS.search, { query: q, limit: 50 }))
      setError(undefined)
    } catch (err) { setError(err.message); setFound(undefined) }
  }
  const close = () => { setFound(undefined); setError(undefined) }
  return html`<div class="search">
    <form role="search" onSubmit=${search}>
      <label for="search-text" class="hidden">Search</label>
      <input id="search-text" type="search" placeholder="Search rooms and your agent" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
      <button type="submit">Search</button>
    </form>
    ${(found !== undefined || error !== undefined) && html`<section class="search-results" aria-label="search results">
      <header><span>${error !== undefined ? 'search failed' : `${found.hits.length === 1 ? '1 hit' : `${found.hits.length} hits`}${found.partial ? ' (partial: some of the cluster did not answer)' : ''}`}</span>
        <button type="button" onClick=${close}>Close</button></header>
      ${error !== undefined && html`<p class="error" role="alert">${error}</p>`}
      <ol>${found?.hits.map((h) => html`<li key=${`${h.kind} ${h.name} ${h.seq}`} class="hit">
        <span class="meta">${h.kind === 'room'
          ? html`<button type="button" class="link" onClick=${() => { close(); onOpen(h.name, h.seq) }}>${h.name}</button>`
          : html`<span>your agent</span>`} · <span class="user">${h.author}</span> · <time>${h.ts > 0 ? new Date(h.ts).toLocaleString() : ''}</time></span>
        <${Snippet} text=${h.snippet} marks=${h.marks} />
      </li>`)}</ol>
    </section>`}
  </div>`
}
