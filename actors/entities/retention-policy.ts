import { assertNever } from '../../protocols/index.ts'
import type { EntityType } from '../kernel/index.ts'
import { RetentionSettingsFullError } from './errors.ts'
import { MAX_RETENTION_SETTINGS, RETENTION, checkRetentionPolicyMsg } from './retention-policy-protocol.ts'
import type { RetentionPolicyEvent, RetentionPolicyMsg, RetentionPolicyState } from './retention-policy-protocol.ts'

/**
 * The rooms' retention settings: `retention/all`. A room without one follows the cluster's default
 * (config retention-days, retention-posts; keep forever when neither is set); the retention job
 * (node/erasure RetentionRunner) reads them all and trims each room to what it keeps.
 */
export const retentionPolicy: EntityType<RetentionPolicyMsg, RetentionPolicyState, RetentionPolicyEvent> = {
  type: RETENTION.type,
  role: 'chat',
  initialState: () => ({ rooms: {} }),
  check: checkRetentionPolicyMsg,
  applyEvent (state, event) {
    switch (event.type) {
      case 'retention-set': {
        const { [event.room]: _old, ...rest } = state.rooms
        return { rooms: event.setting === null ? rest : { ...rest, [event.room]: event.setting } }
      }
      default: return assertNever(event.type, 'retention policy event')
    }
  },
  async receive (ctx, msg) {
    switch (msg.type) {
      case 'set': {
        if (msg.setting !== null && !Object.hasOwn(ctx.state.rooms, msg.room) && Object.keys(ctx.state.rooms).length >= MAX_RETENTION_SETTINGS) {
          ctx.fail(msg.replyTo, new RetentionSettingsFullError(`${MAX_RETENTION_SETTINGS} rooms have a retention of their own, as many as may`))
          return
        }
        await ctx.persist({ type: 'retention-set', room: msg.room, setting: msg.setting, ts: Date.now() })
        ctx.reply(msg.replyTo, ctx.state.rooms)
        return
      }
      case 'get':
        ctx.reply(msg.replyTo, ctx.state.rooms)
        return
      default:
        assertNever(msg, 'retention policy message')
    }
  }
}
