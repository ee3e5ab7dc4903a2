// The MCP servers registered for the cluster (GET /mcp-servers), in the Plugins view: each one's
// transport (its command or URL, and the names of what it is given: never a secret, which the API
// never shows), every plugins-role member's connection to it (state, tools, restarts, why it
// failed), and Remove (DELETE /mcp-servers/{name}). They are registered with the CLI, which reads
// secrets from files or the shell rather than from a form.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { formatTime } from '../lib/format.js'
import { ConfirmButton } from './confirm-button.js'
import { ErrorMessage } from './error-message.js'
import { PeerLabel } from './peer-label.js'
import { StatusBadge } from './status-badge.js'
import { TableWrap } from './table-wrap.js'
import { UnreachableNote } from './unreachable-note.js'

const POLL_MS = 2_000

/** What a server is given, in words: its variables' names and network, or its auth's kind. */
export function givenText (s) {
  const given = s.kind === 'stdio'
    ? [...(s.envNames ?? []).map((n) => `env ${n}`), ...(s.network === true ? ['network'] : [])]
    : s.auth === undefined ? [] : [`${s.auth} auth`]
  return given.length === 0 ? 'nothing' : given.join(', ')
}

export function McpServersSection () {
  const { api, self } = useApp()
  const listing = usePoll(async () => await api.getListing('/mcp-servers'), POLL_MS, [api])
  const action = useAction()
  const [said, setSaid] = useState('')
  const remove = (name) => {
    setSaid('')
    void action.run(async () => {
      await api.del(`/mcp-servers/${seg(name)}`)
      setSaid(`Removed ${name}: every member disconnects from it.`)
      listing.refresh()
    })
  }
  const servers = listing.data?.body ?? []
  return html`
    <section class="card mcp-servers" aria-label="MCP servers">
      <h2>MCP servers</h2>
      <p class="hint">Servers an admin registered for the whole cluster: every plugins-role member connects to each, and their tools are offered as <code>${'<name>__<tool>'}</code> to the users granted them. Register one with <code>${'plexi admin mcp-servers add NAME --command CMD | --url URL'}</code> (secrets are read from files or the shell, and never shown here).</p>
      <${ErrorMessage} error=${listing.error} context="Could not list the MCP servers" />
      <${UnreachableNote} peers=${listing.data?.unreachable} />
      <${ErrorMessage} error=${action.error} context="Could not remove the server" onDismiss=${action.clear} />
      <p class="said" role="status" aria-live="polite">${said}</p>
      ${listing.data !== undefined && servers.length === 0 && html`<p>No MCP servers registered.</p>`}
      ${servers.length > 0 && html`
        <${TableWrap} label="MCP servers and their members">
          <table class="mcp-server-table">
            <thead><tr><th scope="col">Server</th><th scope="col">Target</th><th scope="col">Given</th><th scope="col">Member</th><th scope="col">State</th>
              <th scope="col" class="num">Tools</th><th scope="col" class="num">Restarts</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              ${servers.flatMap((s) => serverRows(s, self, action.busy, remove))}
            </tbody>
          </table>
        <//>`}
    </section>`
}

/** A server's rows: one per member (the first with the server's own cells), or one saying none. */
function serverRows (s, self, busy, remove) {
  const nodes = s.nodes.length === 0 ? [undefined] : s.nodes
  return nodes.map((n, i) => html`
    <tr key=${`${s.name}-${n?.node ?? 'none'}`} data-server=${s.name} data-node=${n?.node ?? ''} data-state=${n?.state ?? 'none'}>
      ${i === 0 && html`
        <th scope="row" rowspan=${nodes.length}><code>${s.name}</code> <span class="muted">${s.kind}</span>${s.description !== '' && html`<div class="small muted">${s.description}</div>`}</th>
        <td rowspan=${nodes.length} class="small"><code>${s.target}</code></td>
        <td rowspan=${nodes.length} class="small" data-testid="given">${givenText(s)}</td>`}
      ${n === undefined
        ? html`<td colspan="4" class="muted">No plugins-role member answered (give one the plugins role).</td>`
        : html`
          <td><${PeerLabel} peerId=${n.node} self=${self} /></td>
          <td><${StatusBadge} value=${n.state} />${n.state === 'up' && n.upSince !== null && html` <span class="small muted">since ${formatTime(n.upSince)}</span>`}
            ${n.error !== null && html`<div class="job-error">${n.error}</div>`}</td>
          <td class="num" title=${n.tools.join(', ')}>${n.tools.length}</td>
          <td class="num">${n.restarts}</td>`}
      ${i === 0 && html`
        <td rowspan=${nodes.length}>
          <${ConfirmButton} label="Remove" ariaLabel=${`Remove the MCP server ${s.name}`} title=${`Remove ${s.name}`} disabled=${busy}
            question=${`Remove the MCP server ${s.name}? Every member disconnects from it, and its tools are no longer offered.`} confirmLabel="Remove it" onConfirm=${() => { remove(s.name) }} />
        </td>`}
    </tr>`)
}
