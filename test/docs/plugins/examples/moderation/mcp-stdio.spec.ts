import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { PassThrough } from 'node:stream'
import { ErrorCode, RequestError, serve } from '../../../../../docs/plugins/examples/moderation/mcp-stdio.ts'
import { EXAMPLES_DIR } from '../../../../helpers/example-plugins.ts'

/** serve() on streams of this process: what a plugin's handlers answer, line by line. */
function served (requests: Parameters<typeof serve>[0]['requests'], plexi?: Record<string, unknown>): { send: (msg: object) => void, answer: (id: number) => Promise<Record<string, unknown>>, close: () => void, logged: () => string } {
  const input = new PassThrough()
  const output = new PassThrough()
  const log = new PassThrough()
  let logged = ''
  log.on('data', (chunk: Buffer) => { logged += chunk.toString() })
  const answers = new Map<unknown, Record<string, unknown>>()
  const waiting = new Map<unknown, (a: Record<string, unknown>) => void>()
  createInterface({ input: output }).on('line', (line) => {
    const a = JSON.parse(line) as Record<string, unknown>
    answers.set(a.id, a)
    waiting.get(a.id)?.(a)
  })
  serve({ name: 'moderation', version: '9.9.9', input, output, log, ...(requests !== undefined && { requests }), ...(plexi !== undefined && { plexi }) })
  return {
    send: (msg) => { input.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`) },
    answer: async (id) => answers.get(id) ?? await new Promise((resolve) => { waiting.set(id, resolve) }),
    close: () => { input.end() },
    logged: () => logged
  }
}

describe('mcp-stdio, as moderation carries it', () => {
  it('should be the very file the clock carries (a package holds only its own files: the examples keep copies)', () => {
    const copy = (name: string): string => readFileSync(join(EXAMPLES_DIR, name, 'mcp-stdio.ts'), 'utf8')
    expect(copy('moderation')).to.equal(copy('clock'))
  })

  it('should declare Plexi\'s capability and answer a plugin\'s own requests, its errors with their codes, its own failures in its log', async () => {
    const s = served({
      'plexi/before-post': async (p) => await Promise.resolve({ verdict: p.text === 'no' ? 'refuse' : 'allow', ...(p.text === 'no' && { reason: 'no' }) }),
      'plexi/command': () => { throw new RequestError(ErrorCode.invalidParams, 'args: expected words') },
      'plexi/after-post': () => { throw new Error('the disk is full') }
    }, { api: '1.0.0', hooks: { beforePost: true } })
    try {
      s.send({ id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05' } })
      expect((await s.answer(1)).result).to.deep.equal({ protocolVersion: '2024-11-05', capabilities: { tools: {}, experimental: { plexi: { api: '1.0.0', hooks: { beforePost: true } } } }, serverInfo: { name: 'moderation', version: '9.9.9' } })
      s.send({ id: 2, method: 'plexi/before-post', params: { room: 'r', user: 'u', text: 'no' } })
      expect((await s.answer(2)).result).to.deep.equal({ verdict: 'refuse', reason: 'no' })
      s.send({ id: 3, method: 'plexi/command', params: {} })
      expect((await s.answer(3)).error).to.deep.equal({ code: -32602, message: 'args: expected words' })
      s.send({ id: 4, method: 'plexi/after-post', params: {} })
      expect((await s.answer(4)).error).to.deep.equal({ code: -32603, message: 'the disk is full' })
      // the plugin's own failure is in its log; the caller's mistake (3) is not
      expect(s.logged()).to.match(/^plexi\/after-post failed: Error: the disk is full\n {4}at /)
      expect(s.logged()).to.not.match(/expected words/)
      s.send({ id: 5, method: 'tools/list' })
      expect((await s.answer(5)).result).to.deep.equal({ tools: [] })
      s.send({ id: 6, method: 'plexi/unknown' })
      expect((await s.answer(6)).error).to.deep.equal({ code: -32601, message: 'Method not found: plexi/unknown' })
    } finally {
      s.close()
    }
  })

  it('should answer a tool that throws as the tool\'s failure, not a protocol error', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    serve({ name: 't', version: '1.0.0', input, output, tools: [{ name: 'boom', description: 'throws', inputSchema: { type: 'object' }, run: () => { throw new Error('kaboom') } }] })
    const line = new Promise<string>((resolve) => { createInterface({ input: output }).once('line', resolve) })
    input.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'boom' } })}\n`)
    expect(JSON.parse(await line)).to.deep.equal({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'boom failed: kaboom' }], isError: true } })
    input.end()
  })
})
