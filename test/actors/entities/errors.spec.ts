import { expect } from 'chai'
import * as entityErrors from '../../../actors/entities/errors.ts'
import { AgentBusyError, PermissionDeniedError, UnknownUserError, UserExistsError } from '../../../actors/index.ts'
import { errorClasses, errorData, isRefusal, kindOf, rebuildError } from '../../../protocols/index.ts'

describe('entity errors', () => {
  const classes = errorClasses(entityErrors)

  it('should give each failure its own class, name and kind, all of them refusals (a bad request never restarts an entity)', () => {
    expect([...classes.keys()].sort()).to.deep.equal(['AgentBusyError', 'BackupCatalogError', 'InvalidAgentRequestError', 'McpServerExistsError', 'McpServerRegistryFullError', 'PermissionDeniedError', 'UnknownUserError', 'UserExistsError'])
    for (const [name, Class] of classes) {
      const err = new (Class as unknown as new (arg: string) => Error)('x')
      expect(err.name, name).to.equal(name)
      expect(isRefusal(err), `${name} is a refusal`).to.equal(true)
    }
    expect([kindOf(new UserExistsError('a')), kindOf(new UnknownUserError('a')), kindOf(new PermissionDeniedError('x')), kindOf(new AgentBusyError('x'))])
      .to.deep.equal(['conflict', 'not-found', 'denied', 'exhausted'])
  })

  it('should name the user in its message, and cross the wire rebuilt as its own class', () => {
    expect(new UserExistsError('alice').message).to.equal('user "alice" already exists')
    expect(new UnknownUserError('zed').message).to.equal('no user named "zed"')
    const rebuilt = rebuildError(errorData(new UnknownUserError('zed')), classes)
    expect(rebuilt).to.be.instanceOf(UnknownUserError)
    expect(rebuilt.message).to.equal('no user named "zed"')
  })
})
