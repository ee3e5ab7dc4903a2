import { Command } from 'commander'
import { closest } from '../../config/index.ts'
import * as grpc from '@grpc/grpc-js'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { CLIENT_ID_RULE, MAX_HISTORY_LIMIT, clip, isClientId } from '../../protocols/index.ts'
import type { ChatMessage, PostAck, RoomInfo } from '../../actors/index.ts'
import { ROOM_NAME_RULE, isRoomName } from '../../protocols/index.ts'
import { NodeClient, cliError, tlsFailure } from '../node-client.ts'
import { CliError, UsageError } from '../cli-errors.ts'
import { printJson } from '../cli-io.ts'
import { postWithRetries } from '../post-outcome.ts'
import { integer } from '../flag-values.ts'
import type { CliIo } from '../cli-io.ts'
import { chatConnection, withClientOptions, withFlags } from '../client-options.ts'
import type { ClientFlags } from '../client-options.ts'

type RoomFlags = ClientFlags & { room?: string }

/** Reconnect delays of the interactive client: doubling, capped. */
const RECONNECT_MIN_MS = 250
const RECONNECT_MAX_MS = 5_000

export function chatCommands (io: CliIo): Command {
  // connection and output flags go before the subcommand or after it (the last one given wins)
  const chat = withClientOptions(new Command('chat')
    .description('chat in rooms (token: --token, PLEXI_TOKEN, or the one `admin users add` saved for --user)'), 'chat')

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
      await interactive(io, flags)
    }))

  withClientOptions(chat.command('send <text>'), 'chat')
    .description('post one message; prints the acknowledgement (--json: {room, seq, ts})')
    .requiredOption('--room <room>', 'the room')
    .option('--client-id <id>', `the post's own id (${CLIENT_ID_RULE}): a send repeated with the same id is stored once and answered with the first one's acknowledgement, so a script may retry a send whose outcome it did not see (default: a random id per send)`)
    .action(withFlags(async (text: string, flags: RoomFlags & { clientId?: string }) => {
      const room = roomOf(flags)
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

  withClientOptions(chat.command('history'), 'chat')
    .description('print a room\'s messages in order (--json: [{seq, user, text, ts, kind}])')
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
        if (flags.json === true) printJson(io, messages.map((m) => ({ seq: m.seq, user: m.user, text: m.text, ts: m.ts, kind: kindOf(m) })))
        else for (const m of messages) io.stdout.write(`${format(m, true)}\n`)
      } finally {
        client.close()
      }
    }))
  return chat
}

async function connect (io: CliIo, flags: ClientFlags): Promise<NodeClient> {
  const connection = await chatConnection(flags, io)
  return new NodeClient(connection.address, connection.token, undefined, connection.tls)
}

/** A failed call's status name (DEADLINE_EXCEEDED, UNAVAILABLE), for a line that says it is retried:
 * the whole reason is said once, if no try succeeds. */
function failureName (error: Error): string {
  const code = error instanceof CliError ? error.call?.code : undefined
  return code === undefined ? error.name : grpc.status[code] ?? String(code)
}

function roomOf (flags: RoomFlags): string {
  if (flags.room === undefined) throw new UsageError('--room is required: plexi chat --room NAME (add --user or --token)')
  if (!isRoomName(flags.room)) throw new UsageError(`--room: ${JSON.stringify(flags.room)} is not a room name (${ROOM_NAME_RULE})`)
  return flags.room
}

/** proto enums arrive as names (MESSAGE, JOIN, LEAVE); scripts get the kernel's lowercase kinds. */
function kindOf (m: ChatMessage): string {
  return String(m.kind).toLowerCase()
}

function format (m: ChatMessage, withDate: boolean): string {
  const iso = new Date(m.ts).toISOString()
  const when = withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : new Date(m.ts).toTimeString().slice(0, 8)
  switch (kindOf(m)) {
    case 'join': return `#${m.seq} ${when} * ${m.user} joined`
    case 'leave': return `#${m.seq} ${when} * ${m.user} left`
    default: return `#${m.seq} ${when} ${m.user}: ${m.text}`
  }
}

/**
 * The interactive client: joins the room, prints its history and then live messages, and posts
 * each line read from stdin (in order). On a lost connection it resubscribes after the last seq
 * it printed, so nothing is missed or shown twice. Ends on /quit, end of input or Ctrl-C, once
 * every typed line is acknowledged.
 */
async function interactive (io: CliIo, flags: RoomFlags): Promise<void> {
  const room = roomOf(flags)
  const client = await connect(io, flags)
  const tty = io.stdin.isTTY === true && io.stdout.isTTY === true
  let lastSeq = 0
  let stream: grpc.ClientReadableStream<unknown> | undefined
  let closing = false
  let fatal: Error | undefined
  let retryDelay = RECONNECT_MIN_MS
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let posting: Promise<void> = Promise.resolve()
  const answering = new Set<string>()

  try {
    await client.call<RoomInfo>('Join', { room })
  } catch (err) {
    client.close()
    throw err
  }
  const rl = createInterface({ input: io.stdin, ...(tty && { output: io.stdout }), terminal: tty })
  rl.setPrompt(`${room}> `)
  const print = (line: string): void => {
    if (tty) {
      io.stdout.write(`\r\x1b[K${line}\n`)
      rl.prompt(true)
    } else {
      io.stdout.write(`${line}\n`)
    }
  }

  const finished = new Promise<void>((resolve) => {
    const finish = (): void => {
      if (closing) return
      closing = true
      if (retryTimer !== undefined) clearTimeout(retryTimer)
      void posting.then(() => {
        stream?.cancel()
        client.close()
        rl.close()
        resolve()
      })
    }

    const subscribe = (): void => {
      if (closing) return
      const current = client.subscribe(room, lastSeq)
      stream = current
      current.on('data', (event: { message?: ChatMessage, live?: { lastSeq: number }, agentPartial?: { requestId: string, user: string, inReplyTo: number } }) => {
        retryDelay = RECONNECT_MIN_MS
        if (event.message !== undefined && event.message !== null && event.message.seq > lastSeq) {
          lastSeq = event.message.seq
          print(format(event.message, false))
        } else if (event.agentPartial !== undefined && event.agentPartial !== null) {
          // the whole answer follows as a message; say once that it is coming
          if (!answering.has(event.agentPartial.requestId)) {
            answering.add(event.agentPartial.requestId)
            print(`* ${event.agentPartial.user} is answering #${event.agentPartial.inReplyTo}...`)
          }
        } else if (event.live !== undefined && event.live !== null) {
          print(`--- live in ${room}: type a message and press Enter (/members, /quit) ---`)
        }
      })
      current.on('error', (err: grpc.ServiceError) => {
        if (closing || err.code === grpc.status.CANCELLED) return
        // (and TLS problems: no reconnection mends a certificate)
        if (err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.INVALID_ARGUMENT || err.code === grpc.status.PERMISSION_DENIED || (client.tls !== undefined && tlsFailure(err, client.address, client.tls) !== undefined)) {
          fatal = cliError(err, client.address, client.tls)
          finish()
          return
        }
        print(`--- connection lost (${grpc.status[err.code] ?? err.code}: ${err.details}); reconnecting after #${lastSeq} in ${retryDelay} ms ---`)
        retryTimer = setTimeout(subscribe, retryDelay)
        retryDelay = Math.min(RECONNECT_MAX_MS, retryDelay * 2)
      })
    }

    rl.on('line', (line) => {
      const text = line.trim()
      if (text.length === 0) {
        if (tty) rl.prompt()
        return
      }
      if (text === '/quit') {
        finish()
        return
      }
      if (text === '/members') {
        posting = posting.then(async () => {
          try {
            const { members } = await client.call<{ members: string[] }>('Members', { room })
            print(`--- members of ${room}: ${members.join(', ')} ---`)
          } catch (err) {
            print(`--- ${(err as Error).message} ---`)
          }
        })
        return
      }
      posting = posting.then(async () => {
        // each line has its own id: tried again while its outcome is unknown, it is stored once
        const clientId = randomUUID()
        const result = await postWithRetries(() => client.call<PostAck>('Post', { room, text: line, clientId }), {
          onUnknown: (error) => { print(`--- no acknowledgement yet (${failureName(error)}); trying again ---`) }
        })
        if (result.outcome === 'acknowledged') return
        // never "not sent" for a post that may be stored: it shows here if it was (or once it is)
        if (result.outcome === 'unknown') print(`--- outcome unknown: ${result.error.message}; it may still be stored, and shows here if it is ---`)
        else print(`--- not sent: ${result.error.message} ---`)
        if (result.error instanceof CliError && result.error.call?.code === grpc.status.UNAUTHENTICATED) {
          fatal = result.error
          finish()
        }
      })
    })
    rl.on('close', finish)
    rl.on('SIGINT', finish)
    process.once('SIGINT', finish)
    subscribe()
    if (tty) rl.prompt()
  })
  await finished
  if (fatal !== undefined) throw fatal
}
