import { Command, Option } from 'commander'
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CONFIG_SCHEMA, ConfigError, camel, effectiveConfig, envName, loadConfig } from '../../config/index.ts'
import type { LoadedConfig } from '../../config/index.ts'
import { CliError, UsageError } from '../cli-errors.ts'
import { printJson, printTable } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'
import { configKeysInHelpOrder, helpGroupOf } from './config-help-groups.ts'
import { REPEAT_SIGNAL_MS } from './constants.ts'
import { execForNode, persistCompileCache } from '../startup-exec.ts'


/** Adds one flag per configuration key (with its env twin and default in the help). */
function withConfigFlags (command: Command): Command {
  const first = helpGroupOf('role')
  command.addHelpOption(new Option('-h, --help', 'display help for command').helpGroup(first))
  command.addOption(new Option('--config <file>', 'config file, JSON or YAML (env PLEXI_CONFIG)').helpGroup(first))
  // (in the groups' order: commander lists the groups in the order of their first option)
  for (const spec of configKeysInHelpOrder()) {
    const group = helpGroupOf(spec.key)
    const help = `${spec.description} (env ${envName(spec.key)}${spec.default !== undefined && !Array.isArray(spec.default) ? `, default ${String(spec.default)}` : ''})`
    if (spec.type.kind === 'boolean') {
      // (one line in the help for both: --no-KEY is named in KEY's)
      command.addOption(new Option(`--${spec.key}`, `${help}; --no-${spec.key} turns it off`).helpGroup(group))
      command.addOption(new Option(`--no-${spec.key}`).hideHelp())
    } else {
      command.addOption(new Option(`--${spec.key} <value>`, help).helpGroup(group))
    }
  }
  return command
}

async function configFrom (options: Record<string, unknown>, io: CliIo): Promise<LoadedConfig> {
  const flags: Record<string, unknown> = { config: options.config }
  for (const spec of CONFIG_SCHEMA) flags[spec.key] = options[camel(spec.key)]
  try {
    return await loadConfig({ flags, env: io.env, cwd: io.cwd })
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`configuration: ${err.message}`)
    throw err
  }
}

export function nodeCommands (io: CliIo): Command[] {
  return [nodeCommand(io), configCommand(io), clusterCommand(io)]
}

function nodeCommand (io: CliIo): Command {
  const node = new Command('node').description('run a node')
  withConfigFlags(node.command('start')
    .description('start a node: chat over gRPC, the admin endpoint, the store in --data-dir; stops gracefully on SIGTERM/SIGINT (a second signal forces)'))
    .action(async (options: Record<string, unknown>) => {
      const loaded = await configFrom(options, io)
      // V8 sizes its young generation, and Node reads NODE_COMPILE_CACHE, only as a process starts:
      // run again (same pid) under both before anything is loaded, written or listened on
      execForNode(loaded.config.maxSemiSpaceSize)
      // the server stack loads only here: client commands stay quick to start
      const { createLogger, LogTail, TraceLogFields, startNode } = await import('../../node/index.ts')
      // every line also kept for the admin API's live tail (the dashboard's Logs view)
      const logTail = new LogTail()
      // with tracing on, a line written inside a span carries its trace and span ids
      const traceLog = loaded.config.otlpEndpoint === undefined ? undefined : new TraceLogFields()
      const log = createLogger(loaded.config.logLevel, undefined, logTail, traceLog?.mixin)
      if (loaded.config.role === undefined) throw new UsageError('node start: no role given: pass --role with chat, ai, storage, backup, plugins (comma-separated) or all (npm start uses all)')
      // watched from here on: a Ctrl-C while the node starts stops it once it is up, instead of
      // killing the process half-started (and npm, which then dies of the same signal)
      const signals = new StopSignals(log)
      let running: RunningNode
      try {
        running = await startNode(loaded.config, log, { logTail, ...(traceLog !== undefined && { traceLog }) })
      } catch (err) {
        signals.close()
        if (err instanceof ConfigError) throw new UsageError(`configuration: ${err.key}: ${err.message}`)
        throw err
      }
      // what it compiled to start is on disk now, not only at a clean exit
      persistCompileCache()
      await runUntilStopped(running, log, signals)
    })
  return node
}

/** What runUntilStopped needs of a started node and its logger. */
interface RunningNode {
  stop (): Promise<void>
  readonly stopped: Promise<unknown>
}
interface NodeLog {
  info (msg: string): void
  warn (msg: string): void
  error (obj: object, msg: string): void
  fatal (obj: object, msg: string): void
}

/**
 * SIGTERM and SIGINT, from the moment `node start` has its logger: the first asks for a graceful
 * stop (`onStop`, at once or once set), a second sent later exits at once with 1. Ctrl-C under
 * `npm start` reaches the node twice at once (from the terminal, and forwarded by npm): only a
 * signal sent again REPEAT_SIGNAL_MS later is someone insisting.
 */
class StopSignals {
  #count = 0
  #firstAt = 0
  #onStop: (() => void) | undefined
  readonly #log: NodeLog
  readonly #on = (signal: NodeJS.Signals): void => {
    if (this.#count > 0 && Date.now() - this.#firstAt < REPEAT_SIGNAL_MS) return
    this.#count++
    if (this.#count > 1) {
      this.#log.warn(`${signal} again: exiting without waiting`)
      process.exit(1)
    }
    this.#firstAt = Date.now()
    this.#log.info(`${signal}: stopping gracefully (send it again to force)`)
    this.#onStop?.()
  }

  constructor (log: NodeLog) {
    this.#log = log
    process.on('SIGTERM', this.#on)
    process.on('SIGINT', this.#on)
  }

  /** Whether a stop was asked for (or taken: an uncaught exception's). */
  get asked (): boolean { return this.#count > 0 }

  /** Counts a stop that is not a signal's (a later signal then forces the exit). */
  take (): boolean {
    if (this.#count++ > 0) return false
    this.#firstAt = Date.now()
    return true
  }

  /** Calls `stop` on the first signal: now, when one came already. */
  onStop (stop: () => void): void {
    this.#onStop = stop
    if (this.#count > 0) stop()
  }

  close (): void {
    process.off('SIGTERM', this.#on)
    process.off('SIGINT', this.#on)
  }
}

/** Resolves once the node has stopped: gracefully on SIGTERM/SIGINT (a second one, sent later,
 * exits at once), from within (an admin's drain or decommission), or after an uncaught exception
 * (exit code 1). */
async function runUntilStopped (running: RunningNode, log: NodeLog, signals: StopSignals): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (exitCode: number): void => {
      running.stop().then(() => {
        if (exitCode !== 0) process.exitCode = exitCode
        resolve()
      }, (err: unknown) => {
        log.error({ err }, 'graceful stop failed')
        process.exitCode = 1
        resolve()
      })
    }
    signals.onStop(() => { stop(0) })
    // an admin's drain or decommission stops the node from within: the process exits then
    void running.stopped.then(() => { if (!signals.asked) resolve() })
    // a stray rejected promise must not take every user's session down with it
    process.on('unhandledRejection', (err) => { log.error({ err }, 'unhandled promise rejection (a bug: please report it); the node keeps running') })
    // after an uncaught exception the process state is unknown: stop gracefully, exit 1
    process.on('uncaughtException', (err) => {
      log.fatal({ err }, 'uncaught exception (a bug: please report it); stopping gracefully')
      if (signals.take()) stop(1)
    })
  })
}

function configCommand (io: CliIo): Command {
  const config = new Command('config').description('inspect the configuration')
  withConfigFlags(config.command('print')
    .description('print every configuration key with its value and where it came from (flag, env, file, default)')
    .option('--effective', 'the values a node started with these flags, env and file would use (the default and only mode)')
    .option('--json', 'print JSON for scripts'))
    .action(async (options: Record<string, unknown>) => {
      const loaded = await configFrom(options, io)
      const rows = effectiveConfig(loaded)
      if (options.json === true) {
        printJson(io, { file: loaded.file ?? null, keys: rows.map(({ key, value, source, env }) => ({ key, value: value ?? null, source, env })) })
        return
      }
      if (loaded.file !== undefined) io.stdout.write(`config file: ${loaded.file}\n`)
      printTable(io, ['KEY', 'VALUE', 'SOURCE', 'ENV'], rows.map((r) => [r.key, r.value === undefined ? '-' : Array.isArray(r.value) ? r.value.join(',') : String(r.value), r.source, r.env]))
    })
  return config
}

function clusterCommand (io: CliIo): Command {
  const cluster = new Command('cluster').description('cluster-wide setup')
  cluster.command('keygen')
    .description('make a new libp2p pre-shared cluster key: on stdout, or with --out in a new file of mode 0600 (give the same file to every node with --cluster-key-file; a node refuses a key file that group or others may read)')
    .option('--out <file>', 'write the key to this new file, mode 0600 (an existing file is never overwritten)')
    .action(async (flags: { out?: string }) => {
      const { generateKey } = await import('@libp2p/pnet')
      const key = new Uint8Array(95)
      generateKey(key)
      const text = `${Buffer.from(key).toString('utf8')}\n`
      if (flags.out === undefined) {
        io.stdout.write(text)
        return
      }
      if (flags.out.trim() === '') throw new UsageError('--out: expected a file name')
      const file = resolve(io.cwd, flags.out)
      await writeFile(file, text, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new UsageError(`${file} exists: a key is never overwritten (the nodes holding it could not join a new one); choose another --out`)
        throw new CliError(`cannot write ${file}: ${err.message}`)
      })
      io.stdout.write(`wrote ${file} (mode 0600): give the same file to every node with --cluster-key-file\n`)
    })
  return cluster
}
