// An emitter whose listener table was compacted behaves as before: the same listeners, in the same order,
// called with the same arguments; names added, removed and removed all; symbol names; `eventNames()`.
import { EventEmitter } from 'node:events'
import t from 'tap'
import { compactListenerTable } from '../../lib/common/listener-table.js'

t.test('listeners there before are kept, in order, and keep working', async (t) => {
  const e = new EventEmitter()
  const calls: string[] = []
  const sym = Symbol('s')
  e.on('a', (x: number) => calls.push(`a1:${x}`))
  e.on('a', (x: number) => calls.push(`a2:${x}`))
  e.once('b', () => calls.push('b'))
  e.on(sym, () => calls.push('sym'))
  const names = e.eventNames()
  compactListenerTable(e)
  t.same(e.eventNames(), names, 'the same names, in the same order')
  t.equal(e.listenerCount('a'), 2)
  e.emit('a', 1); e.emit('b'); e.emit('b'); e.emit(sym)
  t.same(calls, ['a1:1', 'a2:1', 'b', 'sym'], 'once listeners still fire once')
  t.equal(e.listenerCount('b'), 0)
})

t.test('names added, removed and cleared after the move', async (t) => {
  const e = new EventEmitter()
  const f = (): void => {}
  e.on('x', f)
  compactListenerTable(e)
  const g = (): void => {}
  e.on('y', g)
  t.same(e.eventNames(), ['x', 'y'])
  e.off('x', f)
  t.same(e.eventNames(), ['y'], 'a removed name is gone')
  t.equal(e.emit('x'), false)
  t.equal(e.emit('y'), true)
  e.removeAllListeners()
  t.same(e.eventNames(), [])
  t.equal(e.emit('y'), false)
  // names of Object.prototype are not inherited listeners
  t.equal(e.emit('toString'), false)
  t.equal(e.emit('constructor'), false)
  t.equal(e.listenerCount('hasOwnProperty'), 0)
})

t.test('an error without a listener still throws, one with a listener does not', async (t) => {
  const e = new EventEmitter()
  compactListenerTable(e)
  t.throws(() => e.emit('error', new Error('boom')), /boom/)
  const seen: unknown[] = []
  e.on('error', (err) => seen.push(err))
  e.emit('error', new Error('caught'))
  t.equal(seen.length, 1)
})

t.test('an object without the table is left alone', async (t) => {
  const plain = { on: () => {} }
  compactListenerTable(plain)
  t.same(Object.keys(plain), ['on'])
  const odd = { _events: 42 }
  compactListenerTable(odd)
  t.equal(odd._events, 42)
})
