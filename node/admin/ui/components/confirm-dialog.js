// A modal question before something that cannot be taken back; Escape or Cancel leaves all as it was.
import { useEffect, useRef } from 'preact/hooks'
import { html } from '../lib/html.js'

export function ConfirmDialog ({ open, title, question, confirmLabel, danger = true, onConfirm, onCancel }) {
  const dialog = useRef(null)
  useEffect(() => {
    const d = dialog.current
    if (d === null) return
    if (open && !d.open) d.showModal()
    if (!open && d.open) d.close()
  }, [open])
  const confirm = (event) => {
    event.preventDefault()
    dialog.current?.close()
    onConfirm()
  }
  return html`
    <dialog ref=${dialog} class="confirm" aria-label=${title} onClose=${onCancel}>
      <form onSubmit=${confirm}>
        <h2 class="dialog-title">${title}</h2>
        <p>${question}</p>
        <div class="actions">
          <button type="button" onClick=${() => { dialog.current?.close() }}>Cancel</button>
          <button type="submit" class=${danger ? 'danger' : 'primary'}>${confirmLabel}</button>
        </div>
      </form>
    </dialog>`
}
