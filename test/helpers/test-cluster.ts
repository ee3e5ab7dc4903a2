import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ActorSystem, PermissionDeniedError, chatRoom, chatRoomType, postHooks, roomDirectory, userDirectory } from '../../actors/index.ts'
import type { Behavior, NodeRole, ReplyTo, RoomPlugins } from '../../actors/index.ts'
import { LevelReplicaStorage, LevelStore, meshJournal, spawnShardHolders } from '../../node/index.ts'
import type { ReplicatedJournal } from '../../node/index.ts'
import * as inferenceFolder from '../../node/inference/index.ts'
import * as pluginsFolder from '../../node/plugins/index.ts'
import type { Candidate } from '../../node/mesh/index.ts'
import { Cluster, NodeRoles, readClusterKey, startP2pHost } from '../../node/mesh/index.ts'
import type { JobsView, MemberRecord, P2pHost } from '../../node/mesh/index.ts'
import * as pluginRegistryFolder from '../../node/plugin-registry/index.ts'
import * as replicationFolder from '../../node/replication/index.ts'
import { watchSecret } from './secret-watch.ts'
import { tempDir } from './temp-dir.ts'
import { waitFor } from './wait-for.ts'

/** Short enough that a dead member is noticed within a test, long enough for a busy machine. */
export const FAILURE_TIMEOUT = 1_500
export const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined }

export interface TestNode {
  readonly id: string
  readonly host: P2pHost
  readonly system: ActorSystem
  readonly cluster: Cluster
  readonly store: LevelStore
  readonly journal: ReplicatedJournal
  /** The node's mesh warnings, as logged. */
  readonly warnings: string[]
  /** Changes the status its member record gives (as a node does when it drains) and announces it. */
  setStatus (status: MemberRecord['status']): void
  stop (): Promise<void>
}

export type EchoMsg = { readonly text: string, readonly fail?: boolean, readonly replyTo: ReplyTo<{ text: string, node: string }> }

/** A member record of a test node that is up (`peerId` is read when the record is). */
export function upRecord (peerId: () => string, roles: () => string[] = () => ['chat']): () => MemberRecord {
  return () => ({
    peerId: peerId(),
    roles: roles(),
    addresses: { grpc: '127.0.0.1:1', admin: '127.0.0.1:2', p2p: [] },
    load: { actors: 1, entities: 0, mailbox: 0, rssBytes: 1 },
    capacity: 1,
    status: 'up',
    incarnation: 1,
    version: 'test'
  })
}

/** A TestCluster set up before each test of the calling `describe` and torn down after it. */
export function useTestCluster (): TestCluster {
  const net = new TestCluster()
  beforeEach(async () => { await net.setup() })
  afterEach(async () => { await net.teardown() })
  return net
}

/** Replies with the text and where it ran; `fail` throws one of our error classes. */
function echo (): Behavior<EchoMsg, undefined> {
  return {
    init: () => undefined,
    receive (_s, msg, ctx) {
      if (msg.fail === true) throw new PermissionDeniedError(`no echo for ${msg.text}`)
      ctx.reply(msg.replyTo, { text: msg.text, node: ctx.node })
      return undefined
    }
  }
}

/**
 * Nodes of one cluster in this process, as a node wires them (real libp2p on loopback, a real
 * LevelStore each, the chat entities and an `/echo` actor), minus gRPC and HTTP. `setup()` in a
 * beforeEach, `teardown()` in the afterEach.
 */
/** Fewer partitions than a real cluster: a test node spawns one shard holder per partition. */
const TEST_PARTITIONS = 16

export class TestCluster {
  /** The rooms' plugins of the nodes made next (commands and hooks, with the post-hooks entity); none when unset. */
  roomPlugins: RoomPlugins | undefined
  readonly nodes: TestNode[] = []
  /** Other things to stop at teardown (raw hosts of a test). */
  readonly extra: Array<{ stop: () => Promise<void> }> = []
  #dir: { path: string, remove: () => Promise<void> } | undefined
  #key: Uint8Array | undefined
  /** Every node of the cluster holds replicas (the storage roster of real nodes). */
  readonly #roster: Candidate[] = []

  async setup (): Promise<void> {
    this.#dir = await tempDir()
    const key = new Uint8Array(95)
    generateKey(key)
    await writeFile(join(this.#dir.path, 'cluster.key'), key, { mode: 0o600 })
    watchSecret(new TextDecoder().decode(key).split('\n')[2] ?? '', 'the cluster key')
    this.#key = await readClusterKey(join(this.#dir.path, 'cluster.key'))
  }

  async teardown (): Promise<void> {
    for (const n of this.nodes.splice(0).reverse()) await n.stop().catch(() => undefined)
    this.#roster.splice(0)
    for (const e of this.extra.splice(0)) await e.stop().catch(() => undefined)
    await this.#dir?.remove()
  }

  get clusterKey (): Uint8Array {
    if (this.#key === undefined) throw new Error('TestCluster.setup() first')
    return this.#key
  }

  /** One node with these roles, joining `join`; `jobs`: makes the jobs its inspector answers for,
   * given its peer id; `settleMs`: a member that joins takes entities once up that long (its
   * record then says whether it settled, and it serves while its status is up, as a real node). */
  async node (roles: NodeRole[], join: readonly string[] = [], options: { jobs?: (peerId: string) => JobsView, settleMs?: number } = {}): Promise<TestNode> {
    const privateKey = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(privateKey).toString()
    const store = await LevelStore.open(join_(this.#dir?.path ?? '', `store-${this.nodes.length}`))
    // every test node holds replicas: journals live on the nodes of the cluster, as on real nodes
    this.#roster.push({ peerId: id, roles: ['storage'], capacity: 1 })
    // as a real node does when it hears a new storage member: open journals follow the roster
    for (const n of this.nodes) n.journal.rosterChanged()
    let systemRef: ActorSystem | undefined
    const journal = meshJournal({ self: id, storage: await LevelReplicaStorage.open(store, TEST_PARTITIONS), roster: () => this.#roster, system: () => systemRef as ActorSystem })
    const system = new ActorSystem({ node: id, journal, strictSerialization: true })
    systemRef = system
    spawnShardHolders(system, journal)
    system.registerEntity(this.roomPlugins === undefined ? chatRoom : chatRoomType({ plugins: this.roomPlugins }))
    if (this.roomPlugins !== undefined) system.registerEntity(postHooks({ plugins: this.roomPlugins, tuning: { tickMs: 20, retryFirstMs: 20, retryMaxMs: 200 } }))
    system.registerEntity(roomDirectory)
    system.registerEntity(userDirectory)
    system.spawn(echo(), { name: 'echo' })
    const nodeRoles = new NodeRoles(roles)
    const warnings: string[] = []
    const log = { ...quiet, warn: (_o: object, msg: string) => { warnings.push(msg) } }
    const settling = options.settleMs !== undefined
    // a settling node serves once it heard the cluster it joins, as a real node does
    let status: MemberRecord['status'] = settling && join.length > 0 ? 'joining' : 'up'
    const record = upRecord(() => id, () => [...nodeRoles.current])
    let clusterRef: Cluster | undefined
    const host = await startP2pHost({
      privateKey,
      listen: '/ip4/127.0.0.1/tcp/0',
      join,
      clusterKey: this.clusterKey,
      failureTimeout: FAILURE_TIMEOUT,
      self: () => ({ ...record(), status, ...(settling && { settled: clusterRef?.settled ?? false }) }),
      log
    })
    const cluster = await Cluster.start({
      system, heads: journal, roles: nodeRoles, capacity: 1, p2p: host, serving: () => !settling || status === 'up', onViewChange: () => undefined, refreshMs: 125, log,
      // as startNode: errors of the folders above the mesh come off the wire as their own classes
      errorModules: [inferenceFolder, replicationFolder, pluginRegistryFolder, pluginsFolder],
      ...(options.jobs !== undefined && { jobs: options.jobs(id) }),
      ...(settling && { settleMs: options.settleMs, onSettled: () => { host.announce() } })
    })
    clusterRef = cluster
    if (status === 'joining') {
      await cluster.awaitPeers(20_000)
      await cluster.awaitFullView(20_000)
      status = 'up'
      cluster.refresh()
      host.announce()
    }
    const started: TestNode = {
      id,
      host,
      system,
      cluster,
      store,
      journal,
      warnings,
      setStatus (s) {
        status = s
        if (settling) cluster.refresh()
        host.announce()
      },
      async stop () {
        await cluster.stop()
        await system.terminate()
        await host.stop()
        await store.close()
      }
    }
    this.nodes.push(started)
    return started
  }

  /** Nodes of these roles joined to the first, each seeing all the others up. */
  async of (roles: NodeRole[][]): Promise<TestNode[]> {
    const first = await this.node(roles[0] as NodeRole[])
    const rest: TestNode[] = []
    for (const r of roles.slice(1)) rest.push(await this.node(r, [first.host.multiaddrs()[0] as string]))
    const all = [first, ...rest]
    await waitFor(() => all.every((n) => n.host.members().filter((m) => m.status === 'up').length === all.length - 1),
      'every node to see the others up', { timeout: 20_000, interval: 50 })
    for (const n of all) n.cluster.refresh()
    return all
  }

  /** A bare libp2p host holding the cluster key (no actor system): a peer that may send anything. */
  async rawPeer (): Promise<P2pHost> {
    const raw = await startP2pHost({
      privateKey: await generateKeyPair('Ed25519'), listen: '/ip4/127.0.0.1/tcp/0', join: [], clusterKey: this.clusterKey, failureTimeout: 60_000, log: quiet,
      self: () => ({ peerId: '', roles: [], addresses: { grpc: '', admin: '', p2p: [] }, load: { actors: 0, entities: 0, mailbox: 0, rssBytes: 0 }, capacity: 1, status: 'joining', incarnation: 1, version: '' })
    })
    this.extra.push(raw)
    return raw
  }
}

function join_ (...parts: string[]): string { return join(...parts) }
