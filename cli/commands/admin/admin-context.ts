import type { Job } from '../../../protocols/index.ts'
import { AdminClient } from '../../admin-client.ts'
import { printJson } from '../../cli-io.ts'
import type { CliIo } from '../../cli-io.ts'
import { adminConnection } from '../../client-options.ts'
import type { ClientFlags } from '../../client-options.ts'
import { followJob, jobExitCode } from '../../follow-job.ts'

/** The admin API of the node the flags name, and where the CLI runs. */
export interface AdminSession {
  readonly api: AdminClient
  /** The token was read from the data dir: the CLI runs beside the node. */
  readonly local: boolean
  readonly dataDir: string
}

/** What every `plexi admin` command is handed: where it writes, and how it reaches the node. */
export interface AdminContext {
  readonly io: CliIo
  client (flags: ClientFlags): Promise<AdminSession>
  /** Starts a job through `path` and follows it (unless --no-wait): exit 0 done, 1 failed. */
  startJob (flags: ClientFlags & { wait?: boolean }, path: string, body: object | undefined): Promise<void>
}

export function adminContext (io: CliIo): AdminContext {
  const client = async (flags: ClientFlags): Promise<AdminSession> => {
    const connection = await adminConnection(flags, io)
    return { api: new AdminClient(connection.url, connection.token, connection.tls), local: connection.local, dataDir: connection.dataDir }
  }
  const startJob = async (flags: ClientFlags & { wait?: boolean }, path: string, body: object | undefined): Promise<void> => {
    const { api } = await client(flags)
    const job = await api.request<Job>('POST', path, body)
    if (flags.wait === false) {
      if (flags.json === true) printJson(io, job)
      else io.stdout.write(`${job.id} started: ${job.message}; follow it with plexi admin jobs ${job.id} --watch\n`)
      return
    }
    process.exitCode = jobExitCode(await followJob(api, job.id, io, { json: flags.json }))
  }
  return { io, client, startJob }
}
