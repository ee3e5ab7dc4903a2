import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import { AdminClient } from '../../cli/admin-client.ts'
import { adminTop } from '../../cli/admin-top.ts'
import type { CliIo } from '../../cli/cli-io.ts'
import type { NodeStats } from '../../cli/top-frame.ts'
import type { Member } from '../../protocols/index.ts'
import { ADMIN_TOKEN, AdminFixture, NODE_ID } from '../helpers/admin-fixture.ts'
import { waitFor } from '../helpers/wait-for.ts'

const ALTERNATE_SCREEN = '\x1b[?1049h'
const MAIN_SCREEN = '\x1b[?1049l'
const HIDE_CURSOR = '\x1b[?25l'
const SHOW_CURSOR = '\x1b[?25h'
const HOME = '\x1b[H'

interface Terminal extends CliIo {
  out: () => string
  err: () => string
  /** The lines of the last frame drawn. */
  frame: () => string[]
  frames: () => number
  rawModes: boolean[]
  stdout: PassThrough & { isTTY?: boolean, columns?: number, rows?: number }
  stdin: PassThrough & { isTTY?: boolean, setRawMode?: (raw: boolean) => void }
}

/** A CliIo whose stdout (and stdin, with `keys`) is a terminal of 100 x 30 the test reads and types into. */
function terminal ({ tty = true, keys = tty }: { tty?: boolean, keys?: boolean } = {}): Terminal {
  const rawModes: boolean[] = []
  const stdout = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 100, rows: 30 } : {})
  const stdin = Object.assign(new PassThrough(), keys ? { isTTY: true, setRawMode: (raw: boolean) => { rawModes.push(raw) } } : {})
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const frames = (): string[] => out.split(HOME).slice(1)
  return {
    stdout, stderr, stdin, env: {}, cwd: process.cwd(), rawModes,
    out: () => out,
    err: () => err,
    frames: () => frames().length,
    frame: () => (frames().at(-1) ?? '').split('\x1b[J')[0]?.split('\x1b[K\n').map((l) => l.replace('\x1b[K', '')) ?? []
  }
}

/** adminTop against a real admin endpoint (Fastify on loopback, a real store, the node's stats
 * sampler driven by the test's clock). */
describe('adminTop', function () {
  this.timeout(20_000)
  const f = new AdminFixture()
  let api: AdminClient
  let endpoint: string
  beforeEach(async () => {
    await f.setup()
    await f.app.listen({ host: '127.0.0.1', port: 0 })
    endpoint = `127.0.0.1:${(f.app.server.address() as { port: number }).port}`
    api = new AdminClient(`http://${endpoint}`, ADMIN_TOKEN)
    // the baseline, then a second of 3 posts
    await f.sampler.sample()
    f.metrics.chatMessages.inc(3)
    f.clock += 1000
    await f.sampler.sample()
  })
  afterEach(async () => { await f.teardown() })

  it('should print one frame when stdout is no terminal, or with once', async () => {
    for (const [io, once] of [[terminal({ tty: false }), false], [terminal(), true]] as const) {
      await adminTop(api, io, { intervalMs: 1000, once, endpoint })
      const lines = io.out().split('\n')
      expect(lines[0]).to.match(new RegExp(`^plexi admin top ${endpoint}  1 member: 1 up  \\d\\d:\\d\\d:\\d\\d$`))
      expect(lines[3]).to.match(/^3\.0\s+0\.0\s+0\.0\s+-\s+-\s+0\.0\s+\d/)
      expect(lines[6]).to.match(new RegExp(`^${NODE_ID} \\(self\\)\\s+chat\\s+up\\s+`))
      expect(io.out()).to.not.include('\x1b[')
      expect(io.rawModes).to.deep.equal([])
    }
  })

  it('should print { members, stats } as JSON with json', async () => {
    const io = terminal()
    await adminTop(api, io, { intervalMs: 1000, json: true })
    const printed = JSON.parse(io.out()) as { members: Member[], stats: NodeStats }
    expect(printed.members).to.deep.equal(await api.request('GET', '/api/v1/nodes'))
    expect(printed.stats).to.deep.equal(await api.request('GET', '/api/v1/stats'))
    expect(printed.stats.samples.at(-1)).to.include({ postsPerSec: 3 })
  })

  it('should redraw in place on a terminal until q, then give the terminal back as it was', async () => {
    const io = terminal()
    const listeners = process.listenerCount('SIGINT')
    const viewing = adminTop(api, io, { intervalMs: 20, endpoint })
    await waitFor(() => io.frame().some((l) => l.startsWith(`${NODE_ID} (self)`)), 'the first frame')
    expect(io.out().startsWith(`${ALTERNATE_SCREEN}${HIDE_CURSOR}${HOME}`)).to.equal(true)
    expect(io.frame()[1]).to.equal('every 20 ms; q quits')
    expect(io.rawModes).to.deep.equal([true])
    // a new sample is drawn at a later poll
    f.metrics.chatMessages.inc(7)
    f.clock += 1000
    await f.sampler.sample()
    await waitFor(() => /^7\.0\s/.test(io.frame()[4] ?? ''), 'a frame with the new sample')
    // a narrower terminal is drawn to its width at once
    io.stdout.columns = 30
    io.stdout.emit('resize')
    await waitFor(() => io.frame().every((l) => l.length <= 30) && io.frame().length > 5, 'a frame 30 columns wide')
    io.stdin.write('q')
    await viewing
    expect(io.out().endsWith(`${SHOW_CURSOR}${MAIN_SCREEN}`)).to.equal(true)
    expect(io.rawModes).to.deep.equal([true, false])
    expect(io.stdin.isPaused()).to.equal(true)
    expect(process.listenerCount('SIGINT')).to.equal(listeners)
    expect(io.stdin.listenerCount('data')).to.equal(0)
  })

  it('should quit on Ctrl-C, as a key on a raw terminal and as SIGINT', async () => {
    const raw = terminal()
    const first = adminTop(api, raw, { intervalMs: 20 })
    await waitFor(() => raw.frames() > 0, 'the first frame')
    raw.stdin.write('\x03')
    await first
    expect(raw.out().endsWith(`${SHOW_CURSOR}${MAIN_SCREEN}`)).to.equal(true)
    // stdin no terminal: no raw mode, and Ctrl-C comes as the signal
    const cooked = terminal({ keys: false })
    const second = adminTop(api, cooked, { intervalMs: 20 })
    await waitFor(() => cooked.frames() > 0, 'the first frame')
    process.emit('SIGINT')
    await second
    expect(cooked.rawModes).to.deep.equal([])
    expect(cooked.out().endsWith(`${SHOW_CURSOR}${MAIN_SCREEN}`)).to.equal(true)
  })

  it('should keep the last numbers and say why when a later poll fails, and fail at once when the first does', async () => {
    const io = terminal()
    // wide enough for the whole reason
    io.stdout.columns = 200
    const stop = new AbortController()
    const viewing = adminTop(api, io, { intervalMs: 20, signal: stop.signal })
    await waitFor(() => io.frames() > 0, 'the first frame')
    await f.app.close()
    await waitFor(() => /the last poll failed \(showing the one before; trying again\): cannot reach the admin endpoint/.test(io.frame()[1] ?? ''), 'the failure in the view')
    expect(io.frame().some((l) => l.startsWith(`${NODE_ID} (self)`))).to.equal(true)
    stop.abort()
    await viewing
    expect(io.out().endsWith(`${SHOW_CURSOR}${MAIN_SCREEN}`)).to.equal(true)

    const refused = terminal()
    const err = await adminTop(new AdminClient(`http://${endpoint}`, 'not-the-token-0123456789'), refused, { intervalMs: 20 }).then(() => undefined, (e: unknown) => e)
    expect(err).to.have.property('name', 'CliError')
    expect(refused.out(), 'the terminal is left alone').to.equal('')
  })
})
