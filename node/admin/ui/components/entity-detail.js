// One entity (GET /api/v1/actors/{type}/{key}, asked of its owner) and a move to another member
// (POST /api/v1/actors/{type}/{key}/migrate, a migrate job).
import { useEffect, useRef, useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { formatNumber, shortPeer } from '../lib/format.js'
import { DownloadButton } from './download-button.js'
import { ErrorMessage } from './error-message.js'
import { PeerLabel } from './peer-label.js'

export function EntityDetail ({ type, entityKey, onMoved }) {
  const { api, cluster, self, track } = useApp()
  const detail = usePoll(async () => await api.get(`/actors/${seg(type)}/${seg(entityKey)}`), 2_000, [type, entityKey])
  const [to, setTo] = useState('')
  const migrate = useAction()
  const heading = useRef(null)
  const entity = detail.data
  // shown below a list that may be long: bring it into view, and the focus with it
  useEffect(() => {
    heading.current?.scrollIntoView({ block: 'nearest' })
    heading.current?.focus({ preventScroll: true })
  }, [])
  const targets = (cluster.data?.members ?? []).filter((m) => m.status === 'up' && m.peerId !== entity?.node && (entity?.role === undefined || m.roles.includes(entity.role)))
  const target = targets.some((m) => m.peerId === to) ? to : targets[0]?.peerId ?? ''

  const submit = (event) => {
    event.preventDefault()
    void migrate.run(async () => {
      const job = await api.post(`/actors/${seg(type)}/${seg(entityKey)}/migrate`, { to: target })
      track({ job, label: `Migrate ${type}/${entityKey} to ${shortPeer(target)}`, onEnd: () => { detail.refresh(); onMoved?.() } })
    })
  }

  return html`
    <section class="card entity-detail" aria-labelledby="entity-title" data-entity=${`${type}/${entityKey}`}>
      <h2 id="entity-title" tabindex="-1" ref=${heading}>Entity <code>${type}/${entityKey}</code></h2>
      <${ErrorMessage} error=${detail.error} context="Could not read the entity" />
      ${entity === undefined
        ? html`<p role="status">${detail.loading ? 'Reading…' : ''}</p>`
        : html`
          <dl class="facts">
            <dt>Owner</dt><dd data-testid="entity-node"><${PeerLabel} peerId=${entity.node} self=${self} /></dd>
            <dt>Role</dt><dd>${entity.role ?? '–'}</dd>
            <dt>Active</dt><dd>${entity.active ? 'yes, in memory' : 'no (on disk only)'}</dd>
            <dt>Status</dt><dd>${entity.status ?? '–'}</dd>
            <dt>Mailbox</dt><dd>${formatNumber(entity.mailbox)}</dd>
            <dt>Journal head (last seq)</dt><dd>${formatNumber(entity.seq)}</dd>
            ${entity.partition !== undefined && html`<dt>Partition</dt><dd data-testid="entity-partition">${entity.partition}</dd>`}
          </dl>
          ${(type === 'room' || type === 'agent') && html`
            <p class="export-row" data-testid="entity-export">
              <${DownloadButton} path=${type === 'room' ? `/rooms/${seg(entityKey)}/export?format=json` : `/users/${seg(entityKey)}/agent/export?format=json`}
                label="Export JSON" ariaLabel=${`Export ${type}/${entityKey} as JSON`} />
              <${DownloadButton} path=${type === 'room' ? `/rooms/${seg(entityKey)}/export?format=md` : `/users/${seg(entityKey)}/agent/export?format=md`}
                label="Export Markdown" ariaLabel=${`Export ${type}/${entityKey} as Markdown`} />
            </p>`}
          ${Array.isArray(entity.replicas) && html`
            <div class="table-wrap">
              <table data-testid="entity-replicas">
                <caption>Replicas of its journal (its partition's)</caption>
                <thead><tr><th scope="col">Replica</th><th scope="col">Status</th><th scope="col">Epoch</th><th scope="col">Lag (records)</th></tr></thead>
                <tbody>
                  ${entity.replicas.map((r) => html`
                    <tr key=${r.peerId} data-peer=${r.peerId}>
                      <td><${PeerLabel} peerId=${r.peerId} self=${self} /></td>
                      <td>${r.status}</td>
                      <td>${r.epoch === null ? 'no answer' : r.epoch}</td>
                      <td>${r.lag === null ? '–' : formatNumber(r.lag)}</td>
                    </tr>`)}
                </tbody>
              </table>
            </div>`}
          <form class="inline-form" onSubmit=${submit}>
            <label for="migrate-to">Move it to</label>
            <select id="migrate-to" value=${target} onChange=${(e) => { setTo(e.currentTarget.value) }} disabled=${targets.length === 0}>
              ${targets.map((m) => html`<option key=${m.peerId} value=${m.peerId}>${shortPeer(m.peerId)}${m.peerId === self ? ' (this node)' : ''} · ${m.roles.join(', ')}</option>`)}
            </select>
            <button type="submit" class="primary" disabled=${migrate.busy || target === ''}>${migrate.busy ? 'Starting…' : 'Migrate'}</button>
          </form>
          ${targets.length === 0 && html`<p class="hint">No other member that is up holds the ${entity.role ?? ''} role.</p>`}
          <p class="hint">A migrated entity is pinned to its new member while it stays active there.</p>`}
      <${ErrorMessage} error=${migrate.error} context="Could not migrate" onDismiss=${migrate.clear} />
    </section>`
}
