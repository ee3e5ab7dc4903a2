// A room's export (Chat.Export, streamed in chunks) saved as a file: JSON (which `plexi chat import`
// and Import take back), NDJSON or Markdown. The chunks are kept in memory until the last one, then
// handed to the browser as a download (a blob: URL, revoked soon after).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { METHODS } from '../lib/chat-messages.js'

const FORMATS = { json: 'application/json', ndjson: 'application/x-ndjson', md: 'text/markdown' }

export function ExportButton ({ client, room }) {
  const [format, setFormat] = useState('json')
  const [state, setState] = useState(undefined)
  const run = async () => {
    const chunks = []
    let records = 0
    setState({ text: 'exporting…' })
    try {
      for await (const chunk of client.stream(METHODS.export, { room, format })) {
        if (chunk.records > 0) records = chunk.records
        chunks.push(chunk.data)
        setState({ text: `exporting… ${chunk.done} of ${records}` })
      }
      const url = URL.createObjectURL(new Blob(chunks, { type: FORMATS[format] }))
      const link = document.createElement('a')
      link.href = url
      link.download = `${room}.${format}`
      link.click()
      // (a moment later: the download reads the blob as it starts)
      setTimeout(() => { URL.revokeObjectURL(url) }, 10_000)
      setState({ text: `exported (${chunks.reduce((n, c) => n + c.length, 0)} bytes)` })
    } catch (err) {
      setState({ text: `export failed: ${err.message}`, error: true })
    }
  }
  return html`<span class="export">
    <label for="export-format" class="hidden">Export format</label>
    <select id="export-format" value=${format} onChange=${(e) => setFormat(e.currentTarget.value)}>
      ${Object.keys(FORMATS).map((f) => html`<option key=${f} value=${f}>${f}</option>`)}
    </select>
    <button type="button" onClick=${run}>Export</button>
    ${state !== undefined && html`<span class=${state.error === true ? 'error' : 'hint'} role="status">${state.text}</span>`}
  </span>`
}
