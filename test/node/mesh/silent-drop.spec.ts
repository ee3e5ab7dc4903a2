/**
 * Failure detection against a real silent drop (issue 35, finding 4): nftables in a network
 * namespace the test makes (never rules in the machine's own), three hosts on loopback addresses
 * of their own; the cut leaves the TCP connections ESTABLISHED and silent. The hosts run in a
 * child process inside `unshare --net` (fixtures/silent-drop.ts). Without root, unshare or nft the
 * spec is skipped, saying what to install.
 */
import { expect } from 'chai'
import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const FIXTURE = fileURLToPath(new URL('./fixtures/silent-drop.ts', import.meta.url))

/** Why a namespace with nftables cannot be made here; undefined when it can. */
function missing (): string | undefined {
  if (process.getuid?.() !== 0) return 'not root'
  try {
    execFileSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && nft add table inet probe && ss -tnH >/dev/null'], { stdio: 'pipe', timeout: 10_000 })
    return undefined
  } catch (err) {
    return (err as Error).message.split('\n')[0]
  }
}

/** Runs the fixture in a namespace of its own; its JSON lines. */
function run (mode: 'both' | 'in' | 'out'): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve) => {
    execFile('unshare', ['--net', process.execPath, FIXTURE, mode], { timeout: 120_000, maxBuffer: 1 << 20 }, (_err, stdout, stderr) => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
      if (lines.at(-1)?.ok !== true) lines.push({ ok: false, stderr: stderr.slice(-4000) })
      resolve(lines)
    })
  })
}

describe('failure detection through a real silent drop (nftables in a network namespace)', function () {
  this.timeout(150_000)
  before(function () {
    const why = missing()
    if (why !== undefined) {
      console.log(`      skipped: ${why}; needs root, unshare (util-linux), ip and ss (iproute2) and nft (apt-get install nftables iproute2)`)
      this.skip()
    }
  })

  for (const mode of ['both', 'in', 'out'] as const) {
    it(`should find a host cut ${mode === 'both' ? 'both ways' : `one way (${mode})`} with its connections ESTABLISHED, close them, and see it up over fresh connections after the heal`, async () => {
      const lines = await run(mode)
      const last = lines.at(-1)
      expect(last, JSON.stringify(lines, null, 2)).to.deep.equal({ ok: true })
      const phase = (name: string): Record<string, unknown> => lines.find((l) => l.phase === name) ?? {}
      // the cut left TCP as it was: ESTABLISHED, silent
      expect(phase('up').established).to.be.at.least(2)
      expect(phase('cut').established, 'connections still ESTABLISHED after the cut').to.be.at.least(2)
      // the other two kept each other up
      expect(phase('detected').abBothUp).to.equal(true)
      // every connection after the heal is a fresh one: the silent ones were closed and redialled
      expect(phase('healed').reused).to.equal(0)
      expect(phase('healed').connections).to.be.at.least(2)
      console.log(`      cut ${mode}: down in every view after ${String(phase('detected').detectedMs)} ms; up in every view ${String(phase('healed').upMs)} ms after the heal`)
    })
  }
})
