// Unit tests of the cluster bus message parser (lib/cluster/messages.ts): Redis is a trust boundary, so every
// shape of the bus is accepted exactly, and anything else is refused (undefined), never thrown.
import t from 'tap'
import { parseMessage, type BusMessage } from '../../lib/cluster/messages.js'
import { LIMITS } from '../../lib/common/limits.js'

const FROM = { node: 'node-a.1:x_y', instance: '0123456789ab' }
const wire = (message: Record<string, unknown>): string => JSON.stringify({ ...FROM, ...message })

t.test('every message of the bus is accepted, exactly', async (t) => {
  const accepted: Array<[string, Record<string, unknown>, BusMessage]> = [
    ['heartbeat', { type: 'heartbeat' }, { ...FROM, type: 'heartbeat' }],
    ['hello', { type: 'hello' }, { ...FROM, type: 'hello' }],
    ['bye', { type: 'bye' }, { ...FROM, type: 'bye' }],
    ['ack', { type: 'ack', id: '1z' }, { ...FROM, type: 'ack', id: '1z' }],
    ['query members', { type: 'query', id: '2', query: 'members', arg: 'room' }, { ...FROM, type: 'query', id: '2', query: 'members', arg: 'room' }],
    ['query rooms', { type: 'query', id: '3', query: 'rooms', arg: 'sid' }, { ...FROM, type: 'query', id: '3', query: 'rooms', arg: 'sid' }],
    ['result list', { type: 'result', id: '4', value: ['a', 'b'] }, { ...FROM, type: 'result', id: '4', value: ['a', 'b'] }],
    ['result empty list', { type: 'result', id: '4', value: [] }, { ...FROM, type: 'result', id: '4', value: [] }],
    ['result null', { type: 'result', id: '5', value: null }, { ...FROM, type: 'result', id: '5', value: null }]
  ]
  for (const op of ['join', 'leave', 'leaveAll', 'disconnect'] as const) {
    const change = { op, sources: ['s1', 's2'], rooms: op === 'join' || op === 'leave' ? ['r1'] : [] }
    accepted.push([`op ${op}`, { type: 'op', id: 'a', op: change }, { ...FROM, type: 'op', id: 'a', op: change }])
  }
  for (const [name, message, expected] of accepted) t.same(parseMessage(wire(message)), expected, name)

  const extra = parseMessage(wire({ type: 'op', id: '1', op: { op: 'join', sources: ['s'], rooms: ['r'], evil: 1 }, evil: 2 }))
  t.same(extra, { ...FROM, type: 'op', id: '1', op: { op: 'join', sources: ['s'], rooms: ['r'] } }, 'fields of no shape are not carried')
  const change = { op: 'join', sources: ['s'], rooms: ['r'] }
  t.same(parseMessage(wire({ type: 'op', id: '1', op: change, after: '1700000000000-3' })), { ...FROM, type: 'op', id: '1', op: change, after: '1700000000000-3' },
    'an op carries the stream id its sender had written (streams)')
  for (const after of ['', '1-', '-1', 'x-1', 7, null, '1-2-3', '1'.repeat(21) + '-0']) {
    t.equal(parseMessage(wire({ type: 'op', id: '1', op: change, after })), undefined, `after ${JSON.stringify(after)} is refused`)
  }
  const polluting = parseMessage(`{"__proto__":{"polluted":1},${wire({ type: 'ack', id: '1' }).slice(1)}`)
  t.same(Object.keys(polluting ?? {}).sort(), ['id', 'instance', 'node', 'type'], 'a __proto__ key is not carried')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'and pollutes nothing')
  t.ok(parseMessage(wire({ type: 'ack', id: 'x'.repeat(16) })), 'an id of 16 characters')
  t.ok(parseMessage(JSON.stringify({ node: 'n'.repeat(64), instance: '', type: 'bye' })), 'a node name of 64 characters, an empty instance')
  t.ok(parseMessage(wire({ type: 'op', id: '1', op: { op: 'join', sources: ['s'.repeat(LIMITS.clusterItem)], rooms: Array.from({ length: LIMITS.clusterList }, (_, i) => `r${i}`) } })),
    'items and lists at their limits')
})

t.test('anything else is refused', async (t) => {
  const op = (change: unknown): string => wire({ type: 'op', id: '1', op: change })
  const refused: Array<[string, string]> = [
    ['not JSON', '{'],
    ['empty', ''],
    ['null', 'null'],
    ['a number', '7'],
    ['a string', '"heartbeat"'],
    ['an array', JSON.stringify([{ ...FROM, type: 'bye' }])],
    ['no node', JSON.stringify({ instance: 'i', type: 'bye' })],
    ['a node that is not a name', JSON.stringify({ node: 'bad name!', instance: 'i', type: 'bye' })],
    ['an empty node', JSON.stringify({ node: '', instance: 'i', type: 'bye' })],
    ['a node past 64', JSON.stringify({ node: 'n'.repeat(65), instance: 'i', type: 'bye' })],
    ['a node that is a number', JSON.stringify({ node: 7, instance: 'i', type: 'bye' })],
    ['no instance', JSON.stringify({ node: 'n', type: 'bye' })],
    ['an instance that is a number', JSON.stringify({ node: 'n', instance: 1, type: 'bye' })],
    ['an instance past 32', JSON.stringify({ node: 'n', instance: 'i'.repeat(33), type: 'bye' })],
    ['no type', wire({})],
    ['an unknown type', wire({ type: 'explode' })],
    ['the short field names of old', JSON.stringify({ t: 'hb', n: 'node', i: 'x' })],
    ['ack without id', wire({ type: 'ack' })],
    ['ack with an empty id', wire({ type: 'ack', id: '' })],
    ['ack with an id past 16', wire({ type: 'ack', id: 'x'.repeat(17) })],
    ['ack with a number id', wire({ type: 'ack', id: 1 })],
    ['op without id', wire({ type: 'op', op: { op: 'join', sources: [], rooms: [] } })],
    ['op null', op(null)],
    ['op a string', op('join')],
    ['op of an unknown kind', op({ op: 'explode', sources: [], rooms: [] })],
    ['op of an inherited name', op({ op: 'toString', sources: [], rooms: [] })],
    ['sources not a list', op({ op: 'join', sources: 'all', rooms: [] })],
    ['sources missing', op({ op: 'join', rooms: [] })],
    ['rooms missing', op({ op: 'join', sources: [] })],
    ['a source that is a number', op({ op: 'join', sources: [1], rooms: [] })],
    ['an empty source', op({ op: 'join', sources: [''], rooms: [] })],
    ['a room past the item limit', op({ op: 'join', sources: ['s'], rooms: ['r'.repeat(LIMITS.clusterItem + 1)] })],
    ['a list past its limit', op({ op: 'join', sources: Array.from({ length: LIMITS.clusterList + 1 }, () => 's'), rooms: [] })],
    ['a nested list', op({ op: 'join', sources: [['s']], rooms: [] })],
    ['query of an unknown kind', wire({ type: 'query', id: '1', query: 'everything', arg: 'r' })],
    ['query without arg', wire({ type: 'query', id: '1', query: 'members' })],
    ['query with an empty arg', wire({ type: 'query', id: '1', query: 'members', arg: '' })],
    ['query with an object arg', wire({ type: 'query', id: '1', query: 'members', arg: { __proto__: { polluted: 1 } } })],
    ['query with an arg past the limit', wire({ type: 'query', id: '1', query: 'rooms', arg: 'a'.repeat(LIMITS.clusterItem + 1) })],
    ['query without id', wire({ type: 'query', query: 'members', arg: 'r' })],
    ['result without id', wire({ type: 'result', value: [] })],
    ['result that is a number list', wire({ type: 'result', id: '1', value: [1, 2] })],
    ['result that is a string', wire({ type: 'result', id: '1', value: 'a' })],
    ['result without value', wire({ type: 'result', id: '1' })]
  ]
  for (const [name, raw] of refused) t.equal(parseMessage(raw), undefined, name)
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')
})
