// The Plexi chat page: sign in with a user token (kept in this tab's sessionStorage, sent only in
// the authorization header), the rooms, one room open. Plain ES modules with Preact and htm, served
// by the node: no build step. Every call is gRPC-Web to this origin (lib/grpc-web.js), or to another
// member of the cluster once this one stops answering (lib/nodes.js).
import { render } from 'preact'
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { html } from './lib/html.js'
import { GrpcWeb, STATUS, retryable } from './lib/grpc-web.js'
import { METHODS } from './lib/chat-messages.js'
import { useOutbox } from './lib/outbox.js'
import { Nodes, useReconnecting } from './lib/nodes.js'
import { RoomView } from './views/room.js'
import { AgentPane } from './views/agent.js'
import { Rooms } from './views/rooms.js'
import { Search } from './views/search.js'
import { headsFor, markRead, readMarks } from './lib/read-marks.js'

const TOKEN_KEY = 'plexi-chat-token'
/** How often the rooms list (and its unread counts) is read again while the page is open (ms). */
const ROOMS_REFRESH_MS = 15_000
function SignIn ({ onToken, error }) {
  const [token, setToken] = useState('')
  const submit = (event) => {
    event.preventDefault()
    if (token.trim() !== '') onToken(token.trim())
  }
  return html`<main><form class="sign-in" onSubmit=${submit}>
    <h1>Plexi chat</h1>
    <label for="token">Your user token</label>
    <input id="token" type="password" autocomplete="off" value=${token} onInput=${(e) => setToken(e.currentTarget.value)} />
    <button type="submit">Sign in</button>
    ${error !== undefined && html`<p class="error" role="alert">${error}</p>`}
    <p class="hint">An admin gives you one: <code>plexi admin users add NAME</code>. It stays in this tab only.</p>
  </form></main>`
}

function Chat ({ token, onSignOut }) {
  const client = useMemo(() => new GrpcWeb(token, new Nodes()), [token])
  const reconnecting = useReconnecting(client.nodes)
  useEffect(() => client.nodes.refreshWith(client), [client])
  const outbox = useOutbox(client)
  const [rooms, setRooms] = useState([])
  const [error, setError] = useState(undefined)
  const [open, setOpen] = useState(() => sessionStorage.getItem('plexi-chat-room') ?? undefined)
  // the seq a search hit opened the room at (undefined: at its end)
  const [at, setAt] = useState(undefined)
  const [me, setMe] = useState('')
  const [marks, setMarks] = useState(readMarks)
  const listed = useRef([])
  const refresh = useCallback(async () => {
    try {
      // the last seq (and whether the user is a member) of the rooms read here, then of the newest
      // others: their unread counts; read again at once when the list named rooms the heads missed
      const heads = headsFor(readMarks(), listed.current)
      let list = await client.call(METHODS.listRooms, { heads })
      const wanted = headsFor(readMarks(), list.rooms)
      if (wanted.some((name) => !heads.includes(name))) list = await client.call(METHODS.listRooms, { heads: wanted })
      listed.current = list.rooms
      setRooms(list.rooms)
      setMe(list.user)
      setError(undefined)
    } catch (err) {
      if (err.code === STATUS.UNAUTHENTICATED) onSignOut('the node did not take this token: sign in again')
      // the page is moving to another node (it says so): the list is read again there
      else if (!retryable(err)) setError(err.message)
    }
  }, [client])
  useEffect(() => {
    void refresh()
    // a tab nobody looks at asks nothing (each read of the counts is a read of up to 64 rooms)
    const timer = setInterval(() => { if (document.visibilityState === 'visible') void refresh() }, ROOMS_REFRESH_MS)
    return () => { clearInterval(timer) }
  }, [refresh])
  const openRoom = (room, seq) => {
    sessionStorage.setItem('plexi-chat-room', room)
    setOpen(room)
    setAt(seq)
    setTimeout(() => { void refresh() }, rooms.some((r) => r.name === room) ? 0 : 500)
  }
  const read = useCallback((room, seq) => setMarks(markRead(room, seq)), [])
  const leave = async (room) => {
    try {
      await client.call(METHODS.leave, { room })
      sessionStorage.removeItem('plexi-chat-room')
      setOpen(undefined)
    } catch (err) { setError(err.message) }
  }
  return html`<div class="chat with-agent">
    <header class="top"><h1 class="brand">Plexi</h1><${Search} client=${client} onOpen=${openRoom} />${reconnecting && html`<span class="reconnecting" role="status">reconnecting…</span>`}<button type="button" onClick=${() => onSignOut(undefined)}>Sign out</button></header>
    <${Rooms} rooms=${rooms} open=${open} marks=${marks} onOpen=${openRoom} error=${error} />
    ${open === undefined
      ? html`<main class="room empty"><p>Open a room on the left, or name one to join or create it.</p></main>`
      : html`<${RoomView} key=${`${open} ${at ?? 'end'}`} client=${client} room=${open} at=${at} me=${me} outbox=${outbox} onLeave=${leave} onRead=${read} />`}
    <${AgentPane} client=${client} />
  </div>`
}

function App () {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? undefined)
  const [error, setError] = useState(undefined)
  const signIn = async (candidate) => {
    try {
      await new GrpcWeb(candidate).call(METHODS.listRooms, {})
      sessionStorage.setItem(TOKEN_KEY, candidate)
      setError(undefined)
      setToken(candidate)
    } catch (err) {
      setError(err.code === STATUS.UNAUTHENTICATED ? 'the node does not know this token' : err.message)
    }
  }
  const signOut = (reason) => {
    sessionStorage.removeItem(TOKEN_KEY)
    setError(reason)
    setToken(undefined)
  }
  return token === undefined ? html`<${SignIn} onToken=${signIn} error=${error} />` : html`<${Chat} token=${token} onSignOut=${signOut} />`
}

const root = document.getElementById('app')
// the boot line is not Preact's: it would stay above the page
root.textContent = ''
render(html`<${App} />`, root)
