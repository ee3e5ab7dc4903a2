// The user's agent's settings, under its pane: the model (of those its node can run, or the node's
// default), the persona (its system prompt) and sampling (GetSettings; Configure sends only what was
// changed, checked here first for a clear message, and by the node again), and Reset, which forgets
// the conversation and keeps the settings.
import { useEffect, useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { AGENT_METHODS } from '../lib/agent-messages.js'

/** The sampling fields as the node takes them (docs/api.md, Configure): [name, label, min, max, integer?]. */
const SAMPLING = [
  ['temperature', 'Temperature', 0, 2, false],
  ['topP', 'Top P', 0, 1, false],
  ['topK', 'Top K', 0, 1000, true],
  ['maxTokens', 'Most tokens an answer', 1, 1_000_000, true]
]
/** The node refuses a persona past 8 KiB (UTF-8). */
const MAX_PERSONA_BYTES = 8192

const formOf = (s) => ({ model: s.model, persona: s.persona, ...Object.fromEntries(SAMPLING.map(([k]) => [k, String(s.sampling?.[k] ?? '')])) })

/** What changed from `settings`, as Configure's request; or a string saying what is wrong. */
function changeOf (settings, form) {
  const change = { user: '' }
  if (form.model !== settings.model) change.model = form.model
  if (form.persona !== settings.persona) {
    if (new TextEncoder().encode(form.persona).length > MAX_PERSONA_BYTES) return `the persona is over ${MAX_PERSONA_BYTES} bytes`
    change.persona = form.persona
  }
  for (const [key, label, min, max, integer] of SAMPLING) {
    const v = Number(form[key])
    if (form[key].trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      return `${label}: expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${form[key].slice(0, 20)}"`
    }
    if (v !== settings.sampling[key]) change[key] = v
  }
  return change
}

export function AgentSettings ({ client, onReset }) {
  const [settings, setSettings] = useState(undefined)
  const [form, setForm] = useState(undefined)
  const [note, setNote] = useState(undefined)
  const [error, setError] = useState(undefined)
  const [unread, setUnread] = useState(undefined)
  useEffect(() => {
    const abort = new AbortController()
    client.call(AGENT_METHODS.getSettings, { user: '' }, abort.signal)
      .then((s) => { setSettings(s); setForm(formOf(s)) })
      // the pane above says why too (the same call fails for its history): not an alert twice
      .catch((err) => { if (!abort.signal.aborted) setUnread(err.message) })
    return () => { abort.abort() }
  }, [client])
  const set = (key) => (e) => setForm((f) => ({ ...f, [key]: e.currentTarget.value }))
  const save = async (event) => {
    event.preventDefault()
    const change = changeOf(settings, form)
    if (typeof change === 'string') { setError(change); setNote(undefined); return }
    if (Object.keys(change).length === 1) { setError(undefined); setNote('nothing changed'); return }
    try {
      const s = await client.call(AGENT_METHODS.configure, change)
      setSettings(s)
      setForm(formOf(s))
      setError(undefined)
      setNote('saved')
    } catch (err) { setError(err.message); setNote(undefined) }
  }
  const reset = async () => {
    try {
      const { turnsRemoved } = await client.call(AGENT_METHODS.reset, { user: '' })
      setError(undefined)
      setNote(`the conversation is forgotten (${turnsRemoved} turns)`)
      onReset()
    } catch (err) { setError(err.message); setNote(undefined) }
  }
  return html`<details class="agent-settings">
    <summary>Settings</summary>
    ${form === undefined
      ? html`<p class="hint">${unread === undefined ? 'reading the settings…' : `the settings could not be read: ${unread}`}</p>`
      : html`<form onSubmit=${save} novalidate>
        <label for="agent-model">Model</label>
        <select id="agent-model" value=${form.model} onChange=${set('model')}>
          <option value="">the node's default</option>
          ${[...new Set([...settings.models, ...(settings.model === '' ? [] : [settings.model])])].map((m) => html`<option key=${m} value=${m}>${m}</option>`)}
        </select>
        <label for="agent-persona">Persona (its system prompt; empty: the default)</label>
        <textarea id="agent-persona" rows="3" value=${form.persona} onInput=${set('persona')}></textarea>
        ${SAMPLING.map(([key, label, min, max, integer]) => html`<label key=${`l-${key}`} for=${`agent-${key}`}>${label}</label>
          <input key=${key} id=${`agent-${key}`} type="number" min=${min} max=${max} step=${integer ? 1 : 0.05} value=${form[key]} onInput=${set(key)} />`)}
        <button type="submit">Save settings</button>
      </form>`}
    <button type="button" class="reset" onClick=${reset}>Forget the conversation</button>
    ${note !== undefined && html`<p class="hint" role="status">${note}</p>`}
    ${error !== undefined && html`<p class="error" role="alert">${error}</p>`}
  </details>`
}
