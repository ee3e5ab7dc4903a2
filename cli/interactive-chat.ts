import * as grpc from '@grpc/grpc-js'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import type { Interface } from 'node:readline'
import type { ChatMessage, PostAck, RoomInfo } from '../actors/index.ts'
import { chatLine } from './chat-line.ts'
import { CliError } from './cli-errors.ts'
import type { CliIo } from './cli-io.ts'
import { RECONNECT_MAX_MS, RECONNECT_MIN_MS } from './constants.ts'
import { cliError, failureName, tlsFailure } from './node-client.ts'
import type { NodeClient } from './node-client.ts'
import { postWithRetries } from './post-outcome.ts'

/** What a room's Subscribe stream sends. */
interface RoomEvent {
  readonly message?: ChatMessage
  readonly live?: { readonly lastSeq: number }
  readonly agentPartial?: { readonly requestId: string, readonly user: string, readonly inReplyTo: number }
  /** A post withdrawn: an event of the room's series, with a seq of its own. */
  readonly redaction?: { readonly room: string, readonly seq: number, readonly redacts: number, readonly by: string, readonly ts: number }
}

/**
 * The interactive client: joins the room, prints its history and then live messages, and posts
 * each line read from stdin (in order). On a lost connection it resubscribes after the last seq
 * it printed, so nothing is missed or shown twice. Ends on /quit, end of input or Ctrl-C, once
 * every typed line is acknowledged; a failure no reconnection mends (a refused token, a TLS
 * problem) ends it too, and `run` rejects with it.
 */
export class InteractiveChat {
  readonly #io: CliIo
  readonly #client: NodeClient
  readonly #room: string
  readonly #tty: boolean
  readonly #rl: Interface
  readonly #finished: Promise<void>
  #resolve: () => void = () => {}
  #lastSeq = 0
  #stream: grpc.ClientReadableStream<unknown> | undefined
  #closing = false
  #fatal: Error | undefined
  #retryDelay = RECONNECT_MIN_MS
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  /** The lines typed, posted one after another in order. */
  #posting: Promise<void> = Promise.resolve()
  /** Agent answers announced as coming, by request id. */
  readonly #answering = new Set<string>()

  private constructor (io: CliIo, client: NodeClient, room: string) {
    this.#io = io
    this.#client = client
    this.#room = room
    this.#tty = io.stdin.isTTY === true && io.stdout.isTTY === true
    this.#rl = createInterface({ input: io.stdin, ...(this.#tty && { output: io.stdout }), terminal: this.#tty })
    this.#rl.setPrompt(`${room}> `)
    this.#finished = new Promise<void>((resolve) => { this.#resolve = resolve })
  }

  /** Chats in `room` over `client` until the user ends it; closes the client. */
  static async run (io: CliIo, client: NodeClient, room: string): Promise<void> {
    try {
      await client.call<RoomInfo>('Join', { room })
    } catch (err) {
      client.close()
      throw err
    }
    const chat = new InteractiveChat(io, client, room)
    chat.#start()
    await chat.#finished
    if (chat.#fatal !== undefined) throw chat.#fatal
  }

  #start (): void {
    const finish = (): void => { this.#finish() }
    this.#rl.on('line', (line) => { this.#onLine(line) })
    this.#rl.on('close', finish)
    this.#rl.on('SIGINT', finish)
    process.once('SIGINT', finish)
    this.#subscribe()
    if (this.#tty) this.#rl.prompt()
  }

  #print (line: string): void {
    if (this.#tty) {
      this.#io.stdout.write(`\r\x1b[K${line}\n`)
      this.#rl.prompt(true)
    } else {
      this.#io.stdout.write(`${line}\n`)
    }
  }

  #finish (): void {
    if (this.#closing) return
    this.#closing = true
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    // every line typed is posted first (#posting never rejects: each post reports its own failure)
    void this.#posting.then(() => {
      this.#stream?.cancel()
      this.#client.close()
      this.#rl.close()
      this.#resolve()
    })
  }

  #subscribe (): void {
    if (this.#closing) return
    const current = this.#client.subscribe(this.#room, this.#lastSeq)
    this.#stream = current
    current.on('data', (event: RoomEvent) => { this.#onEvent(event) })
    current.on('error', (err: grpc.ServiceError) => { this.#onStreamError(err) })
  }

  #onEvent (event: RoomEvent): void {
    this.#retryDelay = RECONNECT_MIN_MS
    if (event.message !== undefined && event.message !== null && event.message.seq > this.#lastSeq) {
      this.#lastSeq = event.message.seq
      this.#print(chatLine(event.message, false))
    } else if (event.redaction !== undefined && event.redaction !== null && event.redaction.seq > this.#lastSeq) {
      const r = event.redaction
      this.#lastSeq = r.seq
      this.#print(chatLine({ room: r.room, seq: r.seq, user: r.by, text: '', ts: r.ts, kind: 'redaction', redacts: r.redacts }, false))
    } else if (event.agentPartial !== undefined && event.agentPartial !== null) {
      // the whole answer follows as a message; say once that it is coming
      if (!this.#answering.has(event.agentPartial.requestId)) {
        this.#answering.add(event.agentPartial.requestId)
        this.#print(`* ${event.agentPartial.user} is answering #${event.agentPartial.inReplyTo}...`)
      }
    } else if (event.live !== undefined && event.live !== null) {
      this.#print(`--- live in ${this.#room}: type a message and press Enter (/members, /quit) ---`)
    }
  }

  #onStreamError (err: grpc.ServiceError): void {
    if (this.#closing || err.code === grpc.status.CANCELLED) return
    const client = this.#client
    // (and TLS problems: no reconnection mends a certificate)
    if (err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.INVALID_ARGUMENT || err.code === grpc.status.PERMISSION_DENIED || (client.tls !== undefined && tlsFailure(err, client.address, client.tls) !== undefined)) {
      this.#fatal = cliError(err, client.address, client.tls)
      this.#finish()
      return
    }
    this.#print(`--- connection lost (${grpc.status[err.code] ?? err.code}: ${err.details}); reconnecting after #${this.#lastSeq} in ${this.#retryDelay} ms ---`)
    this.#retryTimer = setTimeout(() => { this.#subscribe() }, this.#retryDelay)
    this.#retryDelay = Math.min(RECONNECT_MAX_MS, this.#retryDelay * 2)
  }

  #onLine (line: string): void {
    const text = line.trim()
    if (text.length === 0) {
      if (this.#tty) this.#rl.prompt()
      return
    }
    if (text === '/quit') {
      this.#finish()
      return
    }
    this.#posting = this.#posting.then(async () => { await (text === '/members' ? this.#members() : this.#post(line)) })
  }

  async #members (): Promise<void> {
    try {
      const { members } = await this.#client.call<{ members: string[] }>('Members', { room: this.#room })
      this.#print(`--- members of ${this.#room}: ${members.join(', ')} ---`)
    } catch (err) {
      this.#print(`--- ${(err as Error).message} ---`)
    }
  }

  async #post (line: string): Promise<void> {
    // each line has its own id: tried again while its outcome is unknown, it is stored once
    const clientId = randomUUID()
    const result = await postWithRetries(() => this.#client.call<PostAck>('Post', { room: this.#room, text: line, clientId }), {
      onUnknown: (error) => { this.#print(`--- no acknowledgement yet (${failureName(error)}); trying again ---`) }
    })
    if (result.outcome === 'acknowledged') return
    // never "not sent" for a post that may be stored: it shows here if it was (or once it is)
    if (result.outcome === 'unknown') this.#print(`--- outcome unknown: ${result.error.message}; it may still be stored, and shows here if it is ---`)
    else this.#print(`--- not sent: ${result.error.message} ---`)
    if (result.error instanceof CliError && result.error.call?.code === grpc.status.UNAUTHENTICATED) {
      this.#fatal = result.error
      this.#finish()
    }
  }
}
