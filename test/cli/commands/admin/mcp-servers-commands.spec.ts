import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AdminCli } from '../../../helpers/admin-cli.ts'
import { MEMORY_SERVER, loneServers } from '../../../helpers/lone-servers.ts'
import type { LoneServers } from '../../../helpers/lone-servers.ts'

/** What the specs' registrations hold that no output may show. */
const SECRET = 'sk-live-0123456789abcdef'

describe('mcpServersCommands (the CLI in-process against a real admin endpoint, registry and plugin host)', function () {
  this.timeout(60_000)
  const cli = new AdminCli()
  let s: LoneServers | undefined
  beforeEach(async () => {
    await cli.setup({ roles: ['chat', 'plugins'] })
    s = await loneServers(cli.fixture.system)
    cli.fixture.mcpServers = s.servers
    cli.fixture.mcpServerStatus = s.status
    await cli.rebuild()
  })
  afterEach(async () => {
    await s?.close()
    await cli.teardown()
  })
  const node = (): string => cli.fixture.system.node
  const graph = (): string => join(cli.fixture.dataDir, 'graph.jsonl')
  const registered = async (): Promise<string[]> => (await s?.servers.list() ?? []).map((v) => v.name)

  it('should add a stdio server and wait until this member is connected, list it, and remove it, no secret ever printed', async () => {
    expect((await cli.run('mcp-servers')).stdout).to.equal('no MCP servers: plexi admin mcp-servers add NAME --command CMD | --url URL\n')
    const added = await cli.run('mcp-servers', 'add', 'memory', '--command', process.execPath, '--arg', MEMORY_SERVER, '--env', `MEMORY_FILE_PATH=${graph()}`, '--env', `API_TOKEN=${SECRET}`, '--description', 'a knowledge graph')
    expect(added.code, added.stderr).to.equal(0)
    expect(added.stdout).to.match(new RegExp(`^registered memory \\(stdio: ${process.execPath} ${MEMORY_SERVER}; env MEMORY_FILE_PATH, API_TOKEN\\)\\nmemory is connected on 1 of 1 plugins-role member \\(\\d+ tools\\)\\n$`))
    expect(s?.host.host.tools().map((t) => t.name)).to.include('memory__read_graph')
    const ls = await cli.run('mcp-servers', 'ls')
    expect(ls.stdout).to.match(new RegExp(`^SERVER\\s+KIND\\s+TARGET\\s+GIVEN\\s+NODE\\s+STATE\\s+TOOLS\\s+RESTARTS\\nmemory\\s+stdio\\s+\\S+ \\S+\\s+env MEMORY_FILE_PATH, env API_TOKEN\\s+${node()}\\s+up\\s+\\d+\\s+0\\n$`))
    const json = JSON.parse((await cli.run('mcp-servers', '--json')).stdout) as Array<{ name: string, nodes: Array<{ state: string }> }>
    expect(json.map((r) => [r.name, r.nodes[0]?.state])).to.deep.equal([['memory', 'up']])
    const again = await cli.run('mcp-servers', 'add', 'memory', '--command', process.execPath, '--arg', MEMORY_SERVER, '--env', `MEMORY_FILE_PATH=${graph()}`)
    expect([again.code, again.stderr]).to.deep.equal([1, 'plexi: POST /api/v1/mcp-servers: 409 an MCP server named "memory" is registered already (remove it first, or replace it)\n'])
    const replaced = await cli.run('mcp-servers', 'add', 'memory', '--replace', '--command', process.execPath, '--arg', MEMORY_SERVER, '--env', `MEMORY_FILE_PATH=${graph()}`, '--json')
    expect(replaced.code, replaced.stderr).to.equal(0)
    expect(JSON.parse(replaced.stdout)).to.deep.include({ name: 'memory', envNames: ['MEMORY_FILE_PATH'] })
    const removed = await cli.run('mcp-servers', 'rm', 'memory')
    expect(removed.stdout).to.equal(`removed memory (${process.execPath} ${MEMORY_SERVER})\n`)
    expect(await registered()).to.deep.equal([])
    expect([added, ls, again, replaced, removed].map((r) => r.stdout + r.stderr).join('')).to.not.include(SECRET)
    const unknown = await cli.run('mcp-servers', 'rm', 'memory')
    expect([unknown.code, unknown.stderr]).to.deep.equal([1, 'plexi: DELETE /api/v1/mcp-servers/memory: 404 no MCP server named "memory" is registered (plexi admin mcp-servers ls)\n'])
  })

  it('should register an HTTP server with its secret read from a file, and fail at once, saying why, when a member cannot connect', async () => {
    const tokenFile = join(cli.fixture.dataDir, 'token')
    await writeFile(tokenFile, `${SECRET}\n`)
    const http = await cli.run('mcp-servers', 'add', 'web', '--url', 'http://127.0.0.1:9/mcp', '--bearer-token-file', tokenFile, '--no-wait')
    expect([http.code, http.stdout]).to.deep.equal([0, 'registered web (http: http://127.0.0.1:9/mcp; auth token)\n'])
    expect((await s?.servers.registrations())?.[0]?.transport).to.deep.include({ auth: { kind: 'token', token: SECRET } })
    const broken = await cli.run('mcp-servers', 'add', 'broken', '--command', '/no/such/server')
    expect(broken.code).to.equal(1)
    expect(broken.stdout).to.equal('registered broken (stdio: /no/such/server)\n')
    expect(broken.stderr).to.match(new RegExp(`^plexi: broken is registered, but ${node()} could not connect to it: .+ \\(it tries again; plexi admin mcp-servers rm broken removes it\\)\\n$`))
    const ls = await cli.run('mcp-servers')
    expect(ls.stdout).to.match(new RegExp(`\\nbroken on ${node()}: .+\\n`))
    expect(ls.stdout + http.stdout + http.stderr).to.not.include(SECRET)
    const creds = join(cli.fixture.dataDir, 'client-secret')
    await writeFile(creds, SECRET)
    const cc = await cli.run('mcp-servers', 'add', 'cc', '--url', 'https://mcp.example.com/mcp', '--client-id', 'plexi', '--client-secret-file', creds, '--scope', 'tools', '--issuer', 'https://id.example.com', '--no-wait', '--json')
    expect(JSON.parse(cc.stdout)).to.deep.include({ name: 'cc', auth: 'client-credentials' })
    const oauth = await cli.run('mcp-servers', 'add', 'oa', '--url', 'https://mcp.example.com/mcp', '--oauth', '--scope', 'tools', '--no-wait')
    expect(oauth.stdout).to.equal('registered oa (http: https://mcp.example.com/mcp; auth oauth)\n')
    const transports = Object.fromEntries((await s?.servers.registrations() ?? []).map((r) => [r.name, r.transport]))
    expect(transports.cc).to.deep.include({ auth: { kind: 'client-credentials', clientId: 'plexi', clientSecret: SECRET, scope: 'tools', issuer: 'https://id.example.com' } })
    expect(transports.oa).to.deep.include({ auth: { kind: 'oauth', scope: 'tools' } })
  })

  it('should refuse flags that do not make a registration as usage errors, registering nothing', async () => {
    const empty = join(cli.fixture.dataDir, 'empty')
    await writeFile(empty, '\n')
    const cases: Array<[string[], string]> = [
      [[], 'give --command CMD (a server run over stdio) or --url URL (a streamable HTTP server), one of them'],
      [['--command', 'x', '--url', 'http://a/'], 'give --command CMD (a server run over stdio) or --url URL (a streamable HTTP server), one of them'],
      [['--url', 'http://a/', '--arg', 'x'], '--arg is for a --command, not a server at a --url'],
      [['--command', 'x', '--bearer-token-file', empty], '--bearer-token-file is for a server at a --url, not a --command'],
      [['--command', 'x', '--env', 'SECRET_FROM_SHELL'], '--env SECRET_FROM_SHELL: SECRET_FROM_SHELL is not set in this shell; give SECRET_FROM_SHELL=VALUE'],
      [['--command', 'x', '--env', 'A=1', '--env', 'A=2'], '--env A: given twice'],
      [['--command', 'x', '--env', '=1'], '--env: expected NAME=VALUE or NAME, got "=1"'],
      [['--command', 'x', '--memory', '9'], '--memory: expected an integer from 64 to 2048, got "9"'],
      [['--command', 'x', '--deadline', '0'], '--deadline: expected an integer from 1 to 10000, got "0"'],
      [['--command', 'x', '--timeout', 'soon'], '--timeout: expected seconds from 1 to 3600, got soon'],
      [['--url', 'http://a/', '--client-id', 'c'], 'OAuth client credentials take both --client-id and --client-secret-file (or add --oauth for the authorization code flow)'],
      [['--url', 'http://a/', '--scope', 's'], '--scope goes with --client-id and --client-secret-file, or --oauth'],
      [['--url', 'http://a/', '--oauth', '--issuer', 'http://i/'], '--issuer is for client credentials (--client-id and --client-secret-file without --oauth)'],
      [['--url', 'http://a/', '--bearer-token-file', empty, '--oauth'], '--bearer-token-file and --oauth: a server takes one way to authenticate'],
      [['--url', 'http://a/', '--bearer-token-file', empty], `--bearer-token-file ${empty}: the file is empty`],
      [['--url', 'http://a/', '--bearer-token-file', 'nowhere'], '--bearer-token-file nowhere: cannot read it (ENOENT)']
    ]
    for (const [args, message] of cases) {
      const run = await cli.run('mcp-servers', 'add', 'x', ...args)
      expect([run.code, run.stderr], args.join(' ')).to.deep.equal([2, `plexi: ${message}\n`])
    }
    const refused = await cli.run('mcp-servers', 'add', 'x', '--command', 'bin/x', '--no-wait')
    expect([refused.code, refused.stderr]).to.deep.equal([1, 'plexi: POST /api/v1/mcp-servers: 400 MCP server registration: transport.command: expected an absolute path or a program name found on the PATH (no relative path)\n'])
    expect(await registered()).to.deep.equal([])
  })

  it('should pass arguments that look like flags, and take a variable\'s value from the shell', async () => {
    const run = await cli.runEnv({ FROM_SHELL: SECRET }, 'mcp-servers', 'add', 'echo', '--command', '/bin/echo', '--arg', '--verbose', '--arg', 'x', '--env', 'FROM_SHELL', '--no-wait')
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stdout).to.equal('registered echo (stdio: /bin/echo --verbose x; env FROM_SHELL)\n')
    expect((await s?.servers.registrations())?.[0]?.transport).to.deep.include({ args: ['--verbose', 'x'], env: { FROM_SHELL: SECRET } })
  })
})
