// Plugins: the cluster's plugins (GET /plugins) and what each plugins-role member runs of them: version,
// state, calls, errors, latency, restarts, memory, and the permissions each is granted; install a .tgz
// (POST /plugins), enable, disable, upgrade, roll back (POST /plugins/{name}/…) and remove (DELETE);
// each one's stderr lines on every member (GET /plugins/{name}/logs); then the MCP servers registered
// for the cluster, with every member's connection to each (McpServersSection).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { formatBytes, formatNumber, formatTime } from '../lib/format.js'
import { ConfirmButton } from '../components/confirm-button.js'
import { ErrorMessage } from '../components/error-message.js'
import { McpServersSection } from '../components/mcp-servers-section.js'
import { PeerLabel } from '../components/peer-label.js'
import { StatusBadge } from '../components/status-badge.js'
import { TableWrap } from '../components/table-wrap.js'
import { UnreachableNote } from '../components/unreachable-note.js'

const POLL_MS = 2_000
const LOG_LINES = 50

/** What a manifest's permissions grant, in words (as `plexi admin plugins show` says it). */
export function permissionsText (p = {}) {
  const parts = [
    ...(p.read?.length > 0 ? [`read ${p.read.join(', ')}`] : []),
    ...(p.write?.length > 0 ? [`write ${p.write.join(', ')}`] : []),
    ...(p.network === true ? ['network'] : []),
    ...(p.childProcess === true ? ['child processes'] : []),
    ...(p.addons === true ? ['native addons'] : []),
    ...(p.env?.length > 0 ? [`env ${p.env.join(', ')}`] : []),
    ...(typeof p.memoryMiB === 'number' ? [`${p.memoryMiB} MiB of memory`] : [])
  ]
  return parts.length === 0 ? 'none beyond reading its own package' : parts.join('; ')
}

export function PluginsView () {
  const { api } = useApp()
  const listing = usePoll(async () => await api.getListing('/plugins'), POLL_MS, [api])
  const action = useAction()
  const [file, setFile] = useState(undefined)
  const [said, setSaid] = useState('')
  const [context, setContext] = useState('')

  const run = (what, fn) => {
    setContext(`Could not ${what}`)
    setSaid('')
    void action.run(async () => {
      setSaid(await fn())
      listing.refresh()
    })
  }
  const install = (event) => {
    event.preventDefault()
    if (file === undefined) return
    run(`install ${file.name}`, async () => {
      const done = await api.upload('/plugins', file, 'application/gzip')
      const { name, active } = done.plugin
      if (!done.installed) return `${name} ${done.version} is installed already: nothing changed.`
      return active === done.version ? `Installed ${name} ${done.version}: every plugins-role member starts it.` : `Stored ${name} ${done.version}: upgrade to it to run it (it runs ${active}).`
    })
  }

  const plugins = listing.data?.body ?? []
  return html`
    <${ErrorMessage} error=${listing.error} context="Could not list the plugins" />
    <${UnreachableNote} peers=${listing.data?.unreachable} />
    <form class="filters" onSubmit=${install} aria-label="Install a plugin">
      <div class="field grow">
        <label for="plugin-package">Package (.tgz)</label>
        <input id="plugin-package" type="file" accept=".tgz,.tar.gz,application/gzip" onChange=${(e) => { setFile(e.currentTarget.files?.[0]) }} />
      </div>
      <button type="submit" class="primary" disabled=${action.busy || file === undefined}>Install</button>
    </form>
    <p class="hint">A plugin runs on every member with the plugins role; an upgrade or a rollback starts the other version beside the running one and moves the calls to it once it is up. <code>${'plexi admin plugins install <folder>'}</code> packs a folder.</p>
    <${ErrorMessage} error=${action.error} context=${context} onDismiss=${action.clear} />
    <p class="said" role="status" aria-live="polite">${said}</p>
    ${listing.data !== undefined && plugins.length === 0 && html`<p>No plugins installed.</p>`}
    ${plugins.map((p) => html`<${PluginCard} key=${p.name} plugin=${p} busy=${action.busy} run=${run} />`)}
    <${McpServersSection} />`
}

function PluginCard ({ plugin: p, busy, run }) {
  const { api, self } = useApp()
  const others = p.versions.filter((v) => v.version !== p.active)
  const [target, setTarget] = useState('')
  const [logsOpen, setLogsOpen] = useState(false)
  const chosen = others.some((v) => v.version === target) ? target : others[0]?.version ?? ''
  const post = (verb, body) => async () => await api.post(`/plugins/${seg(p.name)}/${verb}`, body)
  const toggle = () => {
    run(p.enabled ? `disable ${p.name}` : `enable ${p.name}`, async () => {
      await post(p.enabled ? 'disable' : 'enable')()
      return p.enabled ? `${p.name} is disabled: every member stops it.` : `${p.name} is enabled: every plugins-role member starts it.`
    })
  }
  const upgrade = () => {
    run(`switch ${p.name} to ${chosen}`, async () => {
      await post('upgrade', { version: chosen })()
      return `${p.name} switches to ${chosen}.`
    })
  }
  const rollback = () => {
    run(`roll ${p.name} back`, async () => {
      await post('rollback')()
      return `${p.name} rolls back to ${p.previous}.`
    })
  }
  const remove = () => {
    run(`remove ${p.name}`, async () => {
      await api.del(`/plugins/${seg(p.name)}`)
      return `Removed ${p.name}.`
    })
  }
  return html`
    <section class="card plugin" data-plugin=${p.name} data-active=${p.active} data-enabled=${p.enabled ? 'yes' : 'no'} aria-label=${`Plugin ${p.name}`}>
      <h2 class="plugin-title"><code>${p.name}</code> <span class="muted">${p.active}</span> <${StatusBadge} value=${p.enabled ? 'enabled' : 'disabled'} /></h2>
      <p>${p.description}</p>
      <p class="small" data-testid="permissions"><strong>Permissions granted:</strong> ${permissionsText(p.permissions)}</p>
      <p class="small muted">Installed: ${p.versions.map((v) => html`<span key=${v.version} class="nowrap" title=${`sha256 ${v.digest}`}>${v.version} (${formatBytes(v.size)}, by ${v.installedBy}, ${formatTime(v.installedAt)}) </span>`)}</p>
      <div class="actions">
        <button type="button" class="button-small" disabled=${busy} onClick=${toggle} aria-label=${`${p.enabled ? 'Disable' : 'Enable'} ${p.name}`}>${p.enabled ? 'Disable' : 'Enable'}</button>
        ${others.length > 0 && html`
          <label class="sr-only" for=${`upgrade-${p.name}`}>Version to switch ${p.name} to</label>
          <select id=${`upgrade-${p.name}`} value=${chosen} onChange=${(e) => { setTarget(e.currentTarget.value) }}>
            ${others.map((v) => html`<option key=${v.version} value=${v.version}>${v.version}</option>`)}
          </select>
          <button type="button" class="button-small primary" disabled=${busy} onClick=${upgrade} aria-label=${`Switch ${p.name} to the chosen version`}>Upgrade</button>`}
        ${p.previous !== null && html`<button type="button" class="button-small" disabled=${busy} onClick=${rollback} aria-label=${`Roll ${p.name} back to ${p.previous}`}>Roll back to ${p.previous}</button>`}
        <button type="button" class="button-small" aria-expanded=${logsOpen ? 'true' : 'false'} onClick=${() => { setLogsOpen(!logsOpen) }} aria-label=${`${logsOpen ? 'Hide' : 'Show'} the logs of ${p.name}`}>${logsOpen ? 'Hide logs' : 'Logs'}</button>
        <${ConfirmButton} label="Remove" ariaLabel=${`Remove ${p.name}`} title=${`Remove ${p.name}`} disabled=${busy}
          question=${`Remove ${p.name} and every version of it? Every member stops it and removes its folder.`} confirmLabel="Remove it" onConfirm=${remove} />
      </div>
      <${TableWrap} label=${`Members running ${p.name}`}>
        <table class="plugin-nodes">
          <thead><tr><th scope="col">Member</th><th scope="col">Version</th><th scope="col">State</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Errors</th>
            <th scope="col" class="num">Latency</th><th scope="col" class="num">Restarts</th><th scope="col" class="num">Memory</th></tr></thead>
          <tbody>
            ${p.nodes.length === 0 && html`<tr><td colspan="8" class="muted">No member runs plugins yet (give one the plugins role).</td></tr>`}
            ${p.nodes.map((n) => html`
              <tr key=${n.node} data-node=${n.node} data-state=${n.state} data-version=${n.version ?? ''}>
                <th scope="row"><${PeerLabel} peerId=${n.node} self=${self} />${n.member !== 'up' && html` <${StatusBadge} value=${n.member} />`}</th>
                <td>${n.running.length > 1 ? n.running.join(' + ') : n.version ?? '–'}</td>
                <td><${StatusBadge} value=${n.state} />${n.error !== null && html`<div class="job-error">${n.error}</div>`}</td>
                <td class="num">${formatNumber(n.calls ?? undefined)}</td>
                <td class="num">${formatNumber(n.errors ?? undefined)}</td>
                <td class="num">${n.latencyMs === null ? '–' : `${n.latencyMs.toFixed(1)} ms`}</td>
                <td class="num">${n.restarts}</td>
                <td class="num">${n.memoryBytes === null ? '–' : formatBytes(n.memoryBytes)}</td>
              </tr>`)}
          </tbody>
        </table>
      <//>
      ${logsOpen && html`<${PluginLogs} name=${p.name} />`}
    </section>`
}

/** The newest stderr lines of a plugin's running versions on each member, read again every few
 * seconds while shown. */
function PluginLogs ({ name }) {
  const { api, self } = useApp()
  const logs = usePoll(async () => await api.getListing(`/plugins/${seg(name)}/logs?limit=${LOG_LINES}`), 3_000, [api, name])
  const members = logs.data?.body.logs ?? []
  return html`
    <div class="plugin-logs" data-logs=${name}>
      <${ErrorMessage} error=${logs.error} context=${`Could not read the logs of ${name}`} />
      <${UnreachableNote} peers=${logs.data?.unreachable} />
      ${logs.data !== undefined && members.length === 0 && html`<p class="muted">No member that runs plugins answered.</p>`}
      ${members.map((m) => html`
        <div key=${m.node} class="log" data-node=${m.node}>
          <div class="log-line"><strong><${PeerLabel} peerId=${m.node} self=${self} /></strong></div>
          ${m.lines.length === 0 && html`<div class="log-line muted">no lines</div>`}
          ${m.lines.map((l, i) => html`<div key=${i} class="log-line plugin-log-line"><span class="muted">${l.version}</span><span>${l.line}</span></div>`)}
        </div>`)}
    </div>`
}
