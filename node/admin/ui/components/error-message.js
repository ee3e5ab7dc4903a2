// An error from the API, said plainly: its message, then its status and code (what scripts match on).
import { html } from '../lib/html.js'
import { describeError } from '../lib/api-error.js'

export function ErrorMessage ({ error, onDismiss, context }) {
  if (error === undefined || error === null) return null
  const { text, detail } = describeError(error)
  return html`
    <div class="error" role="alert">
      <p>
        ${context !== undefined && html`<strong>${context}: </strong>`}${text}
        ${detail !== '' && html` <code class="error-code">${detail}</code>`}
      </p>
      ${onDismiss !== undefined && html`<button type="button" class="icon-button" aria-label="Dismiss this error" onClick=${onDismiss}>×</button>`}
    </div>`
}
