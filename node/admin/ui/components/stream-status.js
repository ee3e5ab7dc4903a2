// Whether a live stream is live, and when it tries again when it is not.
import { html } from '../lib/html.js'
import { describeError } from '../lib/api-error.js'

export function StreamStatus ({ status, what }) {
  const { state, error, retryInMs } = status
  const reason = error === undefined ? '' : describeError(error).text
  let text
  if (state === 'live') text = `Live: ${what} as they come.`
  else if (state === 'connecting') text = `Connecting to the ${what}…`
  else if (state === 'retrying') text = `The ${what} stream stopped (${reason}); trying again in ${Math.ceil((retryInMs ?? 0) / 1000)} s.`
  else text = `The ${what} stream stopped${reason === '' ? '' : ` (${reason})`}.`
  return html`
    <div class=${`stream-status stream-${state}`}>
      <span class="dot" aria-hidden="true"></span>
      <span role="status" data-stream-state=${state}>${text}</span>
      ${(state === 'retrying' || state === 'stopped') && html`<button type="button" class="button-small" onClick=${status.reconnect}>Reconnect now</button>`}
    </div>`
}
