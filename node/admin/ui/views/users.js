// Users: list (GET /users), add (POST /users: the token is shown this once, with a copy button),
// remove (DELETE /users/{name}: the token stops working at once), export everything of one
// (GET /users/{name}/export).
import { useRef, useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { usePoll } from '../lib/use-poll.js'
import { formatTime } from '../lib/format.js'
import { ConfirmButton } from '../components/confirm-button.js'
import { CopyButton } from '../components/copy-button.js'
import { DownloadButton } from '../components/download-button.js'
import { ErrorMessage } from '../components/error-message.js'
import { TableWrap } from '../components/table-wrap.js'

export function UsersView () {
  const { api } = useApp()
  const users = usePoll(async () => await api.get('/users'), 5_000, [api])
  const [name, setName] = useState('')
  const [created, setCreated] = useState(undefined)
  const [said, setSaid] = useState('')
  const [context, setContext] = useState('')
  const action = useAction()
  const tokenField = useRef(null)

  const add = (event) => {
    event.preventDefault()
    setContext('Could not add the user')
    setSaid('')
    void action.run(async () => {
      setCreated(await api.post('/users', { name: name.trim() }))
      setName('')
      users.refresh()
    })
  }
  const remove = (user) => {
    setContext(`Could not remove ${user.name}`)
    void action.run(async () => {
      await api.del(`/users/${seg(user.name)}`)
      if (created?.name === user.name) setCreated(undefined)
      setSaid(`Removed ${user.name}; their token no longer works.`)
      users.refresh()
    })
  }

  return html`
    <form class="filters" onSubmit=${add} aria-label="Add a user">
      <div class="field">
        <label for="user-name">New user's name</label>
        <input id="user-name" value=${name} onInput=${(e) => { setName(e.currentTarget.value) }} required maxlength="32" autocomplete="off"
          spellcheck="false" aria-describedby="user-name-hint" />
      </div>
      <button type="submit" class="primary" disabled=${action.busy}>Add user</button>
    </form>
    <p class="hint" id="user-name-hint">1 to 32 of a-z, 0-9, _ and -, starting with a letter.</p>
    <${ErrorMessage} error=${action.error} context=${context} onDismiss=${action.clear} />
    <p class="said" role="status">${said}</p>
    ${created !== undefined && html`
      <section class="card new-token" aria-labelledby="new-token-title">
        <h2 id="new-token-title">Token of ${created.name}</h2>
        <p><strong>Shown this once:</strong> only its hash is kept. Give it to ${created.name} now.</p>
        <div class="token-row">
          <label for="new-token" class="sr-only">Token of ${created.name}</label>
          <input id="new-token" class="token" readonly value=${created.token} ref=${tokenField} onFocus=${(e) => { e.currentTarget.select() }} />
          <${CopyButton} text=${created.token} label=${`Copy the token of ${created.name}`} selectTarget=${tokenField} />
        </div>
        <button type="button" onClick=${() => { setCreated(undefined) }}>Done, hide it</button>
      </section>`}
    <${ErrorMessage} error=${users.error} context="Could not list the users" />
    <${TableWrap} label="Users">
      <table class="users">
        <thead><tr><th scope="col">User</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          ${(users.data ?? []).map((u) => html`
            <tr key=${u.name} data-user=${u.name}>
              <th scope="row">${u.name}</th>
              <td>${formatTime(u.createdAt)}</td>
              <td><${DownloadButton} path=${`/users/${seg(u.name)}/export?format=json`} label="Export" ariaLabel=${`Export everything of ${u.name}`} />
                <${ConfirmButton} label="Remove" ariaLabel=${`Remove ${u.name}`} title=${`Remove ${u.name}`} disabled=${action.busy}
                question=${`Remove ${u.name}? Their token stops working at once.`} confirmLabel="Remove" onConfirm=${() => { remove(u) }} /></td>
            </tr>`)}
        </tbody>
      </table>
    <//>`
}
