import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect } from 'chai'

const run = promisify(execFile)
const modulePath = (path: string): string => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)))

/**
 * What a process that logs through createLogger(level, pretty, tail?) writes on its stdout (the
 * logger writes to fd 1 itself), and on its stderr the tail's entries as JSON when it had one.
 */
async function logged (level: string, pretty: boolean, withTail = false): Promise<{ stdout: string, tail: Array<{ level: string, msg: string, component: string | null }> }> {
  const script = `
    const { createLogger } = await import(${modulePath('../../node/logger.ts')})
    const { LogTail } = await import(${modulePath('../../node/log-tail.ts')})
    const tail = ${String(withTail)} ? new LogTail() : undefined
    const log = createLogger(${JSON.stringify(level)}, ${String(pretty)}, tail)
    log.debug('hidden line')
    log.child({ component: 'mesh' }).info({ peer: 'p1' }, 'node started')
    process.stderr.write(JSON.stringify(tail?.entries() ?? []))`
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 })
  return { stdout, tail: JSON.parse(stderr) }
}

describe('createLogger (in a process of its own)', function () {
  this.timeout(30_000)

  it('should write one JSON object a line at its level and above, when stdout is not a terminal', async () => {
    const lines = (await logged('info', false)).stdout.trim().split('\n')
    expect(lines).to.have.length(1)
    expect(JSON.parse(lines[0] as string)).to.deep.include({ level: 30, peer: 'p1', component: 'mesh', msg: 'node started' })
  })

  it('should write human-readable lines, when stdout is a terminal', async () => {
    const { stdout } = await logged('debug', true)
    expect(stdout).to.include('node started').and.include('hidden line')
    expect(() => JSON.parse(stdout.trim().split('\n')[0] as string)).to.throw()
  })

  it('should keep every line it writes in the tail too, at its level and above, when given one', async () => {
    const { stdout, tail } = await logged('info', false, true)
    expect(tail.map((e) => [e.level, e.msg, e.component])).to.deep.equal([['info', 'node started', 'mesh']])
    expect(stdout.trim().split('\n')).to.have.length(1)
  })
})
