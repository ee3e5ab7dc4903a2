import { formatHostPort } from '../../config/index.ts'
import type { Components } from './components.ts'
import { WAIT_FOR_CLUSTER_LOG_MS } from './constants.ts'
import type { NodeComponents } from './node-components.ts'

type C = Components<NodeComponents>


/**
 * Makes the node ready once it has a view of the cluster: at once for a node alone or one
 * started without --join; otherwise once it heard a member, and the members that one hears (or
 * failure-timeout passed for them). Until then /readyz is 503, calls are refused with
 * UNAVAILABLE and no entity is placed here: no waiting out a timeout and then serving alone (a
 * restarted node would hand out seqs its rooms already had). Returns at once: the wait for the
 * cluster goes on in the background, saying so every WAIT_FOR_CLUSTER_LOG_MS, until the node is
 * ready or stops.
 */
export function startReadiness (c: C): void {
  const config = c.get('config')
  const log = c.get('log')
  const p2p = c.get('p2p')
  sayTls(c)
  const { adminToken, backupKey } = c.get('preflight')
  if (p2p === undefined || config.join.length === 0) {
    ready(c)
  } else {
    const reach = c.get('reach')
    log.info({ peerId: c.get('preflight').identity.peerId, grpc: formatHostPort(reach.grpc), admin: formatHostPort(reach.admin), p2p: p2p.multiaddrs(), join: config.join }, `waiting to hear a member of the cluster (${config.join.join(', ')}) before taking clients; p2p on ${p2p.multiaddrs().join(' ')}`)
    // never rejects: its every step is bounded and logged, and a stop ends the loop
    void waitForCluster(c)
  }
  if (adminToken.source === 'created') log.info(`admin token created in ${adminToken.path} (mode 0600)`)
  if (backupKey !== undefined) log.info({ backupKeyFingerprint: backupKey.fingerprint }, `backup key ${backupKey.fingerprint} loaded from ${config.backupKeyFile ?? ''} (kept in memory only)`)
}

async function waitForCluster (c: C): Promise<void> {
  const config = c.get('config')
  const log = c.get('log')
  const cluster = c.get('cluster')
  const state = c.get('state')
  while (state.now === 'starting') {
    if (await cluster.awaitPeers(WAIT_FOR_CLUSTER_LOG_MS)) {
      // and the members it hears: records arrive one by one, and a view of this node and one
      // member would take entities that are others'
      const unheard = await cluster.awaitFullView(config.failureTimeout)
      if (unheard.length > 0) log.warn({ unheard }, `${unheard.length} members the cluster knows were not heard within failure-timeout (${config.failureTimeout} ms); ready without them (${unheard.join(', ')})`)
      await catchUpRoster(c)
      ready(c)
      return
    }
    if (state.now === 'starting') log.warn({ join: config.join }, `still waiting to hear a member of the cluster: is one of ${config.join.join(', ')} up, with the same cluster key? not ready until then`)
  }
}

/** A joining node applies the roster versions its members applied before it is ready: placement
 * follows them, and one planned on what this node heard alone (itself a storage node no version
 * names yet) would be taken back at the catch-up. Bounded by failure-timeout; said when it did not. */
async function catchUpRoster (c: C): Promise<void> {
  const follower = c.get('rosterVersions')?.follower
  if (follower === undefined || follower.caughtUp()) return
  const timeout = c.get('config').failureTimeout
  if (!await follower.catchUpBefore(timeout)) {
    const behind = follower.behind()
    c.get('log').warn({ behind }, behind === undefined
      ? `the partitions' configuration versions were not read from a member within failure-timeout (${timeout} ms); ready all the same (takes wait for them: the follower goes on trying)`
      : `the roster versions the cluster applied (up to ${behind}) were not read within failure-timeout (${timeout} ms); ready all the same, placing by the versions applied here (the follower goes on trying)`)
  }
}

/** starting → ready: the write quorum's watch starts, judged from the view this node has now
 * (before, it has heard no member); the others hear at once that this node is up. */
function ready (c: C): void {
  if (!c.get('state').becomeReady()) return
  const config = c.get('config')
  const p2p = c.get('p2p')
  const reach = c.get('reach')
  const { identity, tls, adminToken } = c.get('preflight')
  const scheme = tls === undefined ? 'http' : 'https'
  const openai = c.get('openai')
  const web = c.get('web')
  c.get('writeQuorum').start()
  c.get('cluster').refresh()
  p2p?.announce()
  c.get('directoryView').start()
  c.get('log').info({
    peerId: identity.peerId,
    roles: c.get('roles').current,
    grpc: formatHostPort(reach.grpc),
    admin: formatHostPort(reach.admin),
    ...(web !== undefined && { web: `${scheme}://${formatHostPort(web.address)}/` }),
    ...(openai !== undefined && { openai: `${scheme}://${formatHostPort(openai.address)}/v1` }),
    tls: tls !== undefined,
    ...(p2p !== undefined && { p2p: p2p.multiaddrs() }),
    dataDir: config.dataDir,
    adminToken: adminToken.source === 'config' ? '(from configuration)' : adminToken.path
  }, `node ready: gRPC on ${formatHostPort(reach.grpc)}${tls === undefined ? '' : ' (TLS)'}, admin on ${scheme}://${formatHostPort(reach.admin)}${web === undefined ? '' : `, chat page and gRPC-Web on ${scheme}://${formatHostPort(web.address)}/`}${p2p === undefined ? '' : `, p2p on ${p2p.multiaddrs().join(' ')} (give it to --join)`}`)
}

/** The certificate's public facts only (the key stays in memory), and a warning when it expired. */
function sayTls (c: C): void {
  const tls = c.get('preflight').tls
  if (tls === undefined) return
  const config = c.get('config')
  const log = c.get('log')
  const served = ['gRPC', 'admin', ...(c.get('web') !== undefined ? ['user listener (gRPC-Web)'] : []), ...(c.get('openai') !== undefined ? ['OpenAI-compatible API'] : [])]
  log.info({ tls: { endpoints: served, cert: config.tlsCert, ...tls.summary } }, `TLS on ${served.join(', ')}: certificate ${tls.summary.subject} (${tls.summary.altNames}), valid to ${tls.summary.validTo}, SHA-256 ${tls.summary.fingerprint256}`)
  if (tls.summary.expired) log.warn({ validTo: tls.summary.validTo }, `the TLS certificate in ${config.tlsCert ?? ''} expired at ${tls.summary.validTo}: clients will refuse it; replace it and restart`)
}
