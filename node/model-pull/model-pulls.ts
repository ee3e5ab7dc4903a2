import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Job } from '../../protocols/index.ts'
import { readGgufInfo, validateModel } from '../../runtimes/index.ts'
import type { ModelRegistry } from '../../runtimes/index.ts'
import type { JobControl } from '../jobs/index.ts'
import { PARTIAL_DIR, PROGRESS_EVERY_MS } from './constants.ts'
import { download } from './downloader.ts'
import { ModelPullError } from './errors.ts'
import type { FileDigests } from './file-digests.ts'
import type { ModelCopies } from './model-copy.ts'
import { parseModelSource } from './model-source.ts'
import type { ModelSource } from './model-source.ts'

/** What `POST /api/v1/models/pull` takes. */
export interface PullRequest {
  /** A URL of a GGUF file, or hf:OWNER/REPO/FILE.gguf[#REVISION]. */
  readonly source: string
  /** The model's name (default: the file's name without .gguf). */
  readonly name?: string
  /** The SHA-256 the file must have (hex), besides any the server publishes. */
  readonly sha256?: string
  /** Download again and replace a model of that name that is here already (and on the members
   * copied to); without it, a model that is here is not downloaded again, only copied. */
  readonly replace?: boolean
}

export interface ModelPullsOptions {
  readonly jobs: { start (kind: 'pull', target: string | null, run: (control: JobControl) => Promise<string | void>): Job, running (kind?: 'pull'): Job[] }
  readonly registry: Pick<ModelRegistry, 'dir' | 'scan' | 'get'>
  readonly loaded: (name: string) => boolean
  readonly copies: Pick<ModelCopies, 'copyTo'>
  readonly digests: FileDigests
  /** config model-hub: where hf: sources are downloaded from. */
  readonly hub: string
  /** Sent to the hub (not to other hosts): a token for gated models (HF_TOKEN). */
  readonly hubToken?: string | undefined
  /** The other ai members up now, by peer id: where a pulled model is copied. */
  readonly aiMembers: () => string[]
  readonly log: { info (obj: object, msg: string): void }
  /** Bytes downloaded, and how each pull ended, for metrics. */
  readonly onDownloaded?: (bytes: number) => void
  readonly onPulled?: (outcome: 'done' | 'failed' | 'cancelled') => void
}

/**
 * Pulls of models, each a job (`pull-N-XXXX`): the file downloaded with progress into the models
 * dir's `.partial/` folder (resumed where a pull of the same URL broke off), checked against the
 * SHA-256 given and the one the server publishes, validated as a GGUF like every model, put in
 * place, then copied to every other ai member up (ModelCopies, over the mesh). A model that is here
 * already is not downloaded again (unless `replace`): pulling it again copies it to the members
 * that lack it (ones that joined, or were down).
 */
export class ModelPulls {
  readonly #opts: ModelPullsOptions

  constructor (opts: ModelPullsOptions) {
    this.#opts = opts
  }

  /** Starts a pull; throws ModelPullError (invalid, conflict) before any job starts. */
  start (request: PullRequest): Job {
    const source = parseModelSource(request.source, this.#opts.hub, request.name)
    if (request.sha256 !== undefined && (typeof request.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(request.sha256))) {
      throw new ModelPullError('sha256: expected the file\'s SHA-256 as 64 hex digits', 'invalid')
    }
    const known = this.#opts.registry.get(source.name)
    if (known?.runtime === 'openai-http') throw new ModelPullError(`${source.name} is a model on an OpenAI-compatible server (${source.name}.json): give the GGUF another name (--name)`, 'conflict')
    if (this.#opts.jobs.running('pull').some((j) => j.target === source.name)) throw new ModelPullError(`${source.name} is being pulled already (plexi admin jobs)`, 'conflict')
    const replace = request.replace === true
    if (replace && known !== undefined && this.#opts.loaded(source.name)) throw new ModelPullError(`${source.name} is loaded on this node: unload it first (plexi admin models unload ${source.name})`, 'conflict')
    const sha256 = request.sha256?.toLowerCase()
    return this.#opts.jobs.start('pull', source.name, async (control) => await this.#run(source, sha256, replace, control))
  }

  async #run (source: ModelSource, expected: string | undefined, replace: boolean, control: JobControl): Promise<string> {
    let outcome: 'done' | 'failed' | 'cancelled' = 'failed'
    try {
      await this.#opts.registry.scan()
      const target = join(this.#opts.registry.dir, `${source.name}.gguf`)
      const here = replace ? undefined : await this.#opts.digests.of(target)
      if (here !== undefined && expected !== undefined && here !== expected) {
        throw new ModelPullError(`${source.name}.gguf here has sha256 ${here.slice(0, 12)}…, not the one given: pull with --replace to download it again`, 'conflict')
      }
      const got = here === undefined ? await this.#fetch(source, target, expected, control) : { sha256: here, sizeBytes: (await stat(target)).size, checked: 'was here already' }
      const copies = await this.#copyAll(source.name, target, got, replace, control)
      outcome = 'done'
      return `${source.name}: ${mib(got.sizeBytes)} MiB, sha256 ${got.sha256.slice(0, 12)}… (${got.checked}); ${copies}`
    } finally {
      if (control.signal.aborted) outcome = 'cancelled'
      this.#opts.onPulled?.(outcome)
    }
  }

  /** Downloads, checks and validates the model, and puts it in place. */
  async #fetch (source: ModelSource, target: string, expected: string | undefined, control: JobControl): Promise<{ sha256: string, sizeBytes: number, checked: string }> {
    const part = join(this.#opts.registry.dir, PARTIAL_DIR, `${source.name}.gguf.part`)
    await mkdir(join(this.#opts.registry.dir, PARTIAL_DIR), { recursive: true })
    const started = Date.now()
    let shownAt = 0
    let trailing: NodeJS.Timeout | undefined
    const show = (received: number, total: number | undefined): void => {
      clearTimeout(trailing)
      trailing = undefined
      shownAt = Date.now()
      const rate = received / 1_048_576 / Math.max(0.001, (Date.now() - started) / 1000)
      control.progress({ total: total === undefined ? 0 : Math.ceil(total / 1_048_576), done: received === total ? Math.ceil(total / 1_048_576) : Math.floor(received / 1_048_576), message: `downloading ${mib(received)}${total === undefined ? '' : ` of ${mib(total)}`} MiB (${rate.toFixed(1)} MiB/s) from ${new URL(source.url).host}` })
    }
    // at most every PROGRESS_EVERY_MS, and the last figure always shown (a download that stalls
    // shows how far it got)
    const report = (received: number, total: number | undefined): void => {
      const wait = shownAt + PROGRESS_EVERY_MS - Date.now()
      clearTimeout(trailing)
      if (wait <= 0) show(received, total)
      else trailing = setTimeout(() => { show(received, total) }, wait)
    }
    const headers = this.#opts.hubToken !== undefined && source.source.startsWith('hf:') ? { authorization: `Bearer ${this.#opts.hubToken}` } : undefined
    const got = await download({
      url: source.url,
      file: part,
      signal: control.signal,
      ...(headers !== undefined && { headers }),
      onProgress: report,
      onReceived: (n) => { this.#opts.onDownloaded?.(n) },
      onRetry: (attempt, why) => { control.progress({ message: `download broke off (${why}); resuming, try ${attempt}` }) }
    }).finally(() => { clearTimeout(trailing) })
    show(got.sizeBytes, got.sizeBytes)
    const fail = async (message: string): Promise<never> => {
      await rm(part, { force: true })
      throw new ModelPullError(message, 'invalid')
    }
    if (expected !== undefined && got.sha256 !== expected) await fail(`the file's sha256 is ${got.sha256}, not the ${expected} given; it was removed`)
    if (got.publishedSha256 !== undefined && got.sha256 !== got.publishedSha256) await fail(`the file's sha256 is ${got.sha256}, not the ${got.publishedSha256} the server published; it was removed`)
    control.progress({ message: 'validating the GGUF' })
    try {
      validateModel(part, await readGgufInfo(part))
    } catch (err) {
      await fail(`not a model llama.cpp can load, so it was removed: ${(err as Error).message}`)
    }
    if (this.#opts.loaded(source.name)) await fail(`${source.name} was loaded while it downloaded: unload it and pull again`)
    await rename(part, target)
    await this.#opts.digests.remember(target, got.sha256)
    await this.#opts.registry.scan()
    this.#opts.log.info({ model: source.name, source: source.source, bytes: got.sizeBytes, sha256: got.sha256, resumedFrom: got.resumedFrom }, `model ${source.name} pulled (${mib(got.sizeBytes)} MiB)`)
    const checked = [expected !== undefined && 'checked against the sha256 given', got.publishedSha256 !== undefined && 'checked against the one published', got.resumedFrom > 0 && `resumed at ${mib(got.resumedFrom)} MiB`].filter((s) => s !== false)
    return { sha256: got.sha256, sizeBytes: got.sizeBytes, checked: checked.length === 0 ? 'no digest was published to check it against' : checked.join(', ') }
  }

  /** Copies the model to every other ai member up; resolves with what to say, rejects naming the
   * members it could not copy to (the model stays here). */
  async #copyAll (name: string, file: string, got: { sha256: string, sizeBytes: number }, replace: boolean, control: JobControl): Promise<string> {
    const members = this.#opts.aiMembers()
    if (members.length === 0) return 'no other ai member to copy it to'
    const failed: Array<{ item: string, why: string }> = []
    let had = 0
    for (const [i, peer] of members.entries()) {
      control.signal.throwIfAborted()
      control.progress({ left: members.slice(i).map((m) => ({ item: m, why: m === peer ? 'copying' : 'waiting to be copied to' })).concat(failed), message: `copying to ${peer} (${i + 1} of ${members.length})` })
      try {
        const result = await this.#opts.copies.copyTo(peer, { name, file, sizeBytes: got.sizeBytes, sha256: got.sha256, replace }, control.signal, (sent) => {
          control.progress({ message: `copying to ${peer} (${i + 1} of ${members.length}): ${mib(sent)} of ${mib(got.sizeBytes)} MiB` })
        })
        if (result === 'had') had++
      } catch (err) {
        control.signal.throwIfAborted()
        failed.push({ item: peer, why: (err as Error).message })
      }
    }
    control.progress({ left: failed, failed: failed.length })
    const copied = `on ${members.length - failed.length + 1} of ${members.length + 1} ai members${had > 0 ? ` (${had} had it already)` : ''}`
    if (failed.length > 0) throw new ModelPullError(`${name} is here, ${copied}; not copied to ${failed.map((f) => `${f.item}: ${f.why}`).join('; ')} (pull again to copy it: nothing is downloaded again)`)
    return copied
  }
}

const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(1)
