import { writeFile, rm } from 'node:fs/promises'
import { expect } from 'chai'
import { RoomPluginRig } from '../../helpers/room-plugin-rig.ts'
import type { LoggedRequest } from '../../helpers/stdio-plugin-host.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const seqs = (sent: LoggedRequest[]): string[] => sent.map((r) => `${String(r.params.room)}:${String(r.params.seq)}`)

describe('post-hooks delivery', function () {
  this.timeout(60_000)
  let rig: RoomPluginRig
  afterEach(async () => { await rig.close() })

  it('should skip the oldest posts past the backlog bound (counted and logged) and send the newest, in order', async () => {
    rig = await RoomPluginRig.open({ maxLag: 3 })
    await rig.host.start('audit', { afterPost: true })
    await writeFile(`${rig.host.logPath('audit')}.down`, '')
    for (let i = 1; i <= 8; i++) await rig.post('r', 'alice', `post ${i}`)
    await waitFor(async () => await rig.metric('plexi_plugin_after_post_total', { plugin: 'audit', outcome: 'skipped' }) === 5, 'the oldest 5 skipped')
    await rm(`${rig.host.logPath('audit')}.down`)
    await waitFor(async () => (await rig.host.logged('audit', 'plexi/after-post')).some((r) => r.params.seq === 8), 'the newest sent')
    expect(seqs(await rig.host.logged('audit', 'plexi/after-post'))).to.deep.equal(['r:6', 'r:7', 'r:8'])
    expect(rig.lines.some((l) => l.msg?.includes('the oldest posts are skipped') === true)).to.equal(true)
  })

  it('should send every post in order when the rooms push more than it keeps (read back from the journal)', async () => {
    rig = await RoomPluginRig.open({ maxBuffered: 2 })
    await rig.host.start('audit', { afterPost: true })
    await writeFile(`${rig.host.logPath('audit')}.down`, '')
    await Promise.all(Array.from({ length: 30 }, async (_v, i) => await rig.post('r', 'alice', `post ${i}`)))
    await rm(`${rig.host.logPath('audit')}.down`)
    await waitFor(async () => (await rig.host.logged('audit', 'plexi/after-post')).some((r) => r.params.seq === 30), 'the last post sent', { timeout: 15_000 })
    expect(seqs(await rig.host.logged('audit', 'plexi/after-post'))).to.deep.equal(Array.from({ length: 30 }, (_v, i) => `r:${i + 1}`))
  })
})
