import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { treeRss } from '../../../node/plugins/process-memory.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('process memory', function () {
  before(function () { if (process.platform !== 'linux') this.skip() })

  it('should read a process\'s resident memory, and none for a process that is gone', async () => {
    const own = await treeRss(process.pid)
    expect(own).to.be.a('number')
    expect(own).to.be.above(10 * 1024 * 1024)
    expect(await treeRss(2 ** 22 + 7)).to.equal(undefined)
  })

  it('should add the memory of the process\'s children', async () => {
    const parent = spawn(process.execPath, ['-e', `
      const c = require('child_process').spawn(process.execPath, ['-e', 'const b = Buffer.alloc(64 * 1024 * 1024, 1); setInterval(() => b[0]++, 1000)'], { stdio: 'ignore' })
      setInterval(() => {}, 1000)`], { stdio: 'ignore', detached: true })
    try {
      // the child holds 64 MiB: the tree holds it and two Node.js processes
      await waitFor(async () => ((await treeRss(parent.pid as number)) ?? 0) > 64 * 1024 * 1024, 'the tree holding the child\'s memory', { timeout: 10_000, interval: 50 })
    } finally {
      // the parent leads its own group: the child goes with it
      process.kill(-(parent.pid as number), 'SIGKILL')
      await new Promise((resolve) => parent.once('exit', resolve))
    }
  })
})
