// Sign in with the admin token: it is checked against the node (GET /api/v1/cluster) before it is kept.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { createApiClient } from '../lib/api-client.js'
import { ApiError } from '../lib/api-error.js'
import { ErrorMessage } from '../components/error-message.js'

export function SignIn ({ onSignedIn, refused }) {
  const [token, setToken] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(refused)

  const submit = async (event) => {
    event.preventDefault()
    const value = token.trim()
    if (value === '') {
      setError(new Error('Enter the admin token: it is in the node\'s data dir, in the file admin-token.'))
      return
    }
    setBusy(true)
    setError(undefined)
    let unauthorized
    const api = createApiClient({ token: value, onUnauthorized: (err) => { unauthorized = err } })
    try {
      await api.get('/cluster')
      onSignedIn(value)
    } catch (err) {
      setBusy(false)
      setError(unauthorized !== undefined ? refusal(unauthorized) : err)
    }
  }

  return html`
    <main class="sign-in">
      <form class="card" onSubmit=${submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Plexi admin</h1>
        <p>Sign in with this node's admin token (the file <code>admin-token</code> in its data dir, or <code>--admin-token</code>). It is kept in this tab only, until you sign out or close it.</p>
        <label for="admin-token">Admin token</label>
        <input id="admin-token" name="admin-token" type="password" autocomplete="current-password" spellcheck="false"
          value=${token} onInput=${(e) => { setToken(e.currentTarget.value) }} required />
        <button type="submit" class="primary" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
        <${ErrorMessage} error=${error} />
      </form>
    </main>`
}

/** The 401 said the way an admin reads it. */
export function refusal (err) {
  return new ApiError({
    statusCode: 401,
    code: err?.code ?? 'UNAUTHORIZED',
    error: 'Unauthorized',
    message: 'The admin token was refused by this node: sign in with its token (the file admin-token in its data dir, or the --admin-token it was started with).'
  })
}
