import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import type { CliIo } from '../../cli/cli-io.ts'
import { ProgressBar } from '../../cli/progress-bar.ts'
import { waitFor } from '../helpers/wait-for.ts'

/** A CliIo whose stderr is a terminal 120 columns wide that the test reads. */
function terminal (): CliIo & { err: () => string } {
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 120 })
  let err = ''
  stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  return { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd(), err: () => err }
}

describe('ProgressBar', () => {
  it('should draw LABEL [bar] COUNT | MESSAGE on stderr, follow the numbers, and clear its line when stopped', async () => {
    const io = terminal()
    const bar = new ProgressBar(io, 'repair-1')
    // a total not known yet: an empty bar
    bar.update(0, 0, '0/? partitions', 'starting')
    expect(io.err()).to.include(`repair-1 [${'░'.repeat(30)}] 0/? partitions | starting`)
    bar.update(3, 10, '3/10 partitions', '12 records moved')
    await waitFor(() => io.err().includes(`repair-1 [${'█'.repeat(9)}${'░'.repeat(21)}] 3/10 partitions | 12 records moved`), 'the bar at 3 of 10')
    // past the total (a total that shrank): a full bar, not a broken one
    bar.update(12, 10, '12/10', 'more than planned')
    await waitFor(() => io.err().includes(`repair-1 [${'█'.repeat(30)}] 12/10 | more than planned`), 'a full bar')
    const before = io.err().length
    bar.stop()
    // clearOnComplete: the line is erased (the outcome is printed instead), and the cursor was never hidden
    expect(io.err().slice(before)).to.include('\x1b[2K')
    expect(io.err()).to.not.include('\x1b[?25l')
    bar.stop()
  })

  it('should hide the cursor while it shows only when asked (a caller that handles Ctrl-C)', () => {
    const io = terminal()
    const bar = new ProgressBar(io, 'drain-1', { hideCursor: true })
    bar.update(1, 2, '1/2', 'moving')
    expect(io.err()).to.include('\x1b[?25l')
    bar.stop()
    expect(io.err()).to.include('\x1b[?25h')
  })
})
