import { expect } from 'chai'
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ROOM } from '../../../../../actors/index.ts'
import type { ChatMessage, PostAck } from '../../../../../actors/index.ts'
import { MODERATION_CAPABILITY } from '../../../../../docs/plugins/examples/moderation/moderation-requests.ts'
import type { RunningSource } from '../../../../../node/plugins/index.ts'
import { examplePackage, installOnNode, settle } from '../../../../helpers/example-plugins.ts'
import { scrape, seriesValue } from '../../../../helpers/metric-text.ts'
import { startPartsUpTo } from '../../../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../../../helpers/node-parts-fixture.ts'
import { probeSandbox, sandboxOf } from '../../../../helpers/sandbox-probe.ts'
import { tempDir } from '../../../../helpers/temp-dir.ts'
import { rejection } from '../../../../helpers/thrown.ts'
import { waitFor } from '../../../../helpers/wait-for.ts'

describe('the moderation example plugin on a node', function () {
  this.timeout(120_000)
  let node: StartedParts
  let running: RunningSource
  let folder: string
  let copies: { path: string, remove: () => Promise<void> }
  before(async () => {
    node = await startPartsUpTo('plugin-registry', { flags: { role: 'chat,storage,plugins' } })
    node.c.get('state').becomeReady()
    copies = await tempDir('plexi-moderation-')
    // an operator's list, in the plugin's data folder, before it starts
    folder = join(node.c.get('config').dataDir, 'plugins-data', 'moderation')
    await mkdir(folder, { recursive: true })
    await writeFile(join(folder, 'words.txt'), '# words not allowed here\nscam\nspam\n')
    const done = await installOnNode(node.c, await examplePackage('moderation'))
    running = done.running
    expect(done.installed.plugin.permissions).to.deep.equal({ read: ['.'], write: ['counts'], memoryMiB: 128 })
  })
  after(async () => {
    await node?.stop()
    await copies?.remove()
  })

  const post = async (room: string, text: string, user = 'alice'): Promise<PostAck> =>
    await node.c.get('system').entity(ROOM, room).ask<PostAck>((replyTo) => ({ type: 'post', user, text, replyTo }), { timeout: 10_000 })
  const history = async (room: string): Promise<ChatMessage[]> =>
    await node.c.get('system').entity(ROOM, room).ask<ChatMessage[]>((replyTo) => ({ type: 'history', after: 0, limit: 1000, replyTo }))
  const posts = async (room: string): Promise<ChatMessage[]> => (await history(room)).filter((m) => m.kind === 'message')
  const counted = async (room: string): Promise<{ posts: number, lastSeq: number } | undefined> =>
    await readFile(join(folder, 'counts', `${room}.json`), 'utf8').then((t) => JSON.parse(t) as { posts: number, lastSeq: number }, () => undefined)
  /** Every post of `room` counted, once: the count is the number of posts and its last seq theirs. */
  const allCounted = async (room: string): Promise<void> => {
    await waitFor(async () => {
      const all = await posts(room)
      const c = await counted(room)
      return c?.posts === all.length && c.lastSeq === all.at(-1)?.seq
    }, `every post of ${room} counted once`, { timeout: 20_000, interval: 20 })
  }
  /** The bot's answers in `room`, once there are `n`. */
  const botAnswers = async (room: string, n: number): Promise<string[]> => {
    let answers: string[] = []
    await waitFor(async () => {
      answers = (await posts(room)).filter((m) => m.user === 'moderation[bot]').map((m) => m.text)
      return answers.length >= n
    }, `${n} answers of moderation[bot] in ${room}`, { timeout: 20_000, interval: 20 })
    return answers
  }
  const metric = async (series: string): Promise<number> => seriesValue(await scrape(node.c.get('metrics').registry), series) ?? 0

  it('should give the rooms its command and both hooks, with its manifest\'s budget and policy', () => {
    const view = node.c.get('roomPlugins').view()
    expect([...view.commands.values()]).to.deep.equal([{ name: 'modstats', plugin: 'moderation', description: MODERATION_CAPABILITY.commands[0].description, deadlineMs: 2_000 }])
    expect(view.beforePost).to.deep.equal([{ plugin: 'moderation', budgetMs: 200, onFailure: 'allow' }])
    expect(view.afterPost).to.deep.equal(['moderation'])
  })

  it('should refuse a post holding a listed word, storing nothing, and let the others through', async () => {
    await post('general', 'hello, spammers and scampi lovers')
    const refused = await rejection(() => post('general', 'buy my SCAM coins'))
    expect(refused.name).to.equal('PostRefusedError')
    expect(refused.message).to.equal('post refused by plugin moderation: "scam" is on this cluster\'s list of words not allowed in posts')
    expect((await posts('general')).map((m) => m.text)).to.deep.equal(['hello, spammers and scampi lovers'])
    expect(await metric('plexi_plugin_before_post_total{plugin="moderation",outcome="refused"}')).to.equal(1)
  })

  it('should read its list again once an operator edits it, with no restart', async () => {
    await post('general', 'a phishing link')
    await appendFile(join(folder, 'words.txt'), 'phishing\n')
    expect((await rejection(() => post('general', 'another phishing link'))).name).to.equal('PostRefusedError')
    expect(node.c.get('pluginHost')?.running().find((r) => r.name === 'moderation')?.restarts).to.equal(0)
  })

  it('should count every committed post of each room once, in its counts folder, and answer /modstats as its bot', async () => {
    for (let i = 0; i < 5; i++) await post('random', `random ${i}`)
    await allCounted('general')
    await allCounted('random')
    await post('general', '/modstats')
    const [answer] = await botAnswers('general', 1)
    expect(answer).to.match(/^general: [23] posts counted \(last seq \d+\); 2 refused since moderation started; 3 words on the list$/)
    await post('random', '/modstats all')
    const [all] = await botAnswers('random', 1)
    // the command's own post is counted or not yet when it is answered: the hooks run apart
    expect(all).to.match(/^posts counted: random [56], general [345]; 2 refused since moderation started; 3 words on the list$/)
    // the bots' answers are posts too: counted like any
    await allCounted('general')
    await allCounted('random')
  })

  it('should count each post exactly once while its process is killed and started again', async () => {
    const host = node.c.get('pluginHost')
    const before = host?.running().find((r) => r.name === 'moderation')
    process.kill(before?.pid as number, 'SIGKILL')
    // posts go on meanwhile: the before-post hook's policy allows them, the after-post ones wait
    for (let i = 0; i < 10; i++) await post('general', `through the crash ${i}`)
    await waitFor(() => host?.running().find((r) => r.name === 'moderation')?.state === 'up', 'moderation up again', { timeout: 20_000 })
    for (let i = 0; i < 5; i++) await post('general', `after the crash ${i}`)
    await allCounted('general')
    expect(host?.running().find((r) => r.name === 'moderation')?.crashes).to.equal(1)
  })

  it('should run it reading its folder and writing only its counts, the rest denied', async () => {
    const dataDir = node.c.get('config').dataDir
    // the process now (the one before was killed)
    const now = node.c.get('pluginHost')?.running().find((r) => r.name === 'moderation' && r.state === 'up')
    expect(now?.pid).to.not.equal(running.pid)
    const sandbox = sandboxOf(now?.pid as number)
    expect(sandbox.cwd).to.equal(folder)
    const pkg = join(dataDir, 'plugins', 'moderation', '1.0.0')
    expect(sandbox.argv.slice(1, sandbox.argv.indexOf('--'))).to.deep.equal([
      '--permission', `--allow-fs-read=${pkg}`, `--allow-fs-read=${folder}`, `--allow-fs-read=${join(folder, 'counts')}`, `--allow-fs-write=${join(folder, 'counts')}`, '--max-old-space-size=128'
    ])
    expect(sandbox.env).to.deep.equal({})
    const probe = await probeSandbox(sandbox, `
      readList: () => fs.readFileSync('words.txt'),
      writeCounts: () => fs.writeFileSync('counts/probe.tmp', 'x'),
      writeList: () => fs.writeFileSync('words.txt', 'nothing'),
      writeFolder: () => fs.writeFileSync('other.txt', 'x'),
      nodeDataDir: () => fs.readdirSync(${JSON.stringify(dataDir)}),
      package: () => fs.writeFileSync(${JSON.stringify(join(pkg, 'server.ts'))}, ''),
      spawn: () => cp.execFileSync('/bin/true')`)
    expect(probe).to.deep.equal({ readList: 'ok', writeCounts: 'ok', writeList: 'ERR_ACCESS_DENIED', writeFolder: 'ERR_ACCESS_DENIED', nodeDataDir: 'ERR_ACCESS_DENIED', package: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED' })
  })

  it('should, in a version that asks no permission, be denied its list and its counts: the hooks\' policy and retries apply, and a rollback counts what was missed', async () => {
    const registry = node.c.get('pluginRegistry')
    await registry.install(await examplePackage('moderation', { version: '1.0.1', manifest: { permissions: { memoryMiB: 128 } } }, copies.path), 'admin')
    await registry.upgrade('moderation', '1.0.1')
    await settle(node.c, 'moderation', '1.0.1')
    const failuresBefore = await metric('plexi_plugin_before_post_failures_total{plugin="moderation",policy="allow"}')
    // the list cannot be read: no verdict, and the policy (allow) lets even a listed word through
    await post('denied', 'a scam that gets through')
    expect(await metric('plexi_plugin_before_post_failures_total{plugin="moderation",policy="allow"}')).to.equal(failuresBefore + 1)
    await post('denied', 'an ordinary post')
    await waitFor(async () => await metric('plexi_plugin_after_post_total{plugin="moderation",outcome="failed"}') > 0, 'an after-post delivery failed', { timeout: 20_000, interval: 20 })
    expect(node.c.get('pluginHost')?.logs('moderation', '1.0.1').join('\n')).to.match(/plexi\/after-post failed: Error: Access to this API has been restricted/)
    expect(await counted('denied')).to.equal(undefined)
    await registry.rollback('moderation')
    await settle(node.c, 'moderation', '1.0.0')
    await allCounted('denied')
  })
})
