// A button for what cannot be taken back: it asks first (ConfirmDialog).
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { ConfirmDialog } from './confirm-dialog.js'

export function ConfirmButton ({ label, title, question, confirmLabel, onConfirm, disabled, danger = true, small = true, ariaLabel }) {
  const [open, setOpen] = useState(false)
  return html`
    <button type="button" class=${`${small ? 'button-small' : ''} ${danger ? 'danger' : ''}`.trim()} onClick=${() => { setOpen(true) }}
      disabled=${disabled} aria-label=${ariaLabel}>${label}</button>
    <${ConfirmDialog} open=${open} title=${title ?? label} question=${question} confirmLabel=${confirmLabel ?? label} danger=${danger}
      onConfirm=${() => { setOpen(false); onConfirm() }} onCancel=${() => { setOpen(false) }} />`
}
