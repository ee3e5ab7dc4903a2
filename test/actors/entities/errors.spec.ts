import { expect } from 'chai'
import * as entityErrors from '../../../actors/entities/errors.ts'
import { AgentBusyError, PermissionDeniedError, PluginDeadlineError, PostHookUnavailableError, PostRefusedError, RoomBacklogError, ToolGrantedBySourceError, ToolNotGrantedError, ToolPolicyFullError, UnknownUserError, UserExistsError } from '../../../actors/index.ts'
import { errorClasses, errorData, isRefusal, kindOf, rebuildError } from '../../../protocols/index.ts'

describe('entity errors', () => {
  const classes = errorClasses(entityErrors)

  /** Failures a room answers an asker with (ctx.fail) and never throws from a handler: a plugin's
   * silence is not the request's fault, but it never restarts the room either. */
  const answeredOnly = new Set(['PostHookUnavailableError', 'PluginDeadlineError', 'AgentToolsUnavailableError'])

  it('should give each failure its own class, name and kind, all of them refusals (a bad request never restarts an entity), but the plugins\' silences', () => {
    expect([...classes.keys()].sort()).to.deep.equal([
      'AgentBusyError', 'AgentToolsUnavailableError', 'BackupCatalogError', 'ErasureLogFullError', 'ImportSourcesFullError', 'InvalidAgentRequestError', 'McpServerExistsError', 'McpServerRegistryFullError',
      'NotAPostError', 'NotYourPostError', 'PermissionDeniedError', 'PluginCatalogError', 'PluginDeadlineError', 'PluginPackageError',
      'PluginPackageMissingError', 'PostHookUnavailableError', 'PostRefusedError', 'RetentionSettingsFullError', 'RoomBacklogError', 'ToolGrantedBySourceError', 'ToolNotGrantedError', 'ToolPolicyFullError',
      'UnknownPluginError', 'UnknownPostError', 'UnknownUserError', 'UserExistsError'])
    for (const [name, Class] of classes) {
      if (answeredOnly.has(name)) continue
      const err = new (Class as unknown as new (arg: string) => Error)('x')
      expect(err.name, name).to.equal(name)
      expect(isRefusal(err), `${name} is a refusal`).to.equal(true)
    }
    expect([kindOf(new UserExistsError('a')), kindOf(new UnknownUserError('a')), kindOf(new PermissionDeniedError('x')), kindOf(new AgentBusyError('x'))])
      .to.deep.equal(['conflict', 'not-found', 'denied', 'exhausted'])
  })

  it('should name the plugin, its reason or its silence, and keep the plugin as a field across the wire', () => {
    const refused = rebuildError(errorData(new PostRefusedError('mod', 'no shouting')), classes)
    expect(refused).to.be.instanceOf(PostRefusedError)
    expect([refused.message, kindOf(refused), (refused as PostRefusedError).plugin, (refused as PostRefusedError).reason])
      .to.deep.equal(['post refused by plugin mod: no shouting', 'denied', 'mod', 'no shouting'])
    const silent = new PostHookUnavailableError('mod', 'it crashed')
    expect([silent.message, kindOf(silent), silent.plugin]).to.deep.equal(["post refused: plugin mod's before-post hook gave no verdict (it crashed) and its policy refuses posts then; retry", 'unavailable', 'mod'])
    expect([kindOf(new PluginDeadlineError('p', 'plexi/command', 5)), kindOf(new RoomBacklogError('x'))]).to.deep.equal(['timeout', 'exhausted'])
    expect(kindOf(new entityErrors.AgentToolsUnavailableError('x')), 'a list of tools not had in time').to.equal('unavailable')
    expect([kindOf(new ToolNotGrantedError('x')), kindOf(new ToolPolicyFullError('x')), kindOf(new ToolGrantedBySourceError('x'))]).to.deep.equal(['denied', 'conflict', 'conflict'])
  })

  it('should name the user in its message, and cross the wire rebuilt as its own class', () => {
    expect(new UserExistsError('alice').message).to.equal('user "alice" already exists')
    expect(new UnknownUserError('zed').message).to.equal('no user named "zed"')
    const rebuilt = rebuildError(errorData(new UnknownUserError('zed')), classes)
    expect(rebuilt).to.be.instanceOf(UnknownUserError)
    expect(rebuilt.message).to.equal('no user named "zed"')
  })
})
