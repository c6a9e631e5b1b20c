// A recovered socket's replay ends where this node's stream reader is: extended by the entries the reader
// handed to the rooms before the socket joined them, trimmed of those it will still hand over live; across
// a reader that moves while the extension is read; refused while the reader has not started. (The zero-loss
// test runs the same against a real Redis, where the two meet by timing.)
import t from 'tap'
import { alignReplay, reaches, type StreamEntry } from '../../lib/cluster/session-replay.js'
import { compareIds } from '../../lib/cluster/stream-progress.js'

// a stream of broadcasts: entry `1-n` carries event 'seq' with n, to room 'feed' unless said otherwise
function entry (n: number, rooms: string[] = ['feed'], except: string[] = []): StreamEntry {
  return { id: `1-${n}`, message: { nsp: '/', type: '3', data: JSON.stringify({ packet: { data: ['seq', n] }, opts: { rooms, except } }) } }
}
function deps (stream: StreamEntry[], reader: () => string | undefined, onRange?: () => void): Parameters<typeof alignReplay>[2] {
  return {
    range: async (start, end) => {
      onRange?.()
      return stream.filter((e) => compareIds(e.id, start) > 0 && compareIds(e.id, end) <= 0)
    },
    readTo: reader,
    broadcastOf: (e) => {
      if (e.message.type !== '3') return undefined
      const { packet, opts } = JSON.parse(e.message.data as string) as { packet: { data: unknown[] }, opts: { rooms: string[], except: string[] } }
      return { data: packet.data, rooms: opts.rooms, except: opts.except }
    }
  }
}
const missed = (...ns: number[]): unknown[][] => ns.map((n) => ['seq', n, `1-${n}`])

t.test('the reader ahead: what it handed over past the replay is replayed too, for the rooms of the session only', async (t) => {
  const stream = [entry(1), entry(2), entry(3, ['other']), entry(4), { id: '1-5', message: { nsp: '/', type: '9' } }]
  const session = { rooms: ['feed'], missedPackets: missed(1, 2) }
  await alignReplay(session, '1-0', deps(stream, () => '1-5'))
  t.same(session.missedPackets, missed(1, 2, 4))
})

t.test('the reader behind: what it has yet to hand over leaves the replay (it arrives live)', async (t) => {
  const session = { rooms: ['feed'], missedPackets: missed(1, 2, 3, 4) }
  await alignReplay(session, '1-0', deps([], () => '1-2', () => { t.fail('nothing to read') }))
  t.same(session.missedPackets, missed(1, 2))
})

t.test('the reader where the replay ends, or nothing missed and the reader at the offset: unchanged', async (t) => {
  const at = { rooms: ['feed'], missedPackets: missed(1, 2) }
  await alignReplay(at, '1-0', deps([], () => '1-2', () => { t.fail('nothing to read') }))
  t.same(at.missedPackets, missed(1, 2))
  const none = { rooms: ['feed'], missedPackets: [] as unknown[][] }
  await alignReplay(none, '1-7', deps([], () => '1-7', () => { t.fail('nothing to read') }))
  t.same(none.missedPackets, [])
})

t.test('the reader moving on while the extension is read: read again, up to where it is then', async (t) => {
  const stream = [entry(1), entry(2), entry(3), entry(4)]
  let reader = '1-2'
  let reads = 0
  const session = { rooms: ['feed'], missedPackets: [] as unknown[][] }
  await alignReplay(session, '1-0', deps(stream, () => reader, () => { reads++; if (reads === 1) reader = '1-4' }))
  t.equal(reads, 2)
  t.same(session.missedPackets, missed(1, 2, 3, 4), 'every entry once, in order')
})

t.test('a reader that has not started: the session is refused, not recovered with a gap', async (t) => {
  await t.rejects(alignReplay({ rooms: ['feed'], missedPackets: [] }, '1-0', deps([], () => undefined)), /not started/)
})

t.test('reaches: rooms (none: everyone) and except, as restoreSession applies them', async (t) => {
  t.equal(reaches(['a', 'b'], [], []), true)
  t.equal(reaches(['a'], ['b', 'a'], []), true)
  t.equal(reaches(['a'], ['b'], []), false)
  t.equal(reaches(['a', 'b'], ['a'], ['b']), false)
})
