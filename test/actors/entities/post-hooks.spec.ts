import { writeFile, rm } from 'node:fs/promises'
import { expect } from 'chai'
import { POST_HOOKS, ROOM } from '../../../actors/index.ts'
import type { PostAck, PostHooksState } from '../../../actors/index.ts'
import { Registry } from 'prom-client'
import { MeshRoomPlugins, PostHooksResume, roomPluginMetrics } from '../../../node/room-plugins/index.ts'
import { RoomPluginRig } from '../../helpers/room-plugin-rig.ts'
import { StdioPluginHost } from '../../helpers/stdio-plugin-host.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import type { LoggedRequest } from '../../helpers/stdio-plugin-host.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** `room:seq` of each after-post request, in the order the plugin got them. */
const seqs = (sent: LoggedRequest[]): string[] => sent.map((r) => `${String(r.params.room)}:${String(r.params.seq)}`)
const QUIET = { debug: () => undefined, info: () => undefined, warn: () => undefined }

describe('after-post hooks', function () {
  this.timeout(60_000)
  let rig: RoomPluginRig
  afterEach(async () => { await rig.close() })

  const delivered = async (plugin: string, count: number): Promise<LoggedRequest[]> => {
    let sent: LoggedRequest[] = []
    await waitFor(async () => (sent = await rig.host.logged(plugin, 'plexi/after-post')).length >= count, `${count} posts sent to ${plugin}`, { timeout: 15_000 })
    return sent
  }
  const hooksState = async (plugin: string): Promise<PostHooksState> =>
    ({ rooms: await rig.system.entity(POST_HOOKS, plugin).ask<Readonly<Record<string, number>>>((replyTo) => ({ type: 'cursors', replyTo })) })

  it('should send every committed post with its seq, in seq order per room, joins moved past, bots\' answers included', async () => {
    rig = await RoomPluginRig.open()
    await rig.host.start('audit', { afterPost: true, commands: ['echo'] })
    await rig.post('a', 'alice', 'one')
    await rig.join('a', 'bob')
    await rig.post('b', 'bob', 'in b')
    await rig.post('a', 'bob', '/echo two')
    await rig.post('a', 'alice', 'three')
    const sent = await delivered('audit', 5)
    const inA = sent.filter((r) => r.params.room === 'a')
    expect(inA.map((r) => [r.params.seq, r.params.user, r.params.text])).to.deep.equal([
      [1, 'alice', 'one'], [3, 'bob', '/echo two'], [4, 'alice', 'three'], [5, 'audit[bot]', 'two']])
    expect(seqs(sent.filter((r) => r.params.room === 'b'))).to.deep.equal(['b:1'])
    expect(inA.every((r) => typeof r.params.ts === 'number')).to.equal(true)
    expect(await rig.metric('plexi_plugin_after_post_total', { plugin: 'audit', outcome: 'delivered' })).to.equal(5)
  })

  it('should never hold a post while the plugin is down, and send what it missed, in order, once it is back (retried with backoff)', async () => {
    rig = await RoomPluginRig.open()
    await rig.host.start('audit', { afterPost: true })
    await rig.post('r', 'alice', 'before')
    await delivered('audit', 1)
    await rig.host.kill('audit')
    for (let i = 1; i <= 5; i++) expect((await rig.post('r', 'alice', `while down ${i}`)).seq).to.equal(i + 1)
    await waitFor(async () => await rig.metric('plexi_plugin_after_post_total', { plugin: 'audit', outcome: 'failed' }) >= 2, 'failed sends, retried')
    await rig.host.restart('audit')
    const sent = await delivered('audit', 6)
    expect(seqs(sent)).to.deep.equal(['r:1', 'r:2', 'r:3', 'r:4', 'r:5', 'r:6'])
  })

  it('should go on from its durable cursor after a restart of the node, the rooms noted before their posts, resumed by the node\'s service', async () => {
    rig = await RoomPluginRig.open({ checkpointEvery: 2 })
    await rig.host.start('audit', { afterPost: true })
    for (let i = 1; i <= 5; i++) await rig.post('r', 'alice', `sent ${i}`)
    await delivered('audit', 5)
    await waitFor(async () => (await hooksState('audit')).rooms.r === 5, 'the cursor noted at 5')
    await writeFile(`${rig.host.logPath('audit')}.down`, '')
    for (let i = 6; i <= 9; i++) await rig.post('r', 'alice', `pending ${i}`)
    await rig.post('quiet', 'bob', 'a room nobody posts to again')
    await rig.restart()
    await rm(`${rig.host.logPath('audit')}.down`)
    // nothing posts to either room again: the resume service activates the entity
    const resume = new PostHooksResume({ plugins: rig.plugins, resume: (plugin) => { rig.system.entity(POST_HOOKS, plugin).tell({ type: 'resume' }) }, log: QUIET, intervalMs: 50 })
    resume.start()
    try {
      await waitFor(async () => {
        return new Set(seqs(await rig.host.logged('audit', 'plexi/after-post'))).size >= 10
      }, 'every post sent', { timeout: 15_000 })
    } finally {
      await resume.stop()
    }
    const sent = seqs(await rig.host.logged('audit', 'plexi/after-post'))
    // at least once: each post at least once; r's in seq order from the cursor on
    expect(new Set(sent)).to.deep.equal(new Set([...Array.from({ length: 9 }, (_v, i) => `r:${i + 1}`), 'quiet:1']))
    const afterRestart = sent.slice(sent.lastIndexOf('r:5') + 1).filter((s) => s.startsWith('r:'))
    expect(afterRestart.filter((s, i) => afterRestart.indexOf(s) === i)).to.deep.equal(['r:6', 'r:7', 'r:8', 'r:9'])
  })

  it('should stop watching a room caught up and quiet, and watch it again at its next post', async () => {
    rig = await RoomPluginRig.open({ unwatchAfterMs: 50 })
    await rig.host.start('audit', { afterPost: true })
    await rig.post('r', 'alice', 'one')
    await delivered('audit', 1)
    await waitFor(async () => (await hooksState('audit')).rooms.r === undefined, 'the room unwatched')
    await rig.post('r', 'alice', 'two')
    expect(seqs(await delivered('audit', 2))).to.deep.equal(['r:1', 'r:2'])
  })
})

describe('commands and hooks across a cluster (real libp2p on loopback)', function () {
  this.timeout(60_000)
  const net = useTestCluster()

  it('should answer commands and send every post to the after-post hook in order, wherever the rooms and the hook entity live', async () => {
    const dir = await tempDir()
    const host = new StdioPluginHost(dir.path)
    try {
      await host.start('audit', { afterPost: true, commands: ['echo'] })
      // one host for both nodes: it stands in for the plugin host's routing to the member running it
      net.roomPlugins = new MeshRoomPlugins({ source: host, metrics: roomPluginMetrics(new Registry()), log: { warn: () => undefined } })
      const [a, b] = await net.of([['chat'], ['chat']]) as [TestNode, TestNode]
      const rooms = ['r1', 'r2', 'r3', 'r4']
      for (const [i, room] of rooms.entries()) {
        const from = i % 2 === 0 ? a : b
        await from.system.entity(ROOM, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'ann', text: `/echo ${room}`, replyTo }))
        await (i % 2 === 0 ? b : a).system.entity(ROOM, room).ask<PostAck>((replyTo) => ({ type: 'post', user: 'bob', text: 'after', replyTo }))
      }
      await waitFor(async () => (await host.logged('audit', 'plexi/after-post')).length >= 12, 'every post sent', { timeout: 20_000 })
      const sent = await host.logged('audit', 'plexi/after-post')
      for (const room of rooms) {
        const inRoom = sent.filter((r) => r.params.room === room)
        // in seq order; the command's answer and bob's post race for seq 2 (bob does not wait for it)
        expect(inRoom.map((r) => r.params.seq), room).to.deep.equal([1, 2, 3])
        expect(inRoom.map((r) => [r.params.user, r.params.text]).sort(), room).to.deep.equal([['ann', `/echo ${room}`], ['audit[bot]', room], ['bob', 'after']])
        expect([inRoom[0]?.params.user, inRoom[0]?.params.text], room).to.deep.equal(['ann', `/echo ${room}`])
      }
    } finally {
      net.roomPlugins = undefined
      await host.close()
      await dir.remove()
    }
  })
})
