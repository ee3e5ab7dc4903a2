import { PassThrough, Writable } from 'node:stream'
import { main } from '../../cli/main.ts'
import type { CliIo } from '../../cli/cli-io.ts'
import { ADMIN_TOKEN, AdminFixture } from './admin-fixture.ts'

/** What one run of the CLI did: its exit code and what it printed. */
export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** A stream that keeps what is written to it, at once (no tick between a write and `text()`). */
function sink (): { stream: Writable, text: () => string } {
  let text = ''
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { text += chunk.toString(); done() } })
  return { stream, text: () => text }
}

/**
 * `plexi admin ...` as a user runs it (cli/main.ts: the same parsing, output and exit codes), in
 * this process, against the admin endpoint of a lone node (AdminFixture) listening on loopback.
 * `run()` passes the endpoint, the admin token and the fixture's data dir; `runBare()` nothing.
 */
export class AdminCli {
  readonly fixture = new AdminFixture()
  #endpoint = ''

  /** `roles`: the node's (AdminFixture.setup). */
  async setup (opts: Parameters<AdminFixture['setup']>[0] = {}): Promise<void> {
    await this.fixture.setup(opts)
    await this.#listen()
  }

  /** Builds the endpoint again (after a test changed the fixture: its backups, its write quorum)
   * and listens on a new port. */
  async rebuild (): Promise<void> {
    await this.fixture.build()
    await this.#listen()
  }

  async #listen (): Promise<void> {
    await this.fixture.app.listen({ host: '127.0.0.1', port: 0 })
    this.#endpoint = `127.0.0.1:${(this.fixture.app.server.address() as { port: number }).port}`
  }

  async teardown (): Promise<void> {
    await this.fixture.teardown()
  }

  get endpoint (): string {
    return this.#endpoint
  }

  /** `plexi admin --admin-addr ENDPOINT --admin-token TOKEN --data-dir DIR ...args` */
  async run (...args: string[]): Promise<CliRun> {
    return await this.runBare('admin', '--admin-addr', this.#endpoint, '--admin-token', ADMIN_TOKEN, '--data-dir', this.fixture.dataDir, ...args)
  }

  /** `plexi ...args`, with no environment (no PLEXI_* variable reaches it). */
  async runBare (...args: string[]): Promise<CliRun> {
    return await this.runWith({}, ...args)
  }

  /** `plexi admin` as run() passes it, with `env` as the shell's environment. */
  async runEnv (env: Record<string, string>, ...args: string[]): Promise<CliRun> {
    return await this.runWith(env, 'admin', '--admin-addr', this.#endpoint, '--admin-token', ADMIN_TOKEN, '--data-dir', this.fixture.dataDir, ...args)
  }

  async runWith (env: Record<string, string>, ...args: string[]): Promise<CliRun> {
    const stdout = sink()
    const stderr = sink()
    const io: CliIo = { stdout: stdout.stream, stderr: stderr.stream, stdin: new PassThrough(), env, cwd: this.fixture.dataDir }
    // a command says its exit code in process.exitCode (as the plexi binary does): kept apart per run
    const before = process.exitCode
    process.exitCode = undefined
    try {
      const code = await main(args, io)
      return { code, stdout: stdout.text(), stderr: stderr.text() }
    } finally {
      process.exitCode = before
    }
  }
}
