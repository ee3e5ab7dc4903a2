import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { packPluginDir } from '../../cli/plugin-pack.ts'

/**
 * A plugin as a user writes one, for the registry's specs: a folder with its manifest
 * (plexi-plugin.json) and a small MCP server over stdio (newline-delimited JSON-RPC, as MCP's
 * stdio transport speaks it) with no dependency, so that its package runs wherever it is
 * unpacked. Its tools: `echo` answers `<version>:<text>`; `slow` answers after `ms`; `crash`
 * exits. It writes a line on stderr when it starts and at each call.
 */
export const PLUGIN_SERVER = `
import { createInterface } from 'node:readline'
import { readFileSync } from 'node:fs'
const manifest = JSON.parse(readFileSync(new URL('./plexi-plugin.json', import.meta.url), 'utf8'))
const send = (msg) => { process.stdout.write(JSON.stringify(msg) + '\\n') }
const text = (id, t) => send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: t }] } })
const TOOLS = [
  { name: 'echo', description: 'says the text back, after its version', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } },
  { name: 'slow', description: 'answers after ms', inputSchema: { type: 'object', properties: { ms: { type: 'number' } } } },
  { name: 'crash', description: 'exits', inputSchema: { type: 'object', properties: {} } }
]
console.error(manifest.name + ' ' + manifest.version + ' up')
createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line)
  if (msg.method === 'initialize') return send({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: manifest.name, version: manifest.version } } })
  if (msg.id === undefined) return
  if (msg.method === 'ping') return send({ jsonrpc: '2.0', id: msg.id, result: {} })
  if (msg.method === 'tools/list') return send({ jsonrpc: '2.0', id: msg.id, result: { tools: TOOLS } })
  if (msg.method === 'tools/call') {
    const args = msg.params.arguments ?? {}
    console.error('call ' + msg.params.name)
    if (msg.params.name === 'echo') return text(msg.id, manifest.version + ':' + args.text)
    if (msg.params.name === 'slow') return setTimeout(() => text(msg.id, 'slept ' + args.ms), args.ms)
    if (msg.params.name === 'crash') process.exit(3)
  }
  send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'no method ' + msg.method } })
})
`

export interface TestPlugin {
  readonly name?: string
  readonly version?: string
  /** The plugin API range its manifest says. @default '^1.0.0' */
  readonly plexi?: string
  /** Fields over the manifest's. */
  readonly manifest?: Record<string, unknown>
  /** More files, by path. */
  readonly files?: Readonly<Record<string, string>>
}

/** The manifest of a test plugin. */
export function testManifest (p: TestPlugin = {}): Record<string, unknown> {
  return {
    name: p.name ?? 'clock',
    version: p.version ?? '1.0.0',
    description: `the test plugin ${p.name ?? 'clock'}`,
    plexi: p.plexi ?? '^1.0.0',
    entry: { node: 'server.mjs' },
    permissions: { env: ['TZ'], memoryMiB: 64 },
    ...p.manifest
  }
}

/** Writes a test plugin's folder under `parent`; returns its path. */
export async function writePluginDir (parent: string, p: TestPlugin = {}): Promise<string> {
  const dir = join(parent, `${p.name ?? 'clock'}-${p.version ?? '1.0.0'}`)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'plexi-plugin.json'), JSON.stringify(testManifest(p), null, 2))
  await writeFile(join(dir, 'server.mjs'), PLUGIN_SERVER)
  for (const [path, text] of Object.entries(p.files ?? {})) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), text)
  }
  return dir
}

/** A test plugin's package (.tgz), packed as `plexi admin plugins install <dir>` packs it. */
export async function pluginPackage (parent: string, p: TestPlugin = {}): Promise<Buffer> {
  return await packPluginDir(await writePluginDir(parent, p))
}

/** One entry of a hand-made tar: any type, any name (for archives no packer would make). */
export interface RawEntry {
  readonly name: string
  /** ustar type flag: '0' file, '5' folder, '1' hard link, '2' symbolic link, '3' device… */
  readonly type?: string
  readonly body?: string | Buffer
  readonly linkname?: string
  /** The size the header says (@default the body's). */
  readonly size?: number
  readonly mode?: number
}

/** A gzipped tar of exactly these entries, headers as written (checksums right unless `badSum`). */
export function rawTgz (entries: readonly RawEntry[], opts: { badSum?: boolean, noEnd?: boolean } = {}): Buffer {
  const blocks: Buffer[] = []
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : e.body ?? Buffer.alloc(0)
    const h = Buffer.alloc(512)
    Buffer.from(e.name).copy(h, 0, 0, 100)
    h.write(`${(e.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1')
    h.write(`${(e.size ?? body.byteLength).toString(8).padStart(11, '0')}\0`, 124, 'latin1')
    h.write(e.type ?? '0', 156, 'latin1')
    if (e.linkname !== undefined) h.write(e.linkname, 157, 'utf8')
    h.write('ustar\u000000', 257, 'latin1')
    h.fill(0x20, 148, 156)
    let sum = 0
    for (const b of h) sum += b
    h.write(`${(opts.badSum === true ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
    blocks.push(h, body, Buffer.alloc((512 - (body.byteLength % 512)) % 512))
  }
  if (opts.noEnd !== true) blocks.push(Buffer.alloc(1024))
  return gzipSync(Buffer.concat(blocks))
}

/** A manifest file entry for rawTgz. */
export const manifestEntry = (p: TestPlugin = {}, name = 'plexi-plugin.json'): RawEntry => ({ name, body: JSON.stringify(testManifest(p)) })
