import { expect } from 'chai'
import { execFile, spawn } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AdminClient } from '../../cli/admin-client.ts'
import type { NodeStats } from '../../cli/top-frame.ts'
import type { Job, Member } from '../../protocols/index.ts'
import { CLI, chatClient, runCli, useNodeProcess } from '../helpers/node-process.ts'
import { waitFor } from '../helpers/wait-for.ts'

describe('the plexi CLI against a node (real processes)', function () {
  this.timeout(60_000)
  const fixture = useNodeProcess(['--role', 'chat'])
  before(async () => {
    // the first user saved in this data dir: the default of chat commands here
    const carol = await runCli(['admin', 'users', 'add', 'carol', '--admin-addr', fixture.node.admin, '--data-dir', fixture.dir])
    expect(carol.stdout).to.include('carol is the default user of chat and agent commands here')
  })
  const plexi = (args: string[]) => runCli(args, { env: { PLEXI_ADDR: fixture.node.grpc } })

  it('should take the connection and output flags before the subcommand as well as after it', async () => {
    const before = await plexi(['admin', '--json', '--admin-addr', fixture.node.admin, '--data-dir', fixture.dir, 'users', 'ls'])
    const after = await plexi(['admin', 'users', 'ls', '--json', '--admin-addr', fixture.node.admin, '--data-dir', fixture.dir])
    expect(before.code, before.stderr).to.equal(0)
    expect(JSON.parse(before.stdout)).to.deep.equal(JSON.parse(after.stdout))
    const cluster = await plexi(['admin', '--admin-addr', fixture.node.admin, '--data-dir', fixture.dir, 'cluster', '--json'])
    expect(JSON.parse(cluster.stdout)).to.include.all.keys('self', 'members')
    const sent = await plexi(['chat', '--data-dir', fixture.dir, '--json', 'send', '--room', 'r', 'hi'])
    expect(JSON.parse(sent.stdout)).to.include({ room: 'r', seq: 1 })
  })

  it('should print a listing over 64 KiB whole into a pipe (partitions --json)', async () => {
    // through a shell pipe, as a user runs `plexi ... | jq`: a pipe, not the socket pair that Node
    // gives a child, and one the CLI must let drain before it exits
    const listed = await runCli(['admin', 'partitions', '--json', '--admin-addr', fixture.node.admin, '--data-dir', fixture.dir], { throughShellPipe: true })
    expect(listed.code, listed.stderr).to.equal(0)
    expect(listed.stdout.length).to.be.greaterThan(65_536)
    const rows = JSON.parse(listed.stdout) as Array<{ partition: number, replicas: unknown[] }>
    expect(rows.map((r) => r.partition)).to.deep.equal(Array.from({ length: 256 }, (_, i) => i))
  })

  it('should make the first saved user the default, another one on request, and forget a removed user\'s token', async () => {
    const admin = ['--admin-addr', fixture.node.admin, '--data-dir', fixture.dir]
    // carol was saved first: she is the default
    const dave = await plexi(['admin', 'users', 'add', 'dave', ...admin])
    expect(dave.stdout).to.not.match(/default user/)
    expect(JSON.parse((await plexi(['chat', 'send', '--room', 'd', 'who?', '--data-dir', fixture.dir, '--json'])).stdout)).to.include({ seq: 1 })
    const history = async (): Promise<string[]> => (JSON.parse((await plexi(['chat', 'history', '--room', 'd', '--json', '--data-dir', fixture.dir])).stdout) as Array<{ user: string }>).map((m) => m.user)
    expect(await history()).to.deep.equal(['carol'])
    const erin = await plexi(['admin', 'users', 'add', 'erin', '--default', ...admin])
    expect(erin.stdout).to.include('erin is the default user of chat and agent commands here')
    await plexi(['chat', 'send', '--room', 'd', 'me now', '--data-dir', fixture.dir])
    expect(await history()).to.deep.equal(['carol', 'erin'])
    // removing a user removes their saved token; the default goes with it
    const removed = await plexi(['admin', 'users', 'rm', 'erin', ...admin])
    expect(removed.stdout).to.include(`removed the saved token ${join(fixture.dir, 'tokens', 'erin')} (erin was the default user)`)
    expect((await readdir(join(fixture.dir, 'tokens'))).sort()).to.deep.equal(['carol', 'dave'])
    const none = await plexi(['chat', 'send', '--room', 'd', 'anyone?', '--data-dir', fixture.dir])
    expect(none.code).to.equal(2)
    expect(none.stderr).to.match(/no token: pass --user NAME \(saved in .*: carol, dave\)/)
  })

  it('should list the jobs (a repair started on the node is one), show and follow one, and say so for a job no member has', async () => {
    const admin = ['--admin-addr', fixture.node.admin, '--data-dir', fixture.dir]
    const started = await plexi(['admin', 'repair', '--no-wait', '--json', ...admin])
    expect(started.code, started.stderr).to.equal(0)
    const repair = JSON.parse(started.stdout) as { id: string, partitions: number }
    const listed = await plexi(['admin', 'jobs', '--json', ...admin])
    expect(listed.code, listed.stderr).to.equal(0)
    const body = JSON.parse(listed.stdout) as { jobs: Job[], unreachable: string[] }
    expect(body.unreachable).to.deep.equal([])
    const job = body.jobs.find((j) => j.id.startsWith(`${repair.id}-`)) as Job
    expect(job).to.deep.include({ kind: 'repair', target: null, total: repair.partitions })
    // followed to its end: one JSON line per change, the last one done
    const watched = await plexi(['admin', 'jobs', job.id, '--watch', '--json', ...admin])
    expect(watched.code, watched.stderr).to.equal(0)
    const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as Job)
    expect(lines.at(-1)).to.deep.include({ id: job.id, state: 'done', done: repair.partitions, failed: 0 })
    const summary = `${repair.partitions} partitions, no other replica to compare with; 0 records filled, 0 repaired, 0 bytes moved`
    // without --json (not a terminal): how it ended, on stdout
    const plain = await plexi(['admin', 'jobs', job.id, '--watch', ...admin])
    expect(plain.code, plain.stderr).to.equal(0)
    expect(plain.stdout).to.equal(`${job.id} done: ${summary}\n`)
    const table = await plexi(['admin', 'jobs', '--kind', 'repair', ...admin])
    expect(table.stdout).to.match(/^ID\s+KIND\s+NODE\s+TARGET\s+STATE\s+PROGRESS\s+AGE\s+MESSAGE$/m)
    expect(table.stdout).to.match(new RegExp(`^${job.id}\\s+repair\\s+\\S+\\s+-\\s+done\\s+${repair.partitions}/${repair.partitions}\\s+\\d+s ago\\s+${summary}$`, 'm'))
    const one = await plexi(['admin', 'jobs', job.id, ...admin])
    expect(one.stdout).to.match(/^state: {4}done$/m)
    expect((await plexi(['admin', 'jobs', job.id, '--json', ...admin])).stdout).to.equal(`${JSON.stringify(lines.at(-1), null, 2)}\n`)
    // a job no member has; one that ended; bad flags
    const unknown = await plexi(['admin', 'jobs', 'drain-999-abcd', '--cancel', ...admin])
    expect(unknown.code).to.equal(1)
    expect(unknown.stderr).to.match(/^plexi: no job drain-999-abcd on any member \(a node keeps its jobs in memory/)
    const ended = await plexi(['admin', 'jobs', job.id, '--cancel', ...admin])
    expect(ended.code).to.equal(1)
    expect(ended.stderr).to.equal(`plexi: job ${job.id} had already ended (done): nothing to cancel\n`)
    for (const args of [['--state', 'paused'], ['not-a-job'], ['--watch'], [job.id, '--kind', 'repair']]) {
      const bad = await plexi(['admin', 'jobs', ...args, ...admin])
      expect(bad.code, args.join(' ')).to.equal(2)
    }
  })

  it('should show the members and this node\'s rates with admin top --once, { members, stats } with --json, and refuse what admin commands refuse', async () => {
    const admin = ['--admin-addr', fixture.node.admin, '--data-dir', fixture.dir]
    const api = new AdminClient(`http://${fixture.node.admin}`, fixture.node.adminToken)
    // the node samples its rates each second: top shows the newest sample once there is one
    await waitFor(async () => (await api.request<NodeStats>('GET', '/api/v1/stats')).samples.length > 0, 'the node\'s first stats sample', { timeout: 10_000, interval: 100 })
    const once = await plexi(['admin', 'top', '--once', ...admin])
    expect(once.code, once.stderr).to.equal(0)
    const lines = once.stdout.split('\n')
    expect(lines[0]).to.match(new RegExp(`^plexi admin top ${fixture.node.admin.replaceAll('.', '\\.')}  1 member: 1 up  \\d\\d:\\d\\d:\\d\\d$`))
    expect(lines[2]).to.match(/^POSTS\/S\s+DELIVERIES\/S\s+ASKS\/S\s+ASK MEAN\s+ASK P99\s+TOKENS\/S\s+RSS\s+HEAP$/)
    expect(lines[3]).to.match(/^\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+(-|\d+\.\d ms)\s+(-|\d+\.\d ms)\s+\d+\.\d\s+\d+\.\d MiB\s+\d+\.\d MiB$/)
    expect(lines[5]).to.match(/^PEER\s+ROLES\s+STATUS\s+UPTIME\s+ACTORS\s+ENTITIES\s+MAILBOX\s+RSS$/)
    expect(lines[6]).to.match(/^12D3Ko…\S{6} \(self\)\s+chat\s+up\s+(\d+s|\d+m \d\ds)\s+\d+\s+\d+\s+\d+\s+\d+\.\d MiB$/)
    // not on a terminal, with no --once: the same single frame
    const piped = await plexi(['admin', 'top', ...admin])
    expect(piped.code, piped.stderr).to.equal(0)
    expect(piped.stdout.split('\n').slice(5, 6)).to.deep.equal(lines.slice(5, 6))
    expect(piped.stdout).to.not.include('\x1b[')
    const json = await plexi(['admin', 'top', '--once', '--json', ...admin])
    expect(json.code, json.stderr).to.equal(0)
    const snapshot = JSON.parse(json.stdout) as { members: Member[], stats: NodeStats }
    const self = (await api.request<{ self: Member }>('GET', '/api/v1/cluster')).self
    expect(snapshot.members.map((m) => m.peerId)).to.deep.equal([self.peerId])
    expect(snapshot.stats).to.include({ node: self.peerId, intervalMs: 1000 })
    expect(snapshot.stats.samples.length).to.be.greaterThan(0)
    for (const interval of ['100', '60001', 'fast', '1e3']) {
      const bad = await plexi(['admin', 'top', '--once', '--interval', interval, ...admin])
      expect(bad.code, interval).to.equal(2)
      expect(bad.stderr).to.equal(`plexi: --interval: expected an integer from 250 to 60000, got "${interval}"\n`)
    }
    // a wrong token, an endpoint where nothing listens (a port just freed): the words every admin command has for them
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    const freed = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    for (const flags of [['--admin-addr', fixture.node.admin, '--admin-token', 'not-the-admin-token-0123'], ['--admin-addr', `127.0.0.1:${freed}`, '--admin-token', 'not-the-admin-token-0123']]) {
      const top = await plexi(['admin', 'top', ...flags])
      const nodes = await plexi(['admin', 'nodes', ...flags])
      expect(top.code).to.equal(1)
      expect(top.stderr).to.equal(nodes.stderr).and.match(/^plexi: (GET \/api\/v1\/nodes: 401 |cannot reach the admin endpoint at .*ECONNREFUSED)/)
      expect(top.stdout).to.equal('')
    }
  })

  it('should run admin top live on a real terminal, redrawn in place, and give the terminal back on q', async function () {
    // a pseudo-terminal from util-linux's script(1); where there is none, the in-process test of
    // the live view (test/cli/admin-top.spec.ts) is what runs
    const script = await new Promise<string>((resolve) => {
      execFile('script', ['--version'], { timeout: 5_000 }, (err, stdout) => { resolve(err === null ? stdout : '') })
    })
    if (!script.includes('util-linux')) this.skip()
    const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`
    const command = ['stty cols 120 rows 40;', 'exec', ...[process.execPath, CLI, 'admin', 'top', '--interval', '250', '--admin-addr', fixture.node.admin, '--data-dir', fixture.dir].map(quote)].join(' ')
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh', PLEXI_ADMIN_TOKEN: '' } })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const exited = new Promise<number | null>((resolve) => { child.on('close', resolve) })
    try {
      // two frames: it redraws
      await waitFor(() => out.split('\x1b[H').filter((frame) => frame.includes('(self)')).length >= 2, 'two frames of admin top', { timeout: 15_000, interval: 20 })
      expect(out).to.include('\x1b[?1049h\x1b[?25l')
      expect(out).to.include('every 250 ms; q quits')
      child.stdin.write('q')
      expect(await exited).to.equal(0)
      expect(out.trimEnd().endsWith('\x1b[?25h\x1b[?1049l')).to.equal(true)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('should print a completion script bash sources, and say how to install it', async () => {
    const help = await runCli(['completion', '--help'])
    expect(help.code).to.equal(0)
    expect(help.stdout).to.include('source <(plexi completion bash)').and.include('plexi completion zsh > ~/.zsh/completions/_plexi')
    const missing = await runCli(['completion'])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.match(/missing required argument 'shell'/)
    const printed = await runCli(['completion', 'bash'])
    expect(printed.code, printed.stderr).to.equal(0)
    // sourced the way the help says, in a real bash
    const completed = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['--norc', '--noprofile', '-c', 'source /dev/stdin <<< "$0"; COMP_WORDS=(plexi admin top); COMP_CWORD=2; _plexi_completion; echo "${COMPREPLY[*]}"', printed.stdout],
        { timeout: 10_000 }, (err, stdout) => { if (err !== null) reject(err); else resolve(stdout) })
    })
    expect(completed).to.equal('top\n')
    for (const shell of ['fish', 'BASH']) {
      const bad = await runCli(['completion', shell])
      expect(bad.code).to.equal(2)
      expect(bad.stderr).to.equal(`plexi: completion: expected a shell, bash or zsh, got "${shell}"\n`)
    }
  })

  it('should give each send an id of its own, and send the one given with --client-id, so that a repeated send is stored once', async () => {
    const send = async (args: string[]): Promise<{ room: string, seq: number, ts: number }> => {
      const sent = await plexi(['chat', 'send', '--room', 'ids', '--user', 'carol', '--data-dir', fixture.dir, '--json', ...args])
      expect(sent.code, sent.stderr).to.equal(0)
      return JSON.parse(sent.stdout)
    }
    // the same text sent twice is two posts: each send has its own id
    expect([(await send(['same'])).seq, (await send(['same'])).seq]).to.deep.equal([1, 2])
    const first = await send(['--client-id', 'script-run-42', 'retried'])
    expect(await send(['--client-id', 'script-run-42', 'retried'])).to.deep.equal(first)
    // the ids as the room keeps them
    const client = chatClient(fixture.node.grpc, (await readFile(join(fixture.dir, 'tokens', 'carol'), 'utf8')).trim())
    try {
      const { messages } = await client.call<{ messages: Array<{ seq: number, clientId: string }> }>('History', { room: 'ids', after: 0, limit: 0 })
      const ids = messages.map((m) => m.clientId)
      expect(ids).to.have.length(3)
      expect(ids[0]).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      expect(ids[1]).to.match(/^[0-9a-f-]{36}$/).and.not.equal(ids[0])
      expect(ids[2]).to.equal('script-run-42')
    } finally {
      client.close()
    }
    const bad = await plexi(['chat', 'send', '--room', 'ids', '--user', 'carol', '--data-dir', fixture.dir, '--client-id', 'has space', 'x'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--client-id: "has space" is not a client id \(1-64 visible ASCII/)
  })
})
