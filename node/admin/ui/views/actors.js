// Actors: the live actors and active entities on every member (GET /actors), counted by type and node,
// searchable; one entity's detail and a migration (EntityDetail).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { useApp } from '../lib/app-context.js'
import { usePoll } from '../lib/use-poll.js'
import { formatNumber, shortPeer } from '../lib/format.js'
import { EntityDetail } from '../components/entity-detail.js'
import { ErrorMessage } from '../components/error-message.js'
import { PeerLabel } from '../components/peer-label.js'
import { StatusBadge } from '../components/status-badge.js'
import { TableWrap } from '../components/table-wrap.js'
import { UnreachableNote } from '../components/unreachable-note.js'

/** Rows drawn at most; a search narrows the rest. */
const MAX_ROWS = 300
const TYPE_PATTERN = /^[a-z][a-z0-9-]{0,31}$/

export function ActorsView () {
  const { api, cluster, self } = useApp()
  const [type, setType] = useState('')
  const [node, setNode] = useState('')
  const [search, setSearch] = useState('')
  const [plain, setPlain] = useState(false)
  const [selected, setSelected] = useState(undefined)
  const [lookup, setLookup] = useState({ type: 'room', key: '' })
  const [lookupError, setLookupError] = useState(undefined)
  // the system actors are asked for only when shown (the node leaves them out by default)
  const listing = usePoll(async () => await api.getListing(plain ? '/actors?all=true&limit=1000' : '/actors?limit=1000'), 3_000, [api, plain])

  const rows = listing.data?.body ?? []
  const types = [...new Set(rows.filter((r) => r.key !== null).map((r) => r.kind))].sort()
  const nodes = [...new Set([...(cluster.data?.members ?? []).map((m) => m.peerId), ...rows.map((r) => r.node)])].sort()
  const needle = search.trim().toLowerCase()
  const shown = rows.filter((r) => (plain || r.key !== null) &&
    (type === '' || r.kind === type) && (node === '' || r.node === node) &&
    (needle === '' || `${r.kind}/${r.key ?? ''} ${r.path}`.toLowerCase().includes(needle)))

  // entities by type (rows) and node (columns)
  const counts = new Map()
  for (const r of rows) {
    if (r.key === null) continue
    const byNode = counts.get(r.kind) ?? new Map()
    byNode.set(r.node, (byNode.get(r.node) ?? 0) + 1)
    counts.set(r.kind, byNode)
  }

  const submitLookup = (event) => {
    event.preventDefault()
    if (!TYPE_PATTERN.test(lookup.type.trim())) {
      setLookupError(new Error(`"${lookup.type}" is not an entity type: lower-case letters, digits and dashes, starting with a letter (room, agent, ...)`))
      return
    }
    if (lookup.key.trim() === '') {
      setLookupError(new Error('Enter the entity\'s key (a room name, a user name, ...)'))
      return
    }
    setLookupError(undefined)
    setSelected({ type: lookup.type.trim(), key: lookup.key.trim() })
  }

  return html`
    <${ErrorMessage} error=${listing.error} context="Could not list the actors" />
    <${UnreachableNote} peers=${listing.data?.unreachable} />
    <h2>Entities by type and node</h2>
    <${TableWrap} label="Entities by type and node">
      <table class="pivot">
        <thead><tr><th scope="col">Type</th>${nodes.map((n) => html`<th key=${n} scope="col" class="num"><${PeerLabel} peerId=${n} self=${self} /></th>`)}<th scope="col" class="num">All</th></tr></thead>
        <tbody>
          ${[...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, byNode]) => html`
            <tr key=${kind}><th scope="row">${kind}</th>
              ${nodes.map((n) => html`<td key=${n} class="num">${formatNumber(byNode.get(n) ?? 0)}</td>`)}
              <td class="num">${formatNumber([...byNode.values()].reduce((a, b) => a + b, 0))}</td></tr>`)}
        </tbody>
      </table>
    <//>

    <h2>Find</h2>
    <form class="filters" onSubmit=${(e) => { e.preventDefault() }} role="search" aria-label="Filter the actors">
      <div class="field">
        <label for="actor-search">Search keys and paths</label>
        <input id="actor-search" type="search" value=${search} onInput=${(e) => { setSearch(e.currentTarget.value) }} placeholder="general" />
      </div>
      <div class="field">
        <label for="actor-type">Type</label>
        <select id="actor-type" value=${type} onChange=${(e) => { setType(e.currentTarget.value) }}>
          <option value="">every type</option>
          ${types.map((t) => html`<option key=${t} value=${t}>${t}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="actor-node">Node</label>
        <select id="actor-node" value=${node} onChange=${(e) => { setNode(e.currentTarget.value) }}>
          <option value="">every node</option>
          ${nodes.map((n) => html`<option key=${n} value=${n}>${shortPeer(n)}${n === self ? ' (this node)' : ''}</option>`)}
        </select>
      </div>
      <label class="check" for="actor-plain"><input id="actor-plain" type="checkbox" checked=${plain} onChange=${(e) => { setPlain(e.currentTarget.checked) }} /> also plain actors (no key)</label>
    </form>
    <p class="muted" role="status">${listing.data === undefined ? 'Reading…' : `${shown.length} of ${rows.length} shown${shown.length > MAX_ROWS ? `; the first ${MAX_ROWS} are drawn, search to narrow` : ''}`}</p>
    <${TableWrap} label="Actors">
      <table class="actors">
        <thead><tr><th scope="col">Type</th><th scope="col">Key</th><th scope="col">Node</th><th scope="col">Status</th><th scope="col" class="num">Mailbox</th><th scope="col"><span class="sr-only">Detail</span></th></tr></thead>
        <tbody>
          ${shown.slice(0, MAX_ROWS).map((r) => html`
            <tr key=${r.path + r.node} data-entity=${r.key === null ? undefined : `${r.kind}/${r.key}`} data-node=${r.node}>
              <td>${r.kind}</td>
              <td>${r.key === null ? html`<code class="muted">${r.path}</code>` : html`<code>${r.key}</code>`}</td>
              <td><${PeerLabel} peerId=${r.node} self=${self} /></td>
              <td><${StatusBadge} value=${r.status} /></td>
              <td class="num">${formatNumber(r.mailbox)}</td>
              <td>${r.key !== null && html`<button type="button" class="button-small" aria-label=${`Details of ${r.kind}/${r.key}`} onClick=${() => { setSelected({ type: r.kind, key: r.key }) }}>Details</button>`}</td>
            </tr>`)}
        </tbody>
      </table>
    <//>

    <h2>Look up an entity</h2>
    <p class="hint">Also one that is not active now (it is read from its owner's journal).</p>
    <form class="filters" onSubmit=${submitLookup}>
      <div class="field">
        <label for="lookup-type">Type</label>
        <input id="lookup-type" list="entity-types" value=${lookup.type} onInput=${(e) => { setLookup({ ...lookup, type: e.currentTarget.value }) }} required />
        <datalist id="entity-types">${['room', 'agent', ...types].filter((t, i, a) => a.indexOf(t) === i).map((t) => html`<option key=${t} value=${t} />`)}</datalist>
      </div>
      <div class="field">
        <label for="lookup-key">Key</label>
        <input id="lookup-key" value=${lookup.key} onInput=${(e) => { setLookup({ ...lookup, key: e.currentTarget.value }) }} required maxlength="200" />
      </div>
      <button type="submit">Show</button>
    </form>
    <${ErrorMessage} error=${lookupError} />
    ${selected !== undefined && html`<${EntityDetail} key=${`${selected.type}/${selected.key}`} type=${selected.type} entityKey=${selected.key} onMoved=${listing.refresh} />`}`
}
