import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket as ClientSocket } from 'socket.io-client'
import { buildApp, connect, request, nextEvent, collect, flush } from '../helpers/app.js'

// A client's own socket id as the server sees it.
async function idOf (socket: ClientSocket): Promise<string> {
  const jwr = await request(socket, 'get', '/id')
  return (jwr.body as { id: string }).id
}

function baseRoutes (app: FastifyInstance): void {
  app.get('/id', async (request) => ({ id: app.sockets.getId(request) ?? null }))
  app.get('/say/hello', async (request, reply) => {
    if (!request.isSocket) return reply.code(400).send({ error: 'socket only' })
    await app.sockets.join(request, 'funSockets')
    app.sockets.broadcast('funSockets', 'hello', { howdy: 'hi there!' }, { except: request })
    return { anyData: 'we want to send back' }
  })
  app.put<{ Params: { room: string } }>('/rooms/:room', async (request) => {
    await app.sockets.join(request, request.params.room)
    return { rooms: await app.sockets.rooms(request) }
  })
  app.delete<{ Params: { room: string } }>('/rooms/:room', async (request) => {
    await app.sockets.leave(request, request.params.room)
    return { rooms: await app.sockets.rooms(request) }
  })
}

t.test("the seed's /say/hello flow", async (t) => {
  const app = await buildApp(t, {}, baseRoutes)
  const a = await connect(t, app)
  const b = await connect(t, app)
  await request(a, 'put', '/rooms/funSockets')
  const heardByB = collect(b, 'hello')
  const hello = nextEvent(a, 'hello')
  const jwr = await request(b, 'get', '/say/hello')
  t.same(jwr.body, { anyData: 'we want to send back' }, "B's ack carries the JSON body")
  t.same(await hello, { howdy: 'hi there!' }, 'A hears hello')
  await flush(app, [a, b])
  t.same(heardByB, [], 'B, the sender, does not')
  const http = await app.inject('/say/hello')
  t.equal(http.statusCode, 400, 'over HTTP the route refuses')
})

t.test('a route joining a client-chosen room name that is too long answers 400', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.post<{ Body: { room: string } }>('/join', async (request) => { await app.sockets.join(request, request.body.room); return {} })
  })
  const a = await connect(t, app)
  const jwr = await request(a, 'post', '/join', { room: 'r'.repeat(300) })
  t.match(jwr, { statusCode: 400, body: { code: 'FST_SOCKETS_ROOM_NAME' } })
})

t.test('join, leave, rooms and members', async (t) => {
  const app = await buildApp(t, {}, baseRoutes)
  const a = await connect(t, app)
  const b = await connect(t, app)
  const [idA, idB] = [await idOf(a), await idOf(b)]
  t.same((await request(a, 'put', '/rooms/r1')).body, { rooms: ['r1'] })
  await app.sockets.join(idB, ['r1', 'r2'])
  t.same((await app.sockets.members('r1')).sort(), [idA, idB].sort())
  t.same((await app.sockets.rooms(idB)).sort(), ['r1', 'r2'])
  await app.sockets.join([idA, idB], 'r3')
  t.same((await app.sockets.members('r3')).sort(), [idA, idB].sort(), 'an array of targets')
  t.same((await request(a, 'delete', '/rooms/r1')).body, { rooms: ['r3'] })
  await app.sockets.leave(idB, ['r2', 'r3'])
  t.same(await app.sockets.rooms(idB), ['r1'])
  t.same(await app.sockets.members('nobody-here'), [])
  t.same(await app.sockets.rooms('no-such-socket'), [], 'an unknown socket has no rooms')
  await app.sockets.join('no-such-socket', 'r1')
  t.same((await app.sockets.members('r1')), [idB], 'joining an unknown id changes nothing')
})

t.test('broadcast to a room or rooms, except a request, a socket id or a room', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    baseRoutes(app)
    app.post<{ Body: { rooms: string | string[], except?: string | string[], meToo?: boolean } }>('/shout', async (request) => {
      const except = request.body.meToo === true ? request.body.except : [request, ...[request.body.except ?? []].flat()]
      app.sockets.broadcast(request.body.rooms, 'shout', { from: app.sockets.getId(request) }, except === undefined ? undefined : { except })
      return { ok: true }
    })
  })
  const [a, b, c] = [await connect(t, app), await connect(t, app), await connect(t, app)]
  const [idA, idB, idC] = [await idOf(a), await idOf(b), await idOf(c)]
  await app.sockets.join([idA, idB], 'x')
  await app.sockets.join([idC], 'y')
  await app.sockets.join([idB], 'quiet')
  const heard = { a: collect(a, 'shout'), b: collect(b, 'shout'), c: collect(c, 'shout') }

  await request(a, 'post', '/shout', { rooms: 'x' })
  await request(a, 'post', '/shout', { rooms: ['x', 'y'] })
  await request(a, 'post', '/shout', { rooms: ['x', 'y'], except: idC })
  await request(a, 'post', '/shout', { rooms: ['x', 'y'], except: 'quiet' })
  await request(a, 'post', '/shout', { rooms: 'x', meToo: true })
  await flush(app, [a, b, c])
  t.equal(heard.a.length, 1, 'the sender hears only the broadcast that did not exclude it')
  t.equal(heard.b.length, 4, 'b hears all but the one that excluded its room')
  t.equal(heard.c.length, 2, 'c hears the two-room broadcasts that did not exclude it or its id')
  t.same(heard.b[0], { from: idA })
})

t.test('blast, emit, and the Sails short forms do not forget the sender', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    baseRoutes(app)
    app.post('/blast', async (request) => { app.sockets.blast('news', { n: 1 }, { except: request }); return {} })
  })
  const [a, b, c] = [await connect(t, app), await connect(t, app), await connect(t, app)]
  const idC = await idOf(c)
  const news = { a: collect(a, 'news'), b: collect(b, 'news'), c: collect(c, 'news') }
  const direct = { a: collect(a, 'dm'), b: collect(b, 'dm'), c: collect(c, 'dm') }
  await request(a, 'post', '/blast')
  app.sockets.emit(idC, 'dm', { just: 'you' })
  app.sockets.blast('news', { n: 2 })
  await flush(app, [a, b, c])
  t.same(news.a, [{ n: 2 }], 'the blasting socket was excluded from its own blast')
  t.same(news.b, [{ n: 1 }, { n: 2 }])
  t.same(news.c, [{ n: 1 }, { n: 2 }])
  t.same([direct.a, direct.b, direct.c], [[], [], [{ just: 'you' }]], 'emit reaches one socket')
})

t.test('addRoomMembersToRooms, removeRoomMembersFromRooms and leaveAll', async (t) => {
  const app = await buildApp(t, {}, baseRoutes)
  const [a, b, c] = [await connect(t, app), await connect(t, app), await connect(t, app)]
  const [idA, idB, idC] = [await idOf(a), await idOf(b), await idOf(c)]
  await app.sockets.join([idA, idB], 'team')
  await app.sockets.join(idC, 'other')
  await app.sockets.addRoomMembersToRooms('team', ['game', 'lobby'])
  t.same((await app.sockets.members('game')).sort(), [idA, idB].sort())
  t.same((await app.sockets.members('lobby')).sort(), [idA, idB].sort())
  await app.sockets.removeRoomMembersFromRooms('team', 'lobby')
  t.same(await app.sockets.members('lobby'), [])
  await app.sockets.addRoomMembersToRooms(idC, 'game')
  t.same((await app.sockets.members('game')).sort(), [idA, idB, idC].sort(), 'a socket id is a source room too')

  await app.sockets.leaveAll('team')
  t.same(await app.sockets.rooms(idA), [], 'every member of the source room left all its rooms')
  t.same(await app.sockets.rooms(idB), [])
  t.same((await app.sockets.rooms(idC)).sort(), ['game', 'other'], 'others keep theirs')
  const stillA = nextEvent(a, 'ping')
  app.sockets.emit(idA, 'ping', 1)
  t.equal(await stillA, 1, 'a socket keeps its own id room after leaveAll')
})

t.test('disconnect a socket by id or request', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    baseRoutes(app)
    app.post('/bye', async (request) => { setImmediate(() => { void app.sockets.disconnect(request) }); return { bye: true } })
  })
  const [a, b] = [await connect(t, app), await connect(t, app)]
  const idB = await idOf(b)
  const gone = new Promise<string>((resolve) => b.once('disconnect', resolve))
  await app.sockets.disconnect(idB)
  t.equal(await gone, 'io server disconnect')
  const goneA = new Promise<string>((resolve) => a.once('disconnect', resolve))
  t.same((await request(a, 'post', '/bye')).body, { bye: true })
  t.equal(await goneA, 'io server disconnect')
})

t.test('misuse gives coded errors', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.get('/join-http', async (request) => { await app.sockets.join(request, 'r'); return {} })
  })
  const res = await app.inject('/join-http')
  t.equal(res.statusCode, 500)
  t.equal(res.json().code, 'FST_SOCKETS_NOT_SOCKET_REQUEST', 'joining an HTTP request rejects')
  t.equal(app.sockets.getId({} as never), undefined, 'getId of a non-request is undefined')
  await t.rejects(app.sockets.join(42 as never, 'r'), { code: 'FST_SOCKETS_INVALID_TARGET' })
  await t.rejects(app.sockets.join([], 'r'), { code: 'FST_SOCKETS_INVALID_TARGET' })
  await t.rejects(app.sockets.join('id', ''), { code: 'FST_SOCKETS_INVALID_ROOM' })
  await t.rejects(app.sockets.join('id', []), { code: 'FST_SOCKETS_INVALID_ROOM' })
  await t.rejects(app.sockets.join('id', 'x'.repeat(300)), { code: 'FST_SOCKETS_ROOM_NAME', statusCode: 400 },
    'a join name past maxRoomNameLength is a 400 (a client may have chosen it), however long')
  t.throws(() => app.sockets.broadcast('x'.repeat(257), 'e', {}), { code: 'FST_SOCKETS_INVALID_ROOM' }, 'past 256 anywhere else')
  await t.rejects(app.sockets.leaveAll(null as never), { code: 'FST_SOCKETS_INVALID_ROOM' })
  t.throws(() => app.sockets.broadcast('r', 'disconnect', {}), { code: 'FST_SOCKETS_INVALID_EVENT' })
  t.throws(() => app.sockets.broadcast('r', '', {}), { code: 'FST_SOCKETS_INVALID_EVENT' })
  t.throws(() => app.sockets.blast(7 as never, {}), { code: 'FST_SOCKETS_INVALID_EVENT' })
  t.throws(() => app.sockets.emit('', 'e', {}), { code: 'FST_SOCKETS_INVALID_ROOM' })
  t.ok(app.sockets.io, 'the raw socket.io server is exposed')
})
