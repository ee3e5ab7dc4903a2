// One room: its messages (users' posts as text, agents' answers as sanitized Markdown), who is in
// it, whether it is live, and the composer. Opened `at` a seq (a search hit), that message is shown
// in view and marked. One's own posts (and one's agent's answers) can be withdrawn (Redact).
import { Component } from 'preact'
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { KIND, METHODS } from '../lib/chat-messages.js'
import { useRoomFeed } from '../lib/room-feed.js'
import { Markdown } from './markdown.js'
import { MessageList } from './message-list.js'
import { ExportButton } from './export-button.js'

const time = (ts) => ts > 0 ? new Date(ts).toLocaleTimeString() : ''
/** An agent answering in a room is `<user>'s agent`: a name no user can have (no quote in user names). */
const isAgent = (user) => user.endsWith("'s agent")

/** What the server lets the caller withdraw: their own posts and their agent's answers. */
const withdrawable = (m, me) => me !== '' && m.kind === KIND.MESSAGE && !m.redacted && (m.user === me || m.user === `${me}'s agent`)

function Message ({ m: stored, found, me, withdrawing, onWithdraw }) {
  // withdrawn here: shown so before the stream says so (a page not yet live gets no Redaction event)
  const m = withdrawing?.state === 'done' && !stored.redacted ? { ...stored, text: '', redacted: true } : stored
  if (m.kind === KIND.JOIN || m.kind === KIND.LEAVE) {
    return html`<li class=${found ? 'event found' : 'event'} data-seq=${m.seq}>${m.user} ${m.kind === KIND.JOIN ? 'joined' : 'left'}</li>`
  }
  if (m.kind === KIND.REDACTION) return null
  return html`<li class=${found ? 'message found' : 'message'} data-seq=${m.seq} aria-current=${found ? 'true' : undefined}>
    <span class="meta"><span class="user">${m.user}</span> <time>${time(m.ts)}</time>${found && html` <span class="hidden">(the search hit)</span>`}
      ${withdrawable(m, me) && html`<button type="button" class="withdraw" disabled=${withdrawing?.state === 'sending'}
        onClick=${() => onWithdraw(m)}>${withdrawing?.state === 'sending' ? 'Withdrawing…' : 'Withdraw'}<span class="hidden"> your message ${m.seq}</span></button>`}</span>
    ${m.redacted
      ? html`<span class="text redacted">(withdrawn)</span>`
      : isAgent(m.user) ? html`<${Markdown} className="text" text=${m.text} />` : html`<span class="text">${m.text}</span>`}
    ${withdrawing?.error !== undefined && html`<span class="error" role="alert">${withdrawing.error}</span>`}
  </li>`
}

/** A message row drawn again only when what it shows changed (not on every new message of the room:
 * its time is not formatted again nor its Markdown parsed again). onWithdraw is the same for the room. */
class MessageRow extends Component {
  shouldComponentUpdate (next) {
    const p = this.props
    return next.m !== p.m || next.found !== p.found || next.me !== p.me || next.withdrawing !== p.withdrawing
  }

  render (props) { return Message(props) }
}

/** Withdrawals asked here, by seq: sending, done (shown withdrawn before the stream says so, as a
 * page not yet live gets no Redaction event) or refused with the node's message. */
function useWithdraw (client, room) {
  const [asked, setAsked] = useState(new Map())
  const set = (seq, value) => setAsked((a) => new Map(a).set(seq, value))
  const withdraw = useCallback(async (m) => {
    set(m.seq, { state: 'sending' })
    try {
      await client.call(METHODS.redact, { room, seq: m.seq })
      set(m.seq, { state: 'done' })
    } catch (err) { set(m.seq, { state: 'failed', error: `not withdrawn: ${err.message}` }) }
  }, [client, room])
  return { asked, withdraw }
}

export function RoomView ({ client, room, at, me, outbox, onLeave, onRead }) {
  const feed = useRoomFeed(client, room, at)
  const { asked, withdraw } = useWithdraw(client, room)
  const [draft, setDraft] = useState('')
  const [follow, setFollow] = useState(0)
  const seen = new Set(feed.messages.map((m) => m.clientId).filter((id) => id !== ''))
  const pending = outbox.pending.filter((p) => p.room === room && !seen.has(p.clientId))
  // a redaction is a seq of its own that shows nothing: it is not a row
  const shown = useMemo(() => feed.messages.filter((m) => m.kind !== KIND.REDACTION), [feed.messages])
  const lastSeq = feed.messages.at(-1)?.seq ?? 0
  // what is shown is read: the rooms list counts what came after
  useEffect(() => { if (lastSeq > 0) onRead?.(room, lastSeq) }, [room, lastSeq])
  const submit = (event) => {
    event.preventDefault()
    const text = draft.trim()
    if (text === '') return
    outbox.post(room, text)
    setFollow((n) => n + 1)
    setDraft('')
  }
  return html`<main class="room" aria-label=${`room ${room}`}>
    <header>
      <h2>${room}</h2>
      <span class=${feed.live ? 'state live' : 'state'}>${feed.live ? 'live' : feed.newer ? 'history (live once read to the end)' : feed.reconnecting ? 'reconnecting…' : 'connecting…'}</span>
      <span class="members" title="members">${feed.members.length === 1 ? '1 member' : `${feed.members.length} members`}</span>
      <${ExportButton} client=${client} room=${room} />
      <button type="button" onClick=${() => onLeave(room)}>Leave</button>
    </header>
    ${feed.error !== undefined && html`<p class="error" role="alert">${feed.error}</p>`}
    <${MessageList} messages=${shown} more=${feed.more} earlier=${feed.earlier} newer=${feed.newer} later=${feed.later} focus=${at} follow=${follow}
      row=${(m) => html`<${MessageRow} key=${m.seq} m=${m}
        found=${m.seq === at} me=${me} withdrawing=${asked.get(m.seq)} onWithdraw=${withdraw} />`}
      tail=${[
        ...feed.partials.map((p) => html`<li class="message partial" key=${`partial ${p.requestId}`}>
          <span class="meta"><span class="user">${p.user}</span> <time>answering…</time></span>
          <${Markdown} className="text" text=${p.text} /></li>`),
        ...pending.map((p) => html`<li class=${`message pending ${p.state}`} key=${`pending ${p.clientId}`}>
          <span class="meta"><span class="user">you</span> <time>${p.state}</time></span>
          <span class="text">${p.text}</span>
          ${p.error !== undefined && html`<span class="error">${p.error}</span>`}
          ${p.state === 'failed' && html`<button type="button" onClick=${() => outbox.retry(p)}>Send again</button> <button type="button" onClick=${() => outbox.drop(p)}>Drop</button>`}
        </li>`)
      ]} />
    <form class="composer" onSubmit=${submit}>
      <label for="composer-text" class="hidden">Message</label>
      <textarea id="composer-text" rows="2" placeholder=${`Message ${room} (@agent asks your agent)`} value=${draft}
        onInput=${(e) => setDraft(e.currentTarget.value)}
        onKeyDown=${(e) => { if (e.key === 'Enter' && !e.shiftKey) submit(e) }}></textarea>
      <button type="submit">Send</button>
    </form>
  </main>`
}
