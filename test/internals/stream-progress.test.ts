import t from 'tap'
import { StreamProgress, compareIds } from '../../lib/cluster/stream-progress.js'

t.test('stream ids compare by time, then sequence, as numbers', async (t) => {
  t.ok(compareIds('1-0', '1-1') < 0)
  t.ok(compareIds('2-0', '10-0') < 0, 'by number, not by text')
  t.ok(compareIds('10-0', '9-99') > 0)
  t.ok(compareIds('5-10', '5-9') > 0)
  t.equal(compareIds('7-7', '7-7'), 0)
})

t.test('reached() resolves once the reader read that far, or at its bound', async (t) => {
  const progress = new StreamProgress()
  let done = false
  const waiting = progress.reached('5-0', 60_000).then(() => { done = true })
  progress.seen('4-9')
  await Promise.resolve()
  t.notOk(done, 'not before')
  progress.seen('6-0')
  await waiting
  t.ok(done, 'once past it')
  progress.seen('1-0')
  await progress.reached('5-5', 60_000)
  t.pass('what was read stays read (an older id seen later changes nothing)')
  await progress.reached('99-0', 1)
  t.pass('an id never read: applied at the bound')
})

t.test('position: undefined until the reader starts, then the furthest entry handed over', async (t) => {
  const progress = new StreamProgress()
  t.equal(progress.position, undefined)
  const started = progress.reached('0-0', 60_000)
  progress.seen('3-1')
  await started
  progress.seen('2-0')
  t.equal(progress.position, '3-1')
})
