import { clip, kindOf } from '../../protocols/index.ts'
import { COMMAND_NAME_PATTERN, MAX_PENDING_COMMANDS } from './constants.ts'
import type { ChatMessage } from './chat-room-protocol.ts'
import { RoomBacklogError } from './errors.ts'
import { withinDeadline } from './plugin-deadline.ts'
import { reason } from './room-agents.ts'
import { botUserName } from './room-plugins.ts'
import type { RoomCommand, RoomPluginView } from './room-plugins.ts'
import type { PendingCommand, RoomContext } from './room-volatile.ts'
import { record } from './room-writes.ts'

/** `/<name>`, then the end of the text or white space and the arguments. */
const COMMAND = new RegExp(`^/(${COMMAND_NAME_PATTERN.source.slice(1, -1)})(?:\\s+([\\s\\S]*))?$`)

/** The longest reason a failure line quotes: it is a chat line, not a log. */
const MAX_FAILURE_REASON = 200

/** The command a post's text names and its arguments (trimmed), or undefined for plain text. */
export function parseCommand (text: string): { readonly name: string, readonly args: string } | undefined {
  const match = COMMAND.exec(text)
  if (match === null) return undefined
  return { name: match[1] as string, args: (match[2] ?? '').trim() }
}

/** The command a plugin declared that the text runs, or undefined (plain text: no plugin answers
 * it, and it is posted as it is). */
export function commandOf (text: string, view: RoomPluginView): RoomCommand | undefined {
  if (view.commands.size === 0) return undefined
  const parsed = parseCommand(text)
  return parsed === undefined ? undefined : view.commands.get(parsed.name)
}

/** A command is about to be stored: its place in the queue of answers, or a refusal when the room
 * already waits for MAX_PENDING_COMMANDS answers. */
export function reserveCommand (ctx: RoomContext, command: RoomCommand): PendingCommand {
  const queue = ctx.volatile.commands
  if (queue.length >= MAX_PENDING_COMMANDS) {
    throw new RoomBacklogError(`room ${ctx.key} waits for ${queue.length} command answers already; try /${command.name} again later`)
  }
  const pending: PendingCommand = { command, seq: 0, answer: undefined }
  queue.push(pending)
  return pending
}

/**
 * The command's post is durable: its plugin is asked (not awaited); the answer, or a line saying
 * why there is none (no answer within the deadline, the plugin down or failing), comes back as
 * `command-answered` and is posted as the plugin's bot, in command order (postAnswers).
 */
export function startCommand (ctx: RoomContext, pending: PendingCommand, message: ChatMessage): void {
  pending.seq = message.seq
  const { command } = pending
  const plugins = ctx.volatile.plugins
  const self = ctx.self
  const params = { room: ctx.key, user: message.user, command: command.name, args: parseCommand(message.text)?.args ?? '' }
  let request
  try {
    request = plugins.request(command.plugin, 'plexi/command', params, command.deadlineMs)
  } catch (err) {
    request = Promise.reject(err)
  }
  withinDeadline(request, command.deadlineMs, command.plugin, 'plexi/command').then((result) => {
    pending.answer ??= result.text
    plugins.record({ hook: 'command', plugin: command.plugin, outcome: 'answered' })
  }, (err: unknown) => {
    pending.answer ??= failureLine(command, reason(err))
    plugins.record({ hook: 'command', plugin: command.plugin, outcome: kindOf(err) === 'timeout' ? 'timeout' : 'failed' })
  }).finally(() => { self.tell({ type: 'command-answered' }) })
}

/** The command's post could not be stored: it waits for no answer. */
export function dropCommand (ctx: RoomContext, pending: PendingCommand): void {
  pending.answer = ''
  ctx.self.tell({ type: 'command-answered' })
}

/** Posts the answers at the head of the queue that came, in command order, each as its plugin's
 * bot (an empty answer posts nothing). */
export function postAnswers (ctx: RoomContext): void {
  const queue = ctx.volatile.commands
  for (let next = queue[0]; next?.answer !== undefined; next = queue[0]) {
    queue.shift()
    if (next.answer.length === 0) continue
    record(ctx, { type: 'message-posted', user: botUserName(next.command.plugin), text: next.answer, ts: Date.now() }, () => undefined)
  }
}

/** The node stops before the answers came: each waiting command gets its failure line now. */
export function interruptCommands (ctx: RoomContext): void {
  for (const pending of ctx.volatile.commands) {
    if (pending.answer === undefined) pending.answer = failureLine(pending.command, 'the room stopped on this node before the answer came')
  }
  postAnswers(ctx)
}

function failureLine (command: RoomCommand, why: string): string {
  return `(no answer to /${command.name}: ${clip(why, MAX_FAILURE_REASON)})`
}
