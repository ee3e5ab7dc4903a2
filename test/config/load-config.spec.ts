import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadConfig, parseHostPort } from '../../config/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

describe('loadConfig', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir.path, name)
    await writeFile(path, text)
    return path
  }

  it('should use the defaults when nothing is given', async () => {
    const { config, sources } = await loadConfig({ env: {}, cwd: dir.path })
    expect(config.grpcListen).to.deep.equal({ host: '127.0.0.1', port: 7400 })
    expect(config.adminListen).to.deep.equal({ host: '127.0.0.1', port: 7402 })
    expect(config.p2pListen).to.equal('/ip4/127.0.0.1/tcp/7401')
    expect(config.dataDir).to.equal(join(dir.path, 'data'))
    expect(config.modelsDir).to.equal(join(dir.path, 'data', 'models'))
    expect(config.role).to.equal(undefined)
    expect(config.maxMessageBytes).to.equal(16_384)
    expect(config.journalSync).to.equal(true)
    expect(sources['grpc-listen']).to.equal('default')
    expect(sources.role).to.equal(undefined)
  })

  it('should take flags over env over the file over defaults, and say where each value came from', async () => {
    const path = await file('plexi.yaml', 'grpc-listen: 127.0.0.1:9000\nadmin-listen: 127.0.0.1:9002\nlog-level: debug\nrole: [chat, ai]\n')
    const { config, sources, file: used } = await loadConfig({
      flags: { config: path, 'grpc-listen': '127.0.0.1:7000' },
      env: { PLEXI_GRPC_LISTEN: '127.0.0.1:8000', PLEXI_ADMIN_LISTEN: '127.0.0.1:8002' },
      cwd: dir.path
    })
    expect(used).to.equal(path)
    expect(config.grpcListen.port).to.equal(7000)
    expect(config.adminListen.port).to.equal(8002)
    expect(config.logLevel).to.equal('debug')
    expect(config.role).to.deep.equal(['chat', 'ai'])
    expect(config.chatBurst).to.equal(20)
    expect(sources).to.include({ 'grpc-listen': 'flag', 'admin-listen': 'env', 'log-level': 'file', role: 'file', 'chat-burst': 'default' })
  })

  it('should read JSON config files, and PLEXI_CONFIG', async () => {
    const path = await file('plexi.json', JSON.stringify({ 'max-message-bytes': 100, 'journal-sync': false, join: ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGzh9eNQbNZvdgKD4jU1gD5CJ5sYq6bJ2xZa5sL3mKc8v'] }))
    const { config } = await loadConfig({ env: { PLEXI_CONFIG: path }, cwd: dir.path })
    expect(config.maxMessageBytes).to.equal(100)
    expect(config.journalSync).to.equal(false)
    expect(config.join).to.have.length(1)
  })

  it('should expand role all, accept lists in flags and env, and order roles canonically', async () => {
    expect((await loadConfig({ flags: { role: 'all' }, env: {} })).config.role).to.deep.equal(['chat', 'ai', 'storage', 'backup', 'plugins'])
    expect((await loadConfig({ flags: { role: 'storage, chat,chat' }, env: {} })).config.role).to.deep.equal(['chat', 'storage'])
    expect((await loadConfig({ env: { PLEXI_ROLE: 'ai' } })).config.role).to.deep.equal(['ai'])
  })

  it('should parse booleans, numbers and host:port forms from strings', async () => {
    const { config } = await loadConfig({ env: { PLEXI_JOURNAL_SYNC: 'no', PLEXI_CHAT_RATE: '2.5', PLEXI_GRPC_LISTEN: '[::1]:0' } })
    expect(config.journalSync).to.equal(false)
    expect(config.chatRate).to.equal(2.5)
    expect(config.grpcListen).to.deep.equal({ host: '::1', port: 0 })
    expect(parseHostPort('localhost:65536')).to.equal(undefined)
    expect(parseHostPort('no-port')).to.equal(undefined)
  })

  it('should read the limits per client address, generous by default, 0 turning one off, and refuse bad ones naming the key', async () => {
    const { config } = await loadConfig({ env: {}, cwd: dir.path })
    expect([config.ipRate, config.ipBurst, config.authFailuresPerMin, config.streamsPerIp, config.userRate, config.userBurst]).to.deep.equal([500, 1000, 20, 256, 100, 200])
    const off = await loadConfig({ flags: { 'ip-rate': '0', 'streams-per-ip': '0' }, env: { PLEXI_AUTH_FAILURES_PER_MIN: '0', PLEXI_IP_BURST: '5' }, cwd: dir.path })
    expect([off.config.ipRate, off.config.ipBurst, off.config.authFailuresPerMin, off.config.streamsPerIp]).to.deep.equal([0, 5, 0, 0])
    expect((await loadConfig({ flags: { 'ip-rate': '0.5' }, env: {}, cwd: dir.path })).config.ipRate).to.equal(0.5)
    const users = (await loadConfig({ flags: { 'user-rate': '0' }, env: { PLEXI_USER_BURST: '7' }, cwd: dir.path })).config
    expect([users.userRate, users.userBurst]).to.deep.equal([0, 7])
    expect(config.trustedProxies).to.deep.equal([])
    const behind = (await loadConfig({ flags: { 'trusted-proxies': '10.0.0.5, 192.168.0.0/16,fd00::/8' }, env: {}, cwd: dir.path })).config
    expect(behind.trustedProxies).to.deep.equal(['10.0.0.5', '192.168.0.0/16', 'fd00::/8'])
    for (const [flags, message] of [
      [{ 'ip-rate': '-1' }, /--ip-rate: expected a number from 0 to 1000000, got "-1"/],
      [{ 'ip-rate': 'fast' }, /--ip-rate: expected a number/],
      [{ 'ip-burst': '0' }, /--ip-burst: expected an integer from 1 to 1000000, got "0"/],
      [{ 'auth-failures-per-min': '2.5' }, /--auth-failures-per-min: expected an integer from 0 to 100000/],
      [{ 'streams-per-ip': '-3' }, /--streams-per-ip: expected an integer from 0 to 1000000/],
      [{ 'user-rate': '-1' }, /--user-rate: expected a number from 0 to 1000000, got "-1"/],
      [{ 'user-burst': '0' }, /--user-burst: expected an integer from 1 to 1000000, got "0"/],
      [{ 'trusted-proxies': 'proxy.example' }, /--trusted-proxies: expected a comma-separated list of IP addresses and CIDR networks, .* \("proxy.example" is neither\)/],
      [{ 'trusted-proxies': '10.0.0.0/33' }, /\("10.0.0.0\/33" is neither\)/],
      [{ 'trusted-proxies': 'fd00::/8/1' }, /is neither/]
    ] as const) {
      const err = await loadConfig({ flags, env: {}, cwd: dir.path }).then(() => null, (e: unknown) => e)
      expect(err, String(message)).to.have.property('name', 'ConfigError')
      expect((err as Error).message).to.match(message)
    }
  })

  it('should start the user listener on 127.0.0.1:7404 by default, take off from a flag, env or file, and refuse a bad origin naming it', async () => {
    const defaults = await loadConfig({ env: {}, cwd: dir.path })
    expect([defaults.config.webListen, defaults.config.webCorsOrigin]).to.deep.equal([{ host: '127.0.0.1', port: 7404 }, []])
    expect((await loadConfig({ flags: { 'web-listen': 'off' }, env: {} })).config.webListen).to.equal(undefined)
    expect((await loadConfig({ env: { PLEXI_WEB_LISTEN: 'off' } })).config.webListen).to.equal(undefined)
    expect((await loadConfig({ flags: { config: await file('w.yaml', 'web-listen: "[::1]:0"\n') }, env: {} })).config.webListen).to.deep.equal({ host: '::1', port: 0 })
    expect((await loadConfig({ env: { PLEXI_WEB_CORS_ORIGIN: 'https://chat.example.com, http://localhost:5173' } })).config.webCorsOrigin).to.deep.equal(['https://chat.example.com', 'http://localhost:5173'])
    for (const [raw, message] of [['https://chat.example.com/', /"https:\/\/chat.example.com\/" is not one/], ['ftp://x.org', /"ftp:\/\/x.org" is not one/], ['*', /"\*" is not one/]] as const) {
      const err = await loadConfig({ flags: { 'web-cors-origin': raw }, env: {} }).then(() => null, (e: unknown) => e)
      expect([(err as { key?: string }).key, (err as Error).message]).to.have.nested.property('0', 'web-cors-origin')
      expect((err as Error).message).to.match(message)
    }
    expect(defaults.config.webAdvertise).to.equal(undefined)
    expect((await loadConfig({ env: { PLEXI_WEB_ADVERTISE: ' https://chat1.example.com:7404 ' } })).config.webAdvertise).to.equal('https://chat1.example.com:7404')
    for (const raw of ['chat1.example.com:7404', 'https://chat1.example.com/', 'https://a.example,https://b.example']) {
      const err = await loadConfig({ flags: { 'web-advertise': raw }, env: {} }).then(() => null, (e: unknown) => e)
      expect((err as Error).message, raw).to.match(/--web-advertise: expected a web origin, such as https:\/\/chat1.example.com:7404/)
    }
    const bad = await loadConfig({ flags: { 'web-listen': 'of' }, env: {} }).then(() => null, (e: unknown) => e)
    expect((bad as Error).message).to.match(/--web-listen: expected host:port, such as 127.0.0.1:7400 or \[::1\]:7400 \(port 0 to 65535\), or off, got "of"/)
  })

  it('should refuse bad values with a message naming the key, the source and the expected form', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>, RegExp]> = [
      [{ 'grpc-listen': 'localhost' }, {}, /--grpc-listen: expected host:port, such as 127.0.0.1:7400/],
      [{}, { PLEXI_ADMIN_LISTEN: '1.2.3.4:99999' }, /PLEXI_ADMIN_LISTEN: expected host:port/],
      [{ role: 'chat,gpu' }, {}, /--role: expected a comma-separated list of chat, ai, storage, backup, plugins, or all \("gpu" is not a role\)/],
      [{ 'max-message-bytes': '0' }, {}, /--max-message-bytes: expected an integer from 1 to 1048576, got "0"/],
      [{ 'chat-burst': '2.5' }, {}, /expected an integer/],
      [{}, { PLEXI_JOURNAL_SYNC: 'maybe' }, /PLEXI_JOURNAL_SYNC: expected true or false, got "maybe"/],
      [{ 'log-level': 'loud' }, {}, /expected one of fatal, error, warn, info, debug, trace, silent/],
      [{}, { PLEXI_INFERENCE_BATCHING: 'gpu' }, /PLEXI_INFERENCE_BATCHING: expected one of auto, on, off, got "gpu"/],
      [{ 'p2p-listen': '127.0.0.1:7401' }, {}, /--p2p-listen: expected a multiaddr, such as \/ip4\/127.0.0.1\/tcp\/7401/],
      [{ join: '/ip4/1.2.3.4/tcp/1,nonsense' }, {}, /"nonsense" is not one/],
      [{ 'admin-token': 'short' }, {}, /--admin-token: expected at least 16 characters/]
    ]
    for (const [flags, env, message] of cases) {
      const err = await loadConfig({ flags, env }).then(() => null, (e: unknown) => e)
      expect(err, String(message)).to.have.property('name', 'ConfigError')
      expect((err as Error).message).to.match(message)
    }
  })

  it('should refuse unknown keys in the file, suggesting the nearest known key', async () => {
    const path = await file('bad.yaml', 'grpc-listn: 127.0.0.1:1\n')
    const err = await loadConfig({ flags: { config: path }, env: {} }).then(() => null, (e: unknown) => e as Error & { key: string })
    expect(err?.key).to.equal('grpc-listn')
    expect(err?.message).to.match(/unknown key "grpc-listn" in .*bad.yaml \(did you mean "grpc-listen"\?\)/)
  })

  it('should refuse unreadable, malformed and non-mapping files, and unknown extensions', async () => {
    const cases: Array<[string, RegExp]> = [
      [join(dir.path, 'missing.yaml'), /cannot read .*missing.yaml/],
      [await file('broken.json', '{ nope'), /broken.json is not valid JSON/],
      [await file('list.yaml', '- a\n- b\n'), /expected a mapping of keys to values/],
      [await file('plexi.toml', 'a = 1'), /expected a .json, .yaml or .yml file/],
      [await file('typed.yaml', 'chat-burst: lots\n'), /chat-burst in .*typed.yaml: expected an integer/]
    ]
    for (const [path, message] of cases) {
      const err = await loadConfig({ flags: { config: path }, env: {} }).then(() => null, (e: unknown) => e)
      expect((err as Error | null)?.message, String(message)).to.match(message)
    }
  })
})
