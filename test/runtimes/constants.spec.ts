import { expect } from 'chai'
import { MAX_REMOTE_FILE_BYTES, POSITION_UPDATES_MAX_QUEUE } from '../../runtimes/constants.ts'

describe('runtimes constants', () => {
  it('should hold a remote model file of a few hundred bytes with room, and not a megabyte', () => {
    const file = JSON.stringify({ runtime: 'openai', baseUrl: `http://${'h'.repeat(200)}:11434/v1`, apiKey: 'k'.repeat(200), model: 'm'.repeat(128), contextSize: 8192, slots: 4 })
    expect(Buffer.byteLength(file)).to.be.below(MAX_REMOTE_FILE_BYTES / 10)
    expect(MAX_REMOTE_FILE_BYTES).to.be.below(1_048_576)
  })

  it('should tell every waiting request its place while the queue is of a usual length', () => {
    expect(POSITION_UPDATES_MAX_QUEUE).to.be.at.least(100)
  })
})
