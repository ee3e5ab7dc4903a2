import { expect } from 'chai'

describe('plexi', function () {
  this.timeout(30_000)

  it('should end quietly, with no stack trace, when the reader of its output goes away (plexi … | head)', async () => {
    const { spawn } = await import('node:child_process')
    const { CLI } = await import('../helpers/node-process.ts')
    const child = spawn(process.execPath, [CLI, 'config', 'show', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    // the reader is gone before the command writes a byte: its first write meets EPIPE
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const code = await new Promise<number | null>((resolve) => { child.on('close', resolve) })
    expect(stderr, stderr).to.not.match(/EPIPE|Error/)
    expect(code).to.equal(0)
  })
})
