// S04: a client-chosen room name cannot put a socket into another socket's id room or a reserved room.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { createRequire } from 'node:module'
import { buildApp, connect, request, collect, urlOf, type Teardown, waitFor } from '../helpers/app.js'
import type { FastifySocketsOptions } from '../../lib/index.js'

// socket.io-client 2 (what sails.io.js bundles) ships no types; the little used here.
interface LegacySocket { once (event: string, fn: (arg?: unknown) => void): void, close (): void }
const ioV2 = createRequire(import.meta.url)('socket.io-client-v2') as (url: string, opts: object) => LegacySocket

// The kind of route the threat is about: it joins whatever room the client names.
async function app (t: Teardown, opts: FastifySocketsOptions = {}): Promise<FastifyInstance> {
  return await buildApp(t, opts, (app) => {
    app.post<{ Body: { room: string } }>('/join', async (request) => {
      await app.sockets.join(request, request.body.room)
      return { joined: request.body.room }
    })
    app.post<{ Body: { from: string, to: string } }>('/merge', async (request) => {
      await app.sockets.addRoomMembersToRooms(request.body.from, request.body.to)
      return {}
    })
  })
}

function idOf (app: FastifyInstance, index: number): string {
  return [...app.sockets.io.of('/').sockets.keys()][index] as string
}

t.test("S04: B cannot join A's socket id room; A's private emits never reach B", async (t) => {
  const server = await app(t)
  const a = await connect(t, server)
  const b = await connect(t, server)
  const idA = idOf(server, 0)
  const heardByA = collect(a, 'private')
  const heardByB = collect(b, 'private')

  const jwr = await request(b, 'post', '/join', { room: idA })
  t.equal(jwr.statusCode, 403)
  t.match(jwr.body, { code: 'FST_SOCKETS_ROOM_RESERVED' })
  t.equal((await request(b, 'post', '/join', { room: idOf(server, 1) })).statusCode, 403, 'its own id room is reserved too')
  t.equal((await request(b, 'post', '/merge', { from: idOf(server, 1), to: idA })).statusCode, 403, 'addRoomMembersToRooms is guarded the same way')
  // A socket id held by another node is not known here: anything shaped like one is refused.
  t.equal((await request(b, 'post', '/join', { room: 'Zm9vYmFyYmF6cXV4MTIz' })).statusCode, 403, 'a socket-id-shaped name')

  server.sockets.emit(idA, 'private', { secret: 1 })
  server.sockets.broadcast(idA, 'private', { secret: 2 })
  await waitFor(() => heardByA.length >= 2, 'A to hear both messages')
  await request(b, 'post', '/join', { room: 'sync' }) // a round trip on B: anything sent to B before it has arrived
  t.same(heardByA, [{ secret: 1 }, { secret: 2 }])
  t.same(heardByB, [], 'B heard nothing')
  t.same(await server.sockets.members(idA), [idA], "A's room holds A alone")
})

t.test('S04: reserved prefixes (resource rooms by default) need the server to opt in', async (t) => {
  const server = await app(t, { reservedRoomPrefixes: ['user:'] })
  const b = await connect(t, server)
  const idB = idOf(server, 0)
  for (const room of ['sails_model_user_1:user', 'sails_model_create_user', 'user:42']) {
    t.match(await request(b, 'post', '/join', { room }), { statusCode: 403, body: { code: 'FST_SOCKETS_ROOM_RESERVED' } }, room)
  }
  t.equal((await request(b, 'post', '/join', { room: 'users:42' })).statusCode, 200, 'a name that only looks alike passes')
  t.same(await server.sockets.rooms(idB), ['users:42'])

  // The server choosing: an explicit per-call opt-in.
  await server.sockets.join(idB, 'user:42', { allowReserved: true })
  await server.sockets.addRoomMembersToRooms('users:42', 'sails_model_user_1:user', { allowReserved: true })
  t.same((await server.sockets.rooms(idB)).sort(), ['sails_model_user_1:user', 'user:42', 'users:42'])
  await t.rejects(server.sockets.join(idB, 'user:43'), { code: 'FST_SOCKETS_ROOM_RESERVED' }, 'without it, the server is refused too')
  // join by socket id (the Sails form) keeps working for ordinary rooms
  await server.sockets.join(idB, 'lobby')
  t.ok((await server.sockets.rooms(idB)).includes('lobby'))
})

t.test('S04: resource rooms stay reserved when reservedRoomPrefixes is replaced, or left at its default', async (t) => {
  for (const opts of [{}, { reservedRoomPrefixes: ['admin:'] }, { reservedRoomPrefixes: [] }]) {
    const server = await app(t, opts)
    const b = await connect(t, server)
    t.match(await request(b, 'post', '/join', { room: 'sails_model_user_42:user' }),
      { statusCode: 403, body: { code: 'FST_SOCKETS_ROOM_RESERVED' } }, JSON.stringify(opts))
  }
})

t.test('S04: the server can still join a socket to another socket id room when it says so', async (t) => {
  const server = await app(t)
  const a = await connect(t, server)
  const b = await connect(t, server)
  const [idA, idB] = [idOf(server, 0), idOf(server, 1)]
  const heardByB = collect(b, 'private')
  await server.sockets.join(idB, idA, { allowReserved: true })
  server.sockets.emit(idA, 'private', { mirrored: true })
  await waitFor(() => heardByB.length > 0, 'B to hear the message')
  t.same(heardByB, [{ mirrored: true }])
  t.ok(a.connected)
})

t.test('S04: an EIO3 (sails.io.js) socket whose id comes from a custom generateId is still reserved', async (t) => {
  const server = await app(t)
  let n = 0
  server.sockets.io.engine.generateId = () => `custom-${++n}`
  const legacy = ioV2(urlOf(server), { transports: ['websocket'], forceNew: true, reconnection: false })
  t.teardown(() => { legacy.close() })
  await new Promise<void>((resolve, reject) => { legacy.once('connect', () => resolve()); legacy.once('connect_error', reject) })
  t.equal(idOf(server, 0), 'custom-1', 'EIO3 socket ids are the Engine.IO id')
  const b = await connect(t, server)
  t.match(await request(b, 'post', '/join', { room: 'custom-1' }), { statusCode: 403, body: { code: 'FST_SOCKETS_ROOM_RESERVED' } })
})
