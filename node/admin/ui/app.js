// The Plexi admin dashboard: sign in, then one view per concern, chosen by the URL's hash (#/cluster).
// Plain ES modules with Preact and htm: no build step.
import { render } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { html } from './lib/html.js'
import { createApiClient } from './lib/api-client.js'
import { AppContext } from './lib/app-context.js'
import { useJobTracker } from './lib/job-tracker.js'
import { usePoll } from './lib/use-poll.js'
import { useRoute } from './lib/use-route.js'
import { clearToken, loadToken, saveToken } from './lib/session.js'
import { shortPeer } from './lib/format.js'
import { ErrorMessage } from './components/error-message.js'
import { JobDock } from './components/job-dock.js'
import { SignIn, refusal } from './views/sign-in.js'
import { ClusterView } from './views/cluster.js'
import { ActorsView } from './views/actors.js'
import { ReplicationView } from './views/replication.js'
import { MetricsView } from './views/metrics.js'
import { ModelsView } from './views/models.js'
import { JobsView } from './views/jobs.js'
import { BackupsView } from './views/backups.js'
import { PluginsView } from './views/plugins.js'
import { UsersView } from './views/users.js'
import { LogsView } from './views/logs.js'
import { AuditView } from './views/audit.js'
import { SearchView } from './views/search.js'

const VIEWS = [
  { id: 'cluster', title: 'Cluster', View: ClusterView },
  { id: 'search', title: 'Search', View: SearchView },
  { id: 'actors', title: 'Actors', View: ActorsView },
  { id: 'replication', title: 'Replication', View: ReplicationView },
  { id: 'metrics', title: 'Metrics', View: MetricsView },
  { id: 'models', title: 'Models', View: ModelsView },
  { id: 'jobs', title: 'Jobs', View: JobsView },
  { id: 'backups', title: 'Backups', View: BackupsView },
  { id: 'plugins', title: 'Plugins', View: PluginsView },
  { id: 'users', title: 'Users', View: UsersView },
  { id: 'logs', title: 'Logs', View: LogsView },
  { id: 'audit', title: 'Audit', View: AuditView }
]
/** The cluster is read this often for every view (members, this node's peer id). */
const CLUSTER_POLL_MS = 3_000

function App () {
  const [token, setToken] = useState(loadToken)
  const [refused, setRefused] = useState(undefined)
  const signIn = (value) => {
    saveToken(value)
    setRefused(undefined)
    setToken(value)
  }
  const signOut = (reason) => {
    clearToken()
    setRefused(reason)
    setToken('')
  }
  if (token === '') return html`<${SignIn} onSignedIn=${signIn} refused=${refused} />`
  return html`<${Shell} key=${token} token=${token} onSignOut=${signOut} />`
}

function Shell ({ token, onSignOut }) {
  const api = useMemo(() => createApiClient({ token, onUnauthorized: (err) => { onSignOut(refusal(err)) } }), [token])
  const tracker = useJobTracker(api)
  const cluster = usePoll(async () => await api.get('/cluster'), CLUSTER_POLL_MS, [api])
  const route = useRoute('cluster')
  const [menuOpen, setMenuOpen] = useState(false)
  const heading = useRef(null)
  const view = VIEWS.find((v) => v.id === route)
  const self = cluster.data?.self?.peerId

  useEffect(() => {
    document.title = `${view?.title ?? 'Not found'} · Plexi admin`
    setMenuOpen(false)
    // a screen reader hears the new view; the first render keeps the focus where it was
    if (heading.current !== null && document.activeElement !== document.body) heading.current.focus()
  }, [route])

  const app = useMemo(() => ({ api, cluster, self, track: tracker.track }), [api, cluster, self, tracker.track])

  return html`
    <${AppContext.Provider} value=${app}>
      <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); heading.current?.focus() }}>Skip to the view</a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true"></span>
          <span>Plexi admin</span>
          ${self !== undefined && html`<span class="node-id" title=${self}>node <code>${shortPeer(self)}</code></span>`}
        </div>
        <button type="button" class="menu-toggle" aria-expanded=${menuOpen ? 'true' : 'false'} aria-controls="main-nav"
          aria-label=${menuOpen ? 'Close the menu' : 'Open the menu'} onClick=${() => { setMenuOpen(!menuOpen) }}>☰</button>
        <nav id="main-nav" class=${menuOpen ? 'nav open' : 'nav'} aria-label="Views" onClick=${(e) => { if (e.target.closest('a') !== null) setMenuOpen(false) }}>
          <ul>
            ${VIEWS.map((v) => html`<li key=${v.id}><a href=${`#/${v.id}`} aria-current=${v.id === route ? 'page' : undefined}>${v.title}</a></li>`)}
          </ul>
        </nav>
        <button type="button" class="sign-out" onClick=${() => { onSignOut(undefined) }}>Sign out</button>
      </header>
      <main id="main">
        <h1 class="view-title" tabindex="-1" ref=${heading}>${view?.title ?? 'Not found'}</h1>
        <${ErrorMessage} error=${cluster.error} context="Could not read the cluster" />
        ${route !== 'jobs' && html`<${JobDock} tracker=${tracker} />`}
        ${view === undefined
          ? html`<p>There is no view "${route}". <a href="#/cluster">Go to the cluster</a>.</p>`
          : html`<${view.View} key=${view.id} />`}
      </main>
    </${AppContext.Provider}>`
}

const root = document.getElementById('app')
// the "Loading…" placeholder goes: Preact renders next to what a container holds
root.textContent = ''
render(html`<${App} />`, root)
