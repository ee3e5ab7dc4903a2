// Members by role and status: one row per role (a member with several roles counts in each), a
// column per status that any member has, problems (down, suspect) marked. Readable at 30 members
// and more, where the table below is long.
import { html } from '../lib/html.js'
import { STATUS_ORDER } from './topology.js'

export function RoleSummary ({ members }) {
  const roles = [...new Set(members.flatMap((m) => m.roles))].sort()
  const statuses = STATUS_ORDER.slice().reverse().filter((s) => members.some((m) => m.status === s))
  const rows = [...roles.map((role) => ({ role, of: members.filter((m) => m.roles.includes(role)) }))]
  const none = members.filter((m) => m.roles.length === 0)
  if (none.length > 0) rows.push({ role: 'no roles', of: none })
  return html`
    <table class="role-summary" data-testid="role-summary">
      <caption>Members by role and status</caption>
      <thead><tr><th scope="col">Role</th><th scope="col" class="num">Members</th>${statuses.map((s) => html`<th key=${s} scope="col" class="num">${s}</th>`)}</tr></thead>
      <tbody>
        ${rows.map(({ role, of }) => html`
          <tr key=${role} data-role=${role}>
            <th scope="row">${role}</th>
            <td class="num">${of.length}</td>
            ${statuses.map((s) => {
              const n = of.filter((m) => m.status === s).length
              const bad = n > 0 && (s === 'down' || s === 'suspect')
              return html`<td key=${s} class=${bad ? 'num cell-bad' : 'num'} data-status=${s}>${n === 0 ? html`<span class="muted">0</span>` : n}</td>`
            })}
          </tr>`)}
      </tbody>
    </table>`
}
