/**
 * Mocha root hook (`.mocharc.json` require): after the whole suite, names what still keeps the
 * process alive (sockets, child processes, timers a test left behind). The run exits anyway
 * (`exit: true`): a leak must never hang CI, but it should be seen and fixed.
 */
const EXPECTED = new Set(['TTYWrap', 'PipeWrap', 'Timeout', 'Immediate'])

export const mochaHooks = {
  afterAll (): void {
    const left = process.getActiveResourcesInfo().filter((r) => !EXPECTED.has(r))
    if (left.length === 0) return
    const counts = new Map<string, number>()
    for (const r of left) counts.set(r, (counts.get(r) ?? 0) + 1)
    console.log(`\n  left running after the suite: ${[...counts].map(([r, n]) => `${n} ${r}`).join(', ')} (a test did not close what it opened)`)
  }
}
