// The rooms: each with its unread count (events after the last seq read here), and a name typed to
// join or create one.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { unreadBadge } from '../lib/read-marks.js'

/** A room's name as the node takes it (protocols/names.ts): checked here for a clear message first. */
const ROOM_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

function RoomLink ({ room, open, marks, onOpen }) {
  const count = room.name === open ? 0 : unreadBadge(marks, room)
  return html`<li><button type="button" class=${room.name === open ? 'room-link open' : 'room-link'} onClick=${() => onOpen(room.name)}>
    <span class="name">${room.name}</span>
    ${count > 0 && html` <span class="unread" title=${`${count} unread`}>${count > 999 ? '999+' : count}<span class="hidden"> unread</span></span>`}
    ${count === 'new' && html` <span class="unread new" title="not read in this tab">new<span class="hidden">: not read in this tab</span></span>`}
  </button></li>`
}

export function Rooms ({ rooms, open, marks, onOpen, error }) {
  const [name, setName] = useState('')
  const [problem, setProblem] = useState(undefined)
  const submit = (event) => {
    event.preventDefault()
    const room = name.trim()
    if (!ROOM_NAME.test(room)) { setProblem('a room name is 1-64 characters of a-z, 0-9, ., _ and -, starting with a letter or digit'); return }
    setProblem(undefined)
    setName('')
    onOpen(room)
  }
  return html`<nav class="rooms" aria-label="rooms">
    <h2>Rooms</h2>
    <ul>${rooms.map((r) => html`<${RoomLink} key=${r.name} room=${r} open=${open} marks=${marks} onOpen=${onOpen} />`)}</ul>
    <form onSubmit=${submit}>
      <label for="room-name">Join or create</label>
      <input id="room-name" value=${name} onInput=${(e) => setName(e.currentTarget.value)} placeholder="room name" />
      <button type="submit">Open</button>
    </form>
    ${(problem ?? error) !== undefined && html`<p class="error" role="alert">${problem ?? error}</p>`}
  </nav>`
}
