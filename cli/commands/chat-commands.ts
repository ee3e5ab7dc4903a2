import { Command } from 'commander'
import { closest } from '../../config/index.ts'
import { randomUUID } from 'node:crypto'
import { CLIENT_ID_RULE, MAX_CHAT_TEXT_BYTES, MAX_HISTORY_LIMIT, clip, isClientId } from '../../protocols/index.ts'
import type { ChatMessage, PostAck, RedactAck } from '../../actors/index.ts'
import { ROOM_NAME_RULE, isRoomName } from '../../protocols/index.ts'
import { chatLine, messageKind } from '../chat-line.ts'
import { NodeClient, failureName } from '../node-client.ts'
import { transferCommands } from './transfer-commands.ts'
import { CliError, UsageError } from '../cli-errors.ts'
import { printJson } from '../cli-io.ts'
import { InteractiveChat } from '../interactive-chat.ts'
import { postWithRetries } from '../post-outcome.ts'
import { integer } from '../flag-values.ts'
import type { CliIo } from '../cli-io.ts'
import { chatConnection, withClientOptions, withFlags } from '../client-options.ts'
import { addSearchCommand } from './chat-search-command.ts'
import type { ClientFlags } from '../client-options.ts'

type RoomFlags = ClientFlags & { room?: string }

export function chatCommands (io: CliIo): Command {
  // connection and output flags go before the subcommand or after it (the last one given wins)
  const chat = withClientOptions(new Command('chat')
    .usage('--room ROOM [options]   (or: plexi chat COMMAND ...)')
    .description('chat in rooms (token: --token, PLEXI_TOKEN, or the one `admin users add` saved for --user)')
    .addHelpText('after', `
Chat interactively (what plexi chat does without a command):
  plexi chat --user bob --room general   join a room: its history, then live messages; each
                                         line you type is posted (/members: who is in it,
                                         /quit or Ctrl-D: leave)
One post from a script:
  plexi chat send --room general "hi"    or the text from stdin: echo hi | plexi chat send --room general -`), 'chat')

  withClientOptions(chat.command('interactive', { isDefault: true, hidden: true }), 'chat')
    .description('join a room: its history, then live messages; each line you type is posted')
    .option('--room <room>', 'the room')
    // words here are a subcommand that does not exist (`plexi chat sned hi`): say which one was meant
    .argument('[words...]')
    .action(withFlags(async (words: string[], flags: RoomFlags) => {
      const [word] = words
      if (word !== undefined) {
        const commands = chat.commands.filter((c) => c.name() !== 'interactive').map((c) => c.name())
        const meant = closest(word, commands)
        throw new UsageError(`unknown command '${word}' for plexi chat; ${meant === undefined ? `the commands are ${commands.join(', ')}, or none to chat interactively` : `did you mean '${meant}'?`}`)
      }
      const room = roomOf(flags)
      await InteractiveChat.run(io, await connect(io, flags), room)
    }))

  withClientOptions(chat.command('send <text>'), 'chat')
    .description('post one message (text `-`: read it from stdin, one trailing newline dropped: `echo hi | plexi chat send --room lobby -`); prints the acknowledgement (--json: {room, seq, ts})')
    .requiredOption('--room <room>', 'the room')
    .option('--client-id <id>', `the post's own id (${CLIENT_ID_RULE}): a send repeated with the same id is stored once and answered with the first one's acknowledgement, so a script may retry a send whose outcome it did not see (default: a random id per send)`)
    .action(withFlags(async (given: string, flags: RoomFlags & { clientId?: string }) => {
      const room = roomOf(flags)
      const text = given === '-' ? await textFromStdin(io) : given
      // every send carries an id: a retry of the same post (by a script, with --client-id) is never stored twice
      const clientId = flags.clientId ?? randomUUID()
      if (!isClientId(clientId)) throw new UsageError(`--client-id: ${clip(JSON.stringify(clientId), 80)} is not a client id (${CLIENT_ID_RULE})`)
      const client = await connect(io, flags)
      try {
        // a post whose outcome is unknown (no acknowledgement came) is sent again with its id: the
        // room answers with the first one's acknowledgement if it was stored, and stores it once
        const result = await postWithRetries(() => client.call<PostAck>('Post', { room, text, clientId }), {
          onUnknown: (error, ms) => { io.stderr.write(`plexi: no acknowledgement (${failureName(error)}); trying again in ${ms} ms with the same client id\n`) }
        })
        if (result.outcome === 'unknown') {
          throw new CliError(`outcome unknown: the post to ${room} was not acknowledged after ${result.tries} tries (${result.error.message}); it may still be stored. Send it again with --client-id ${clientId}: it is stored once, and answered with its acknowledgement if it was`)
        }
        if (result.outcome !== 'acknowledged') throw result.error
        const { ack } = result
        if (flags.json === true) printJson(io, { room: ack.room, seq: ack.seq, ts: ack.ts })
        else io.stdout.write(`sent to ${ack.room} as #${ack.seq} at ${new Date(ack.ts).toISOString()}\n`)
      } finally {
        client.close()
      }
    }))

  historyCommand(chat, io)
  redactCommand(chat, io)

  transferCommands(chat, io, { kind: 'room', connect: async (flags) => await connect(io, flags), roomOf })
  addSearchCommand(chat, io, async (flags) => await connect(io, flags))
  return chat
}

/** A post's text read from stdin to its end (`plexi chat send -`), one trailing newline dropped
 * (what `echo` and a file's last line leave); UsageError when there is none, or more than a post
 * may hold. */
async function textFromStdin (io: CliIo): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of io.stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer
    bytes += b.byteLength
    if (bytes > MAX_CHAT_TEXT_BYTES) throw new UsageError(`stdin: more than ${MAX_CHAT_TEXT_BYTES} bytes, the most a post may hold: nothing was sent`)
    chunks.push(b)
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (text.length === 0) throw new UsageError('stdin: no text to send (`-` reads the post from stdin: `echo hi | plexi chat send --room lobby -`)')
  return text
}

/** `plexi chat history --room R`: a room's messages in order. */
function historyCommand (chat: Command, io: CliIo): void {
  withClientOptions(chat.command('history'), 'chat')
    .description('print a room\'s messages in order (--json: [{seq, user, text, ts, kind}], with redacted: true on a redacted post, redacts: SEQ on a redaction and importedFrom {source, seq, user, ts} on an imported post)')
    .requiredOption('--room <room>', 'the room')
    .option('--after <seq>', 'only messages after this seq', '0')
    .option('--limit <n>', `at most this many (1-${MAX_HISTORY_LIMIT})`, '100')
    .action(withFlags(async (flags: RoomFlags & { after: string, limit: string }) => {
      const room = roomOf(flags)
      const after = integer(flags.after, '--after', 0, Number.MAX_SAFE_INTEGER)
      const limit = integer(flags.limit, '--limit', 1, MAX_HISTORY_LIMIT)
      const client = await connect(io, flags)
      try {
        const { messages } = await client.call<{ messages: ChatMessage[] }>('History', { room, after, limit })
        if (flags.json === true) {
          printJson(io, messages.map((m) => ({
            seq: m.seq,
            user: m.user,
            text: m.text,
            ts: m.ts,
            kind: messageKind(m),
            ...(m.redacted === true && { redacted: true }),
            ...((m.redacts ?? 0) > 0 && { redacts: m.redacts }),
            ...(m.importedFrom != null && { importedFrom: m.importedFrom })
          })))
        } else {
          for (const m of messages) io.stdout.write(`${chatLine(m, true)}\n`)
        }
      } finally {
        client.close()
      }
    }))
}

/** `plexi chat redact --room R SEQ`: withdraws one of the user's own posts (the chat service's Redact). */
function redactCommand (chat: Command, io: CliIo): void {
  withClientOptions(chat.command('redact <seq>'), 'chat')
    .description('withdraw one of your posts (or your agent\'s answer): history shows it without its text from then on, subscribers get a redaction, and the text is removed from every replica (--json: {room, seq, redactionSeq, ts, already})')
    .requiredOption('--room <room>', 'the room')
    .action(withFlags(async (seqText: string, flags: RoomFlags) => {
      const room = roomOf(flags)
      const seq = integer(seqText, 'SEQ', 1, Number.MAX_SAFE_INTEGER)
      const client = await connect(io, flags)
      try {
        const ack = await client.call<RedactAck>('Redact', { room, seq })
        if (flags.json === true) printJson(io, { room: ack.room, seq: ack.seq, redactionSeq: ack.redactionSeq, ts: ack.ts, already: ack.already })
        else io.stdout.write(ack.already ? `#${ack.seq} in ${ack.room} was redacted already\n` : `redacted #${ack.seq} in ${ack.room} (redaction #${ack.redactionSeq})\n`)
      } finally {
        client.close()
      }
    }))
}

async function connect (io: CliIo, flags: ClientFlags): Promise<NodeClient> {
  const connection = await chatConnection(flags, io)
  return new NodeClient(connection.address, connection.token, undefined, connection.tls)
}

function roomOf (flags: RoomFlags): string {
  if (flags.room === undefined) throw new UsageError('--room is required: plexi chat --room NAME (add --user or --token)')
  if (!isRoomName(flags.room)) throw new UsageError(`--room: ${JSON.stringify(flags.room)} is not a room name (${ROOM_NAME_RULE})`)
  return flags.room
}
