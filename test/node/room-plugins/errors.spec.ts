import { expect } from 'chai'
import * as errors from '../../../node/room-plugins/errors.ts'
import { errorClasses, errorData, kindOf, rebuildError } from '../../../protocols/index.ts'

describe('room-plugins errors', () => {
  it('should say what the plugin did, with kind unavailable, and cross the wire as its own class', () => {
    const classes = errorClasses(errors)
    expect([...classes.keys()].sort()).to.deep.equal(['PluginAnswerError', 'PluginNotRunningError'])
    const answer = new errors.PluginAnswerError('dice', 'plexi/command', 'no text')
    expect([answer.name, answer.message, kindOf(answer)]).to.deep.equal(['PluginAnswerError', 'plugin dice answered plexi/command with no text', 'unavailable'])
    const down = rebuildError(errorData(new errors.PluginNotRunningError('dice')), classes)
    expect(down).to.be.instanceOf(errors.PluginNotRunningError)
    expect(down.message).to.equal('plugin dice is not running on any member now')
  })
})
