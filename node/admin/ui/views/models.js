// Models: where this node runs llama.cpp (GET /inference), what the models dir holds, where each is
// loaded, its memory and queue on this node (GET /models); load and unload here (POST
// /models/{name}/load|unload); pull a model (POST /models/pull, a job the dock follows).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { formatAgo, formatBytes, formatNumber } from '../lib/format.js'
import { ErrorMessage } from '../components/error-message.js'
import { PeerLabel } from '../components/peer-label.js'
import { StatusBadge } from '../components/status-badge.js'
import { TableWrap } from '../components/table-wrap.js'

function parameters (n) {
  if (typeof n !== 'number') return '–'
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  return formatNumber(n)
}

export function ModelsView () {
  const { api, self, track } = useApp()
  const models = usePoll(async () => await api.get('/models'), 3_000, [api])
  // where this node runs llama.cpp, found at its start (a node without the ai role has none: 404)
  const backend = usePoll(async () => await api.get('/inference').catch(() => null), 60_000, [api])
  const action = useAction()
  const [pending, setPending] = useState('')
  const [said, setSaid] = useState('')
  const [context, setContext] = useState('')
  const [source, setSource] = useState('')
  const [pullName, setPullName] = useState('')
  const now = Date.now()

  const pull = (event) => {
    event.preventDefault()
    const from = source.trim()
    setContext(`Could not pull ${from}`)
    setSaid('')
    void action.run(async () => {
      const body = pullName.trim() === '' ? { source: from } : { source: from, name: pullName.trim() }
      const job = await api.post('/models/pull', body)
      track({ job, label: `Pull of ${job.target}`, onEnd: models.refresh })
      setSaid(`Pulling ${job.target}: its progress is in the jobs dock, and in Jobs.`)
      setSource('')
      setPullName('')
    })
  }

  const act = (name, verb) => {
    setPending(`${verb}:${name}`)
    setContext(`Could not ${verb} ${name}`)
    setSaid(verb === 'load' ? `Loading ${name}…` : `Unloading ${name}…`)
    void action.run(async () => {
      try {
        await api.post(`/models/${seg(name)}/${verb}`)
        setSaid(verb === 'load' ? `${name} is loaded on this node.` : `${name} is unloaded from this node.`)
        models.refresh()
      } catch (err) {
        setSaid('')
        throw err
      } finally {
        setPending('')
      }
    })
  }

  const list = models.data ?? []
  return html`
    <${ErrorMessage} error=${models.error} context="Could not list the models" />
    ${backend.data != null && html`<p class="backend" data-testid="inference-backend" data-backend=${backend.data.backend}>Inference on this node: <strong>${backend.data.backend}</strong>${backend.data.devices.length > 0 ? ` (${backend.data.devices.join(', ')})` : backend.data.reason !== undefined ? ` (${backend.data.reason})` : ''}, gpu setting ${backend.data.gpu}</p>`}
    ${backend.data != null && html`<form class="filters" onSubmit=${pull} aria-label="Pull a model">
      <div class="field grow">
        <label for="pull-source">Pull a model (URL, or hf:OWNER/REPO/FILE.gguf)</label>
        <input id="pull-source" required value=${source} maxlength="2048" onInput=${(e) => { setSource(e.currentTarget.value) }} placeholder="hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf" />
      </div>
      <div class="field">
        <label for="pull-name">Name (optional)</label>
        <input id="pull-name" value=${pullName} maxlength="128" onInput=${(e) => { setPullName(e.currentTarget.value) }} placeholder="the file's name" />
      </div>
      <button type="submit" class="primary" disabled=${action.busy || source.trim() === ''}>Pull</button>
    </form>`}
    <p class="hint">This node downloads the model, checks its SHA-256 and validates it, then copies it to every other ai member. Load and unload act on this node (the one serving this dashboard); "Loaded on" lists every member that has the model loaded.</p>
    <p class="said" role="status" aria-live="polite">${said}</p>
    <${ErrorMessage} error=${action.error} context=${context} onDismiss=${action.clear} />
    ${models.data !== undefined && list.length === 0 && html`<p>No models in this node's models dir (or it has no ai role).</p>`}
    <${TableWrap} label="Models">
      <table class="models">
        <thead><tr><th scope="col">Model</th><th scope="col">Status</th><th scope="col">Runtime</th><th scope="col">Architecture</th><th scope="col">Quantization</th>
          <th scope="col" class="num">Parameters</th><th scope="col" class="num">Context</th><th scope="col" class="num">Size</th><th scope="col">Loaded on</th>
          <th scope="col" class="num">Memory here</th><th scope="col">Backend</th><th scope="col" class="num">Running</th><th scope="col" class="num">Queued</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${list.map((m) => {
            const here = self !== undefined && m.loaded.includes(self)
            return html`
              <tr key=${m.name} data-model=${m.name} data-loaded-here=${here ? 'yes' : 'no'}>
                <th scope="row"><code class="nowrap">${m.name}</code>${m.error !== undefined && html`<div class="job-error">${m.error}</div>`}</th>
                <td><${StatusBadge} value=${m.status} /></td>
                <td>${m.runtime ?? '–'}</td>
                <td>${m.architecture ?? '–'}</td>
                <td>${m.quantization ?? '–'}</td>
                <td class="num">${parameters(m.parameters)}</td>
                <td class="num">${formatNumber(m.contextLength)}</td>
                <td class="num">${formatBytes(m.sizeBytes)}</td>
                <td class="loaded-on">${m.loaded.length === 0 ? html`<span class="muted">nowhere</span>` : m.loaded.map((p) => html`<div key=${p}><${PeerLabel} peerId=${p} self=${self} /></div>`)}</td>
                <td class="num">${m.memoryBytes === undefined ? '–' : formatBytes(m.memoryBytes)}</td>
                <td>${m.backend ?? '–'}</td>
                <td class="num">${m.active ?? '–'}</td>
                <td class="num">${m.queued ?? '–'}</td>
                <td>${m.lastUsedAt === undefined ? '–' : formatAgo(m.lastUsedAt, now)}</td>
                <td class="actions-cell">
                  ${here
                    ? html`<button type="button" class="button-small" onClick=${() => { act(m.name, 'unload') }} disabled=${action.busy} aria-label=${`Unload ${m.name}`}>${pending === `unload:${m.name}` ? 'Unloading…' : 'Unload'}</button>`
                    : html`<button type="button" class="button-small primary" onClick=${() => { act(m.name, 'load') }} disabled=${action.busy || m.status !== 'ready'} aria-label=${`Load ${m.name}`}>${pending === `load:${m.name}` ? 'Loading…' : 'Load'}</button>`}
                </td>
              </tr>`
          })}
        </tbody>
      </table>
    <//>`
}
