// S08 (message and body sizes), S09 (flood per socket: maxInFlight), S11 (rooms per socket, room names),
// and the validation of the limit options.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { resolveOptions } from '../../lib/options.js'
import { buildApp, connect, request, nextEvent, delay, type Teardown, waitFor } from '../helpers/app.js'

t.test('limit options: documented defaults, invalid values refused with a coded error', async (t) => {
  const opts = resolveOptions(undefined, {})
  t.match(opts, { maxMessageSize: 100_000, maxInFlight: 64, maxRoomsPerSocket: 100, maxRoomNameLength: 128 })
  t.same(opts.reservedRoomPrefixes, [])
  const bad: unknown[] = [
    { maxMessageSize: 0 }, { maxMessageSize: 1.5 }, { maxMessageSize: '1mb' }, { maxInFlight: -1 }, { maxInFlight: 0 },
    { maxRoomsPerSocket: 0 }, { maxRoomNameLength: 257 }, { maxRoomNameLength: 0 }, { reservedRoomPrefixes: 'x' },
    { reservedRoomPrefixes: [''] }, { reservedRoomPrefixes: [1] }, { onConnection: 'yes' }, { onDisconnect: {} },
    { socketio: { maxHttpBufferSize: 10 } }
  ]
  for (const o of bad) t.throws(() => resolveOptions(o, {}), { code: 'FST_SOCKETS_OPTIONS_INVALID' }, JSON.stringify(o))
  const app = await buildApp(t, { maxMessageSize: 12_345 })
  t.equal(app.sockets.io.engine.opts.maxHttpBufferSize, 12_345, 'maxMessageSize is socket.io maxHttpBufferSize')
  const defaults = await buildApp(t)
  t.equal(defaults.sockets.io.engine.opts.maxHttpBufferSize, 100_000, 'an explicit default, below Fastify bodyLimit')
  t.ok((defaults.initialConfig.bodyLimit ?? 0) >= 100_000)
})

// The websocket frame of the first acked emit of a socket: '4' (message) '2' (event) '0' (ack id) + JSON.
function frameBytes (envelope: unknown): number {
  return Buffer.byteLength('420' + JSON.stringify(['post', envelope]))
}

function envelopeOfSize (bytes: number): unknown {
  const envelope = { method: 'post', url: '/echo', headers: {}, data: { pad: '' } }
  envelope.data.pad = 'x'.repeat(bytes - frameBytes(envelope))
  return envelope
}

t.test('S08: a message of maxMessageSize passes, one byte more closes the connection; bodies past bodyLimit get 413', async (t) => {
  const max = 2000
  const app = await buildApp(t, { maxMessageSize: max }, (app) => {
    app.post('/echo', async (request) => ({ length: JSON.stringify(request.body).length }))
  }, { bodyLimit: 1500 })
  const reasons: string[] = []
  app.sockets.io.on('connection', (socket) => socket.on('disconnect', (reason) => reasons.push(reason)))

  const fits = await connect(t, app)
  const atLimit = envelopeOfSize(max)
  t.equal(frameBytes(atLimit), max)
  const jwr = await request(fits, 'post', '/echo', (atLimit as { data: unknown }).data)
  t.equal(jwr.statusCode, 413, 'exactly maxMessageSize arrives; its body is past bodyLimit, so Fastify answers 413')
  t.match(jwr.body, { code: 'FST_ERR_CTP_BODY_TOO_LARGE' })
  t.equal((await request(fits, 'post', '/echo', { pad: 'x'.repeat(1000) })).statusCode, 200, 'a body within bodyLimit passes')

  const over = await connect(t, app)
  const closed = nextEvent<string>(over, 'disconnect', 5000)
  over.emit('post', envelopeOfSize(max + 1), () => t.fail('no ack for an oversize message'))
  t.equal(await closed, 'transport close', 'the client is cut off')
  await waitFor(() => reasons.length > 0, 'the disconnect reason')
  t.same(reasons, ['transport error'], 'the server drops it as a transport error')

  const polling = await connect(t, app, { transports: ['polling'] })
  const pollingClosed = nextEvent<string>(polling, 'disconnect', 5000)
  polling.emit('post', envelopeOfSize(max * 3), () => t.fail('no ack for an oversize message'))
  t.ok(await pollingClosed, 'polling: an oversize body (413 from Engine.IO) ends the connection too')

  t.same((await request(fits, 'post', '/echo', { ok: 1 })).body, { length: 8 }, 'other sockets are unaffected')
})

t.test('S09: a flooding socket gets 429s past maxInFlight; another socket never does', async (t) => {
  const MAX = 8
  const FLOOD = 10_000
  let running = new Map<string, number>()
  let peak = 0
  const app = await buildApp(t, { maxInFlight: MAX }, (app) => {
    app.get('/work', async (request) => {
      const id = app.sockets.getId(request) as string
      const now = (running.get(id) ?? 0) + 1
      running.set(id, now)
      if (id === flooderId) peak = Math.max(peak, now)
      await delay(2)
      running.set(id, (running.get(id) ?? 1) - 1)
      return { ok: true }
    })
  })
  const flooder = await connect(t, app)
  const calm = await connect(t, app)
  const flooderId = [...app.sockets.io.of('/').sockets.keys()][0] as string
  const statuses = new Map<number, number>()
  let acked = 0
  const done = new Promise<void>((resolve) => {
    for (let i = 0; i < FLOOD; i++) {
      flooder.emit('get', { method: 'get', url: '/work' }, (jwr: { statusCode: number, body: { code?: string } }) => {
        statuses.set(jwr.statusCode, (statuses.get(jwr.statusCode) ?? 0) + 1)
        if (jwr.statusCode === 429 && jwr.body.code !== 'FST_SOCKETS_TOO_MANY_REQUESTS') t.fail('429 without the code')
        if (++acked === FLOOD) resolve()
      })
    }
  })
  const calmStatuses: number[] = []
  // eslint-disable-next-line no-unmodified-loop-condition -- acked grows in the flood's ack callbacks
  while (acked < FLOOD) {
    calmStatuses.push((await request(calm, 'get', '/work', undefined, undefined, 30_000)).statusCode)
    await Promise.race([done, delay(20)])
  }
  await done
  t.equal(acked, FLOOD, 'every flood packet got exactly one ack')
  t.ok((statuses.get(429) ?? 0) > 0, `the flooder got 429s (${statuses.get(429)}) and 200s (${statuses.get(200)})`)
  t.equal((statuses.get(200) ?? 0) + (statuses.get(429) ?? 0), FLOOD, 'nothing but 200 and 429')
  t.ok(peak <= MAX, `the flooder never had more than maxInFlight handlers running (peak ${peak})`)
  t.ok(calmStatuses.length > 0 && calmStatuses.every((s) => s === 200), `the other socket never saw a 429 (${calmStatuses.length} requests)`)
  t.equal(app.sockets.stats().inFlight, 0)
  running = new Map()
})

async function roomApp (t: Teardown, opts = {}): Promise<FastifyInstance> {
  return await buildApp(t, opts, (app) => {
    // A route that joins a room the client names: exactly what the room caps are for.
    app.post<{ Body: { room: string } }>('/join', async (request) => {
      await app.sockets.join(request, request.body.room)
      return { rooms: (await app.sockets.rooms(request)).length }
    })
  })
}

t.test('S11: rooms per socket are capped; the adapter stays bounded', async (t) => {
  const app = await roomApp(t, { maxRoomsPerSocket: 50, maxInFlight: 64 })
  const socket = await connect(t, app)
  const statuses = new Map<number, number>()
  const codes = new Set<unknown>()
  const ATTEMPTS = 2000
  for (let i = 0; i < ATTEMPTS; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => request(socket, 'post', '/join', { room: `r:${i + j}` })))
    for (const jwr of batch) {
      statuses.set(jwr.statusCode, (statuses.get(jwr.statusCode) ?? 0) + 1)
      if (jwr.statusCode !== 200) codes.add((jwr.body as { code?: string }).code)
    }
  }
  t.equal(statuses.get(200), 50, 'the first 50 joins pass')
  t.equal(statuses.get(400), ATTEMPTS - 50, 'every other join is refused')
  t.same([...codes], ['FST_SOCKETS_ROOM_LIMIT'], 'with FST_SOCKETS_ROOM_LIMIT')
  t.equal(app.sockets.stats().rooms, 50, 'the adapter holds 50 rooms, not 2000')
  t.equal((await request(socket, 'post', '/join', { room: 'r:7' })).statusCode, 200, 'rejoining a room it is in costs nothing')
  const other = await connect(t, app)
  t.equal((await request(other, 'post', '/join', { room: 'r:new' })).statusCode, 200, 'the cap is per socket')
})

t.test('S11: room names: length, control characters, unicode', async (t) => {
  const app = await roomApp(t, { maxRoomNameLength: 64 })
  const socket = await connect(t, app)
  const join = async (room: unknown): Promise<{ statusCode: number, body: unknown }> => await request(socket, 'post', '/join', { room })
  t.equal((await join('x'.repeat(64))).statusCode, 200, 'maxRoomNameLength passes')
  t.match(await join('x'.repeat(65)), { statusCode: 400, body: { code: 'FST_SOCKETS_ROOM_NAME' } }, 'one more is refused')
  t.match(await join('x'.repeat(10_000)), { statusCode: 400, body: { code: 'FST_SOCKETS_ROOM_NAME' } }, '10 kB: a 400 too, however long')
  for (const bad of ['a\nb', 'a\u0000b', 'a\u007fb', 'tab\there', '\u0085']) {
    t.match(await join(bad), { statusCode: 400, body: { code: 'FST_SOCKETS_ROOM_NAME' } }, `control character in ${JSON.stringify(bad)}`)
  }
  t.equal((await join('chat:héllo-🙂')).statusCode, 200, 'unicode names are fine')
  t.match(await join(42), { statusCode: 500, body: { code: 'FST_SOCKETS_INVALID_ROOM' } }, 'a non-string is a programming error')
  t.same(await app.sockets.rooms(app.sockets.io.of('/').sockets.keys().next().value as string), ['x'.repeat(64), 'chat:héllo-🙂'])
})

t.test('a join refused by maxRoomsPerSocket leaves no target half-joined', async (t) => {
  const app = await buildApp(t, { maxRoomsPerSocket: 1 }, (app) => {
    app.post<{ Body: { other: string, room: string } }>('/join-with', async (request) => {
      await app.sockets.join([request.body.other, request], request.body.room)
      return {}
    })
  })
  const [a, b] = [await connect(t, app), await connect(t, app)]
  const ids = [...app.sockets.io.of('/').sockets.keys()]
  const idA = ids[0] as string
  const idB = ids[1] as string
  t.equal((await request(a, 'post', '/join-with', { other: idB, room: 'first' })).statusCode, 200)
  const refused = await request(a, 'post', '/join-with', { other: idB, room: 'second' })
  t.match(refused, { statusCode: 400, body: { code: 'FST_SOCKETS_ROOM_LIMIT' } }, 'the requesting socket is at its cap')
  t.same(await app.sockets.members('second'), [], 'and the other target did not join either')
  t.same((await app.sockets.rooms(idA)), ['first'])
  void b
})
