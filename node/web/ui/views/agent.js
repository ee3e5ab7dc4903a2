// The user's own agent, in its own pane: its recent turns (History), a question asked (Ask) whose
// answer grows as its tokens stream, and Stop (the call cancelled: the node stops the generation).
// Answers are sanitized Markdown (views/markdown.js); the user's questions stay text.
import { useEffect, useRef, useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { AGENT_METHODS } from '../lib/agent-messages.js'
import { Markdown } from './markdown.js'
import { AgentSettings } from './agent-settings.js'

export function AgentPane ({ client }) {
  const [turns, setTurns] = useState([])
  const [answer, setAnswer] = useState(undefined)
  const [error, setError] = useState(undefined)
  const [draft, setDraft] = useState('')
  const asking = useRef(undefined)
  useEffect(() => {
    const abort = new AbortController()
    client.call(AGENT_METHODS.history, { user: '', limit: 20 }, abort.signal)
      .then((h) => setTurns(h.turns.filter((t) => t.role === 'user' || t.role === 'assistant')))
      .catch((err) => { if (!abort.signal.aborted) setError(err.message) })
    return () => { abort.abort(); asking.current?.abort() }
  }, [client])
  const ask = async (event) => {
    event.preventDefault()
    const text = draft.trim()
    if (text === '' || asking.current !== undefined) return
    const abort = new AbortController()
    asking.current = abort
    setDraft('')
    setError(undefined)
    setTurns((t) => [...t, { role: 'user', content: text }])
    let said = ''
    setAnswer({ text: '', state: 'asking…' })
    try {
      for await (const e of client.stream(AGENT_METHODS.ask, { text, user: '' }, abort.signal)) {
        if (e.queued !== undefined) setAnswer({ text: said, state: `queued (${e.queued.position})` })
        else if (e.token !== undefined) { said += e.token.text; setAnswer({ text: said, state: 'answering…' }) }
        else if (e.done !== undefined) setTurns((t) => [...t, { role: 'assistant', content: said, stopReason: e.done.stopReason, model: e.done.model }])
      }
    } catch (err) {
      if (abort.signal.aborted) setTurns((t) => [...t, { role: 'assistant', content: said, stopReason: 'stopped' }])
      else setError(err.message)
    } finally {
      asking.current = undefined
      setAnswer(undefined)
    }
  }
  return html`<aside class="agent" aria-label="your agent">
    <h2>Your agent</h2>
    <ol class="turns">
      ${turns.map((t, i) => html`<li key=${i} class=${`turn ${t.role}`}>${t.role === 'assistant' ? html`<${Markdown} className="text" text=${t.content} />` : html`<span class="text">${t.content}</span>`}
        ${t.stopReason !== undefined && t.stopReason !== '' && t.stopReason !== 'eos' && html`<span class="meta"> (${t.stopReason})</span>`}</li>`)}
      ${answer !== undefined && html`<li class="turn assistant streaming"><${Markdown} className="text" text=${answer.text} /><span class="meta"> ${answer.state}</span></li>`}
    </ol>
    ${error !== undefined && html`<p class="error" role="alert">${error}</p>`}
    <form onSubmit=${ask}>
      <label for="agent-text" class="hidden">Ask your agent</label>
      <textarea id="agent-text" rows="2" placeholder="Ask your agent" value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)}></textarea>
      ${answer === undefined
        ? html`<button type="submit">Ask</button>`
        : html`<button type="button" onClick=${() => asking.current?.abort()}>Stop</button>`}
    </form>
    <${AgentSettings} client=${client} onReset=${() => { asking.current?.abort(); setTurns([]) }} />
  </aside>`
}
