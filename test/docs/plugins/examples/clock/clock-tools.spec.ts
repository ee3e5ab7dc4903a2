import { expect } from 'chai'
import { CLOCK_TOOLS, MAX_DAYS, addDays, now } from '../../../../../docs/plugins/examples/clock/clock-tools.ts'

describe('clock tools (docs/plugins/examples/clock)', () => {
  const at = new Date('2025-06-01T12:34:56.789Z')

  it('should give the time in UTC when no time zone is asked (left out or null)', () => {
    expect(now({ timeZone: null }, at)).to.deep.equal(now({}, at))
    expect(now({}, at)).to.deep.equal({
      text: '2025-06-01 12:34:56 +00:00 (Sunday) in UTC; 2025-06-01T12:34:56.789Z in UTC',
      structured: { utc: '2025-06-01T12:34:56.789Z', timeZone: 'UTC', local: '2025-06-01 12:34:56', offset: '+00:00', weekday: 'Sunday' }
    })
  })

  it('should give the local time, offset and weekday of an IANA time zone, across the date line and in summer time', () => {
    expect(now({ timeZone: 'Europe/Paris' }, at).structured).to.include({ local: '2025-06-01 14:34:56', offset: '+02:00', weekday: 'Sunday', timeZone: 'Europe/Paris' })
    expect(now({ timeZone: 'Pacific/Kiritimati' }, at).structured).to.include({ local: '2025-06-02 02:34:56', offset: '+14:00', weekday: 'Monday' })
    expect(now({ timeZone: 'America/St_Johns' }, new Date('2025-01-15T12:00:00Z')).structured).to.include({ local: '2025-01-15 08:30:00', offset: '-03:30' })
    // the name as asked, cased as ICU has it: ICU calls Asia/Kolkata by its older name
    expect(now({ timeZone: 'Asia/Kolkata' }, at).structured).to.include({ timeZone: 'Asia/Kolkata', offset: '+05:30' })
    expect(now({ timeZone: 'europe/paris' }, at).structured).to.include({ timeZone: 'Europe/Paris' })
  })

  it('should answer an error the model can read for a time zone that is not one, changing nothing', () => {
    for (const timeZone of ['Mars/Olympus_Mons', '', 42, 'x'.repeat(65), ['UTC']]) {
      const answer = now({ timeZone }, at)
      expect(answer.isError, String(timeZone)).to.equal(true)
      expect(answer.text).to.match(/^timeZone: /)
      expect(answer.structured).to.equal(undefined)
    }
  })

  it('should move a date by whole days, over leap days, month and year ends, backwards too', () => {
    expect(addDays({ date: '2024-02-28', days: 1 })).to.deep.equal({ text: '2024-02-29 (Thursday)', structured: { date: '2024-02-29', weekday: 'Thursday' } })
    expect(addDays({ date: '2023-02-28', days: 1 }).structured).to.deep.equal({ date: '2023-03-01', weekday: 'Wednesday' })
    expect(addDays({ date: '2025-12-31', days: 1 }).structured?.date).to.equal('2026-01-01')
    expect(addDays({ date: '2025-03-01', days: -1 }).structured?.date).to.equal('2025-02-28')
    expect(addDays({ date: '2025-06-01', days: 0 }).structured?.date).to.equal('2025-06-01')
    expect(addDays({ date: '0001-01-01', days: -1 }).structured?.date).to.equal('0000-12-31')
    expect(addDays({ date: '2000-01-01', days: MAX_DAYS }).structured?.date).to.equal('4737-11-28')
  })

  it('should refuse a date that is not one, days that are not whole or too many, and an answer past year 9999', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ date: '2025-02-30', days: 1 }, /^date: 2025-02-30 is not a day of the calendar$/],
      [{ date: '2025-13-01', days: 1 }, /^date: /],
      [{ date: '25-01-01', days: 1 }, /^date: expected a date written YYYY-MM-DD/],
      [{ days: 1 }, /^date: /],
      [{ date: '2025-01-01', days: 1.5 }, /^days: expected a whole number/],
      [{ date: '2025-01-01', days: '3' }, /^days: /],
      [{ date: '2025-01-01' }, /^days: /],
      [{ date: '2025-01-01', days: MAX_DAYS + 1 }, /^days: /],
      [{ date: '9999-12-31', days: 1 }, /year 10000/],
      [{ date: '0000-01-01', days: -1 }, /year -1/]
    ]
    for (const [args, error] of cases) {
      const answer = addDays(args)
      expect(answer.isError, JSON.stringify(args)).to.equal(true)
      expect(answer.text, JSON.stringify(args)).to.match(error)
    }
  })

  it('should offer both tools with schemas a grammar can hold a model to', () => {
    expect(CLOCK_TOOLS.map((t) => t.name)).to.deep.equal(['now', 'add_days'])
    // keywords the grammar cannot enforce (docs/models.md) would make a forced call refused
    const unsupported = /"(pattern|minimum|maximum|multipleOf|oneOf|not|if|uniqueItems|minProperties)"/
    for (const t of CLOCK_TOOLS) expect(JSON.stringify(t.inputSchema), t.name).to.not.match(unsupported)
    const addDaysTool = CLOCK_TOOLS[1]
    expect(addDaysTool?.run({ date: '2024-02-28', days: 1 })).to.deep.equal(addDays({ date: '2024-02-28', days: 1 }))
  })
})
