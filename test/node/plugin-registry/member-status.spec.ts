import { expect } from 'chai'
import { checkLogLines, checkMemberStatus } from '../../../node/plugin-registry/index.ts'
import type { PluginRunRow } from '../../../node/plugin-registry/index.ts'

const running: PluginRunRow = { name: 'clock', version: '1.0.0', state: 'up', restarts: 0, calls: 3, errors: 1, latencyMs: 0.4, memoryBytes: 40_000_000, lastError: null }
const failure = { name: 'clock', version: '1.1.0', error: 'exited', attempts: 1, retryAt: 5 }

describe('checkMemberStatus and checkLogLines: what other members answer, checked before it is shown', () => {
  it('should pass a member\'s status, and refuse one that is not its own or not well formed', () => {
    const status = { node: 'n1', runs: true, plugins: [running], failures: [failure] }
    expect(checkMemberStatus(status, 'n1')).to.deep.equal(status)
    expect(checkMemberStatus(status, 'n2'), 'another node\'s').to.equal(undefined)
    for (const bad of [
      null, 'status', { ...status, runs: 'yes' }, { ...status, plugins: 'none' },
      { ...status, plugins: [{ ...running, name: '../x' }] }, { ...status, plugins: [{ ...running, state: 'dancing' }] },
      { ...status, plugins: [{ ...running, calls: -1 }] }, { ...status, plugins: [{ ...running, latencyMs: Infinity }] },
      { ...status, plugins: [{ ...running, lastError: 'x'.repeat(5_000) }] }, { ...status, failures: [{ ...failure, attempts: 1.5 }] },
      { ...status, plugins: Array.from({ length: 300 }, () => running) }
    ]) expect(checkMemberStatus(bad, 'n1'), JSON.stringify(bad).slice(0, 80)).to.equal(undefined)
  })

  it('should pass log lines, and refuse what is not', () => {
    const lines = [{ version: '1.0.0', line: 'clock 1.0.0 up' }]
    expect(checkLogLines(lines)).to.deep.equal(lines)
    expect(checkLogLines([])).to.deep.equal([])
    for (const bad of [undefined, {}, [{ version: '1.0', line: 'x' }], [{ version: '1.0.0', line: 7 }], [{ version: '1.0.0', line: 'x'.repeat(3_000) }], Array.from({ length: 501 }, () => lines[0])]) {
      expect(checkLogLines(bad)).to.equal(undefined)
    }
  })
})
