// A member's roles, changed live (PUT /api/v1/nodes/{peerId}/roles): until that node restarts.
import { useState } from 'preact/hooks'
import { html } from '../lib/html.js'
import { seg } from '../lib/api-client.js'
import { useApp } from '../lib/app-context.js'
import { useAction } from '../lib/use-action.js'
import { shortPeer } from '../lib/format.js'
import { ErrorMessage } from './error-message.js'

const ROLES = ['chat', 'ai', 'storage', 'backup', 'plugins']

export function RolesEditor ({ member, onChanged }) {
  const { api } = useApp()
  const [open, setOpen] = useState(false)
  const [chosen, setChosen] = useState(member.roles)
  const [said, setSaid] = useState('')
  const save = useAction()
  const id = `roles-${member.peerId.slice(-12)}`

  const toggle = (role) => { setChosen(chosen.includes(role) ? chosen.filter((r) => r !== role) : [...chosen, role]) }
  const submit = (event) => {
    event.preventDefault()
    void save.run(async () => {
      const result = await api.put(`/nodes/${seg(member.peerId)}/roles`, { roles: ROLES.filter((r) => chosen.includes(r)) })
      setSaid(`Roles of ${shortPeer(member.peerId)} are now ${result.roles.join(', ')}${result.previous !== undefined ? ` (were ${result.previous.join(', ') || 'none'})` : ''}.`)
      setOpen(false)
      onChanged?.()
    })
  }
  if (!open) {
    return html`
      <button type="button" class="button-small" onClick=${() => { setChosen(member.roles); setSaid(''); setOpen(true) }}
        aria-label=${`Change the roles of ${member.peerId}`} disabled=${member.status === 'down'}>Roles…</button>
      <span class="said" role="status">${said}</span>`
  }
  return html`
    <form class="roles-editor" onSubmit=${submit}>
      <fieldset>
        <legend>Roles of <code>${shortPeer(member.peerId)}</code></legend>
        ${ROLES.map((role) => html`
          <label key=${role} for=${`${id}-${role}`} class="check">
            <input type="checkbox" id=${`${id}-${role}`} checked=${chosen.includes(role)} onChange=${() => { toggle(role) }} /> ${role}
          </label>`)}
      </fieldset>
      <div class="actions">
        <button type="submit" class="button-small primary" disabled=${save.busy || chosen.length === 0}>${save.busy ? 'Saving…' : 'Save roles'}</button>
        <button type="button" class="button-small" onClick=${() => { setOpen(false) }}>Cancel</button>
      </div>
      ${chosen.length === 0 && html`<p class="hint">A member needs at least one role.</p>`}
      <${ErrorMessage} error=${save.error} context="Could not change the roles" onDismiss=${save.clear} />
    </form>`
}
