import type { RoomPlugins } from '../../actors/index.ts'
import { PeriodicService, ServiceFailures } from '../services/index.ts'
import type { ServiceLog } from '../services/index.ts'
import { POST_HOOKS_RESUME_MS } from './constants.ts'

export interface PostHooksResumeOptions {
  readonly plugins: RoomPlugins
  /** Tells `post-hooks/<plugin>` to go on (the entity system's `entity(POST_HOOKS, plugin).tell`). */
  readonly resume: (plugin: string) => void
  readonly failures?: ServiceFailures
  readonly log: ServiceLog
  /** @default POST_HOOKS_RESUME_MS */
  readonly intervalMs?: number
}

/**
 * Tells every after-post plugin's post-hooks entity to go on, at start and every
 * POST_HOOKS_RESUME_MS: after a restart it activates the entity again, which goes on from its
 * durable cursors, so that posts committed before the crash reach the plugin without waiting for a
 * new post in their room. An entity that is running takes it as a no-op.
 */
export class PostHooksResume {
  readonly #service: PeriodicService

  constructor (opts: PostHooksResumeOptions) {
    this.#service = new PeriodicService({
      name: 'post-hooks-resume',
      intervalMs: opts.intervalMs ?? POST_HOOKS_RESUME_MS,
      runAtStart: true,
      failures: opts.failures ?? new ServiceFailures(),
      log: opts.log,
      run: () => {
        for (const plugin of opts.plugins.view().afterPost) opts.resume(plugin)
      }
    })
  }

  start (): void { this.#service.start() }

  /** Runs once now (joined if running); resolves when it ended. */
  async trigger (): Promise<void> { await this.#service.trigger() }

  async stop (): Promise<void> { await this.#service.stop() }
}
