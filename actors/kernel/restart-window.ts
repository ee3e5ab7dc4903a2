import type { Strategy } from './behavior.ts'

/**
 * The restarts a supervisor counts against its intensity: times in ms, oldest first. Returns the
 * window with a restart at `now` added and those older than `periodMs` dropped; its length is the
 * number of restarts within the period (OTP: more than `intensity` and the supervisor gives up).
 */
export function withRestart (window: readonly number[], now: number, periodMs: number): number[] {
  const kept = window.filter((t) => now - t <= periodMs)
  kept.push(now)
  return kept
}

/**
 * The children that restart when `child` fails (OTP strategies): itself alone (one-for-one), all
 * of them (one-for-all), or itself and those started after it (rest-for-one). `children` is in
 * start order.
 */
export function restartGroup<C> (strategy: Strategy, children: readonly C[], child: C): C[] {
  switch (strategy) {
    case 'one-for-one': return [child]
    case 'one-for-all': return [...children]
    case 'rest-for-one': return children.slice(children.indexOf(child))
  }
}
