import { expect } from 'chai'
import type { RoomPlugins } from '../../../actors/index.ts'
import { PostHooksResume } from '../../../node/room-plugins/index.ts'
import { ServiceFailures } from '../../../node/services/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('PostHooksResume', () => {
  const QUIET = { debug: () => undefined, info: () => undefined, warn: () => undefined }

  it('should tell each after-post plugin\'s entity to go on at start and every interval, and count a failed run', async () => {
    let afterPost = ['audit', 'mirror']
    const plugins: RoomPlugins = { view: () => ({ commands: new Map(), beforePost: [], afterPost }), request: async () => ({}) as never, record: () => undefined }
    const told: string[] = []
    const failures = new ServiceFailures()
    let fail = false
    const resume = new PostHooksResume({ plugins, failures, log: QUIET, intervalMs: 10, resume: (p) => { if (fail) throw new Error('no system'); told.push(p) } })
    resume.start()
    try {
      await waitFor(() => told.length >= 4, 'two runs')
      expect(told.slice(0, 4)).to.deep.equal(['audit', 'mirror', 'audit', 'mirror'])
      afterPost = ['mirror']
      told.length = 0
      await waitFor(() => told.length >= 2, 'two runs more')
      expect(told.slice(0, 2)).to.deep.equal(['mirror', 'mirror'])
      fail = true
      await resume.trigger()
      expect(failures.of('post-hooks-resume')).to.equal(1)
    } finally {
      await resume.stop()
    }
  })
})
