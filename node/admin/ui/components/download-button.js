// Downloads an export (GET /api/v1/rooms/{room}/export, /users/{name}/export) with the bearer
// token, then saves it under the name the node gives it: a link to the file in memory, clicked.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { useApp } from '../lib/app-context.js'
import { ErrorMessage } from './error-message.js'

export function DownloadButton ({ path, label, ariaLabel }) {
  const { api } = useApp()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(undefined)
  const [said, setSaid] = useState('')
  const download = async () => {
    setBusy(true)
    setError(undefined)
    setSaid('Exporting…')
    try {
      const { blob, name } = await api.download(path)
      const url = URL.createObjectURL(blob)
      const link = document.createElement('a')
      link.href = url
      link.download = name
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
      setSaid(`Saved ${name} (${(blob.size / 1048576).toFixed(1)} MiB)`)
    } catch (err) {
      setSaid('')
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return html`
    <button type="button" class="button-small" onClick=${download} disabled=${busy} aria-label=${ariaLabel ?? label}>${label}</button>
    <span class="copy-said" role="status">${said}</span>
    <${ErrorMessage} error=${error} context="Could not export" onDismiss=${() => { setError(undefined) }} />`
}
