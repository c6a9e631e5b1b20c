// Unit tests of the room and target rules (lib/rooms/rules.ts) and their documented order: the first rule a
// name breaks is the error. Names alone need no server (an unattached socket.io Server); the targets, join
// guards and the per-socket cap are checked with real socket requests of a running app.
import t from 'tap'
import Fastify, { type FastifyRequest } from 'fastify'
import { Server } from 'socket.io'
import { Type } from '@sinclair/typebox'
import { RoomRules, RESOURCE_ROOM_PREFIX, looksLikeSocketId, type RoomRulesOptions } from '../../lib/rooms/rules.js'
import type { RoomPatternOption } from '../../lib/rooms/registry-options.js'
import { buildApp, connect, request } from '../helpers/app.js'

const ID_SHAPED = 'AbCdEfGhIj_-0123456z' // 20 characters of base64url, as socket.io ids are

function rules (opts: Partial<RoomRulesOptions> = {}, io = new Server()): RoomRules {
  return new RoomRules(io, { maxRoomsPerSocket: 100, maxRoomNameLength: 128, reservedRoomPrefixes: [], rooms: undefined, ...opts })
}

const declared = (patterns: Record<string, RoomPatternOption['pattern']>, guards: Record<string, RoomPatternOption['join']> = {}): Record<string, RoomPatternOption> =>
  Object.fromEntries(Object.entries(patterns).map(([label, pattern]) => [label, { pattern, join: guards[label] }]))

async function httpRequest (): Promise<FastifyRequest> {
  const app = Fastify()
  let captured: FastifyRequest | undefined
  app.get('/', async (request) => { captured = request; return {} })
  await app.inject('/')
  await app.close()
  return captured as FastifyRequest
}

t.test('looksLikeSocketId: 20 characters of base64url', async (t) => {
  t.ok(looksLikeSocketId(ID_SHAPED))
  for (const name of ['', 'a'.repeat(19), 'a'.repeat(21), 'AbCdEfGhIj_-0123456+', 'AbCdEfGhIj:-0123456z']) t.notOk(looksLikeSocketId(name), JSON.stringify(name))
})

t.test('room(): every rule, one at a time', async (t) => {
  const r = rules({ reservedRoomPrefixes: ['admin:'] })
  for (const use of ['address', 'join', 'join-reserved'] as const) {
    t.throws(() => r.room(42, use), { code: 'FST_SOCKETS_INVALID_ROOM', message: /expected a string, got number/ }, `1. not a string (${use})`)
    t.throws(() => r.room(null, use), { code: 'FST_SOCKETS_INVALID_ROOM', message: /got null/ }, `1. null (${use})`)
    t.throws(() => r.room('', use), { code: 'FST_SOCKETS_INVALID_ROOM', message: /length must be 1\.\.256, got 0/ }, `3. empty (${use})`)
    t.equal(r.room('chat:lobby', use), 'chat:lobby', `a plain name passes (${use})`)
  }
  t.throws(() => r.room('x'.repeat(129), 'join'), { code: 'FST_SOCKETS_ROOM_NAME', statusCode: 400, message: /longer than 128/ }, '2. a client-chosen name past maxRoomNameLength')
  t.equal(r.room('x'.repeat(129), 'join-reserved'), 'x'.repeat(129), '2. does not apply to server-chosen names')
  t.equal(r.room('x'.repeat(256), 'address'), 'x'.repeat(256), '3. 256 passes anywhere else')
  t.throws(() => r.room('x'.repeat(257), 'address'), { code: 'FST_SOCKETS_INVALID_ROOM', message: /got 257/ }, '3. past 256')
  t.throws(() => r.room('x'.repeat(257), 'join-reserved'), { code: 'FST_SOCKETS_INVALID_ROOM' }, '3. past 256, server-chosen too')
  for (const control of ['\u0000', '\n', '\u001f', '\u007f', '\u0085', '\u009f']) {
    t.throws(() => r.room(`a${control}b`, 'join'), { code: 'FST_SOCKETS_ROOM_NAME', message: /control character/ }, `4. ${JSON.stringify(control)} in a join`)
    t.throws(() => r.room(`a${control}b`, 'join-reserved'), { code: 'FST_SOCKETS_ROOM_NAME' }, `4. ${JSON.stringify(control)} in a server-chosen join`)
  }
  t.equal(r.room('a\nb', 'address'), 'a\nb', '4. names being addressed (not joined) are not checked for control characters')
  t.equal(r.room('a\u00a0é漢🎉', 'join'), 'a\u00a0é漢🎉', 'printable non-ASCII passes')
  for (const name of [ID_SHAPED, `${RESOURCE_ROOM_PREFIX}user_1:user`, 'admin:ops']) {
    t.throws(() => r.room(name, 'join'), { code: 'FST_SOCKETS_ROOM_RESERVED', statusCode: 403 }, `5. ${name} is reserved to a client`)
    t.equal(r.room(name, 'join-reserved'), name, `5. ${name} is the server's to join`)
    t.equal(r.room(name, 'address'), name, `5. ${name} can be addressed`)
  }
})

t.test('room(): the documented order decides which error a name breaking several rules gets', async (t) => {
  const r = rules({ rooms: declared({ game: Type.TemplateLiteral('game:${number}') }) })
  t.throws(() => r.room('x'.repeat(300), 'join'), { code: 'FST_SOCKETS_ROOM_NAME' }, '2 before 3: too long for a client, however long')
  t.throws(() => r.room(`${'\u0001'.repeat(300)}`, 'address'), { code: 'FST_SOCKETS_INVALID_ROOM' }, '3 before 4 (and 6)')
  t.throws(() => r.room('x'.repeat(257) + '\u0001', 'join-reserved'), { code: 'FST_SOCKETS_INVALID_ROOM' }, '3 before 4 for the server')
  t.throws(() => r.room(`${RESOURCE_ROOM_PREFIX}\u0001`, 'join'), { code: 'FST_SOCKETS_ROOM_NAME' }, '4 before 5')
  t.throws(() => r.room(`${RESOURCE_ROOM_PREFIX}x`, 'join'), { code: 'FST_SOCKETS_ROOM_RESERVED' }, '5 before 6')
  t.throws(() => r.room(`${RESOURCE_ROOM_PREFIX}x`, 'join-reserved'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' }, '6 applies to server-chosen names')
  t.throws(() => r.room('chat:1', 'address'), { code: 'FST_SOCKETS_UNDECLARED_ROOM', message: /chat:1/ }, '6. once patterns are declared, a name must match one')
  t.equal(r.room('game:7', 'join'), 'game:7', 'a declared name passes')
  r.allowPrefix(RESOURCE_ROOM_PREFIX)
  r.allowPrefix(RESOURCE_ROOM_PREFIX)
  t.equal(r.room(`${RESOURCE_ROOM_PREFIX}x`, 'join-reserved'), `${RESOURCE_ROOM_PREFIX}x`, 'the plugin\'s own prefixes skip the patterns')
  t.throws(() => r.room(`${RESOURCE_ROOM_PREFIX}x`, 'join'), { code: 'FST_SOCKETS_ROOM_RESERVED' }, 'and stay reserved to clients')
  t.throws(() => r.room('x'.repeat(100), 'address'), { message: new RegExp(`'${'x'.repeat(64)}' matches no pattern`) }, 'the name is cut in the error')
})

t.test('maxRoomNameLength and reservedRoomPrefixes', async (t) => {
  const r = rules({ maxRoomNameLength: 5, reservedRoomPrefixes: ['a:', 'b:'] })
  t.equal(r.room('12345', 'join'), '12345')
  t.throws(() => r.room('123456', 'join'), { code: 'FST_SOCKETS_ROOM_NAME', message: /longer than 5/ })
  t.ok(r.isReserved('a:1') && r.isReserved('b:1'), 'every prefix given is reserved')
  t.ok(r.isReserved(`${RESOURCE_ROOM_PREFIX}1`), 'and the resource rooms, which the option cannot take away')
  t.ok(r.isReserved(ID_SHAPED), 'and names shaped like a socket id (a socket held by another node)')
  t.notOk(r.isReserved('c:1'))
})

t.test('the id of a socket here is reserved whatever its shape, once a socket of that shape was noted', async (t) => {
  const io = new Server()
  const r = rules({}, io)
  // a socket of this node whose id an app's generateId made: in the namespace's map, not of socket.io's shape
  io.sockets.sockets.set('custom-1', {} as never)
  r.noteSocket(ID_SHAPED)
  t.notOk(r.isReserved('custom-1'), 'while every id noted has socket.io\'s shape, the map is not looked at')
  r.noteSocket('custom-1')
  t.ok(r.isReserved('custom-1'), 'once one had another shape, it is')
  t.notOk(r.isReserved('custom-2'), 'and only the ids of sockets here')
  t.throws(() => r.room('custom-1', 'join'), { code: 'FST_SOCKETS_ROOM_RESERVED' }, 'a client cannot join it')
  io.sockets.sockets.delete('custom-1')
})

t.test('rooms(), socketId(), roomOrSocket(), roomsOrSockets()', async (t) => {
  const r = rules({ rooms: declared({ chat: Type.TemplateLiteral('chat:${string}') }) })
  t.same(r.rooms('chat:a', 'join'), ['chat:a'], 'one name becomes a list')
  t.same(r.rooms(['chat:a', 'chat:b'], 'join'), ['chat:a', 'chat:b'])
  t.throws(() => r.rooms([], 'join'), { code: 'FST_SOCKETS_INVALID_ROOM', message: /empty array/ })
  t.throws(() => r.rooms(['chat:a', 'other'], 'join'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' }, 'every name of a list is checked')
  t.equal(r.socketId('any id at all, no pattern'), 'any id at all, no pattern', 'a socket id is any string of 1..256')
  t.throws(() => r.socketId(''), { code: 'FST_SOCKETS_INVALID_ROOM', message: /got 0/ })
  t.throws(() => r.socketId('x'.repeat(257)), { code: 'FST_SOCKETS_INVALID_ROOM', message: /got 257/ })
  t.throws(() => r.socketId(undefined), { code: 'FST_SOCKETS_INVALID_ROOM', message: /got undefined/ })
  t.throws(() => r.socketId(null), { code: 'FST_SOCKETS_INVALID_ROOM', message: /got null/ })
  t.equal(r.roomOrSocket(ID_SHAPED), ID_SHAPED, 'a name of the socket id shape passes the patterns')
  t.equal(r.roomOrSocket('chat:x'), 'chat:x')
  t.throws(() => r.roomOrSocket('lobby'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })
  t.same(r.roomsOrSockets([ID_SHAPED, 'chat:x']), [ID_SHAPED, 'chat:x'])
  t.same(r.roomsOrSockets('chat:x'), ['chat:x'])
  t.throws(() => r.roomsOrSockets([]), { code: 'FST_SOCKETS_INVALID_ROOM' })
  t.equal(rules().roomOrSocket('lobby'), 'lobby', 'without patterns any name passes')
})

t.test('targets() and except() without sockets', async (t) => {
  const r = rules()
  t.same(r.targets('id-1'), { ids: ['id-1'], requests: [] })
  t.same(r.targets(['id-1', 'id-2']), { ids: ['id-1', 'id-2'], requests: [] })
  t.throws(() => r.targets([]), { code: 'FST_SOCKETS_INVALID_TARGET', message: /empty array/ })
  t.throws(() => r.targets(42), { code: 'FST_SOCKETS_INVALID_TARGET', message: /number/ })
  t.throws(() => r.targets(null), { code: 'FST_SOCKETS_INVALID_TARGET', message: /null/ })
  t.throws(() => r.targets(['id-1', {}]), { code: 'FST_SOCKETS_INVALID_TARGET', message: /object/ }, 'every item of a list is checked')
  t.throws(() => r.targets(''), { code: 'FST_SOCKETS_INVALID_ROOM' }, 'an id is checked as an id')
  const http = await httpRequest()
  t.throws(() => r.targets(http), { code: 'FST_SOCKETS_NOT_SOCKET_REQUEST' }, 'an HTTP request is not a target')
  t.equal(r.except(undefined), undefined, 'no except')
  t.same(r.except('room'), ['room'])
  t.same(r.except(['room', 'id-1']), ['room', 'id-1'])
  t.same(r.except(http), [], 'an HTTP request excludes nobody')
  t.throws(() => r.except(['ok', 7]), { code: 'FST_SOCKETS_INVALID_ROOM' })
  const withPatterns = rules({ rooms: declared({ chat: Type.TemplateLiteral('chat:${string}') }) })
  t.throws(() => withPatterns.except('lobby'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' }, 'except names follow the patterns')
  t.same(withPatterns.except(ID_SHAPED), [ID_SHAPED])
})

t.test('checkJoin without a guard is synchronous: names, then targets', async (t) => {
  const r = rules({ rooms: declared({ game: Type.TemplateLiteral('game:${number}') }, { game: async () => true }) })
  const plan = r.checkJoin(['id-1', 'id-2'], ['game:1', 'game:2'], false)
  t.notOk(plan instanceof Promise, 'joins by socket id skip the guards, so nothing waits')
  t.same(plan, { ids: ['id-1', 'id-2'], requests: [], rooms: ['game:1', 'game:2'] })
  t.throws(() => r.checkJoin(42, 'lobby', false), { code: 'FST_SOCKETS_UNDECLARED_ROOM' }, 'the names are checked before the targets')
  t.throws(() => r.checkJoin(42, 'game:1', false), { code: 'FST_SOCKETS_INVALID_TARGET' }, 'then the targets')
  t.throws(() => r.checkJoin('id-1', ID_SHAPED, false), { code: 'FST_SOCKETS_ROOM_RESERVED' })
  t.throws(() => r.checkJoin('id-1', ID_SHAPED, true), { code: 'FST_SOCKETS_UNDECLARED_ROOM' }, 'server-chosen: not reserved, but still declared')
  t.same(rules().checkJoin('id-1', ID_SHAPED, true), { ids: ['id-1'], requests: [], rooms: [ID_SHAPED] }, 'server-chosen, no patterns: passes')
})

t.test('schemas(): the declared patterns as plain JSON Schema', async (t) => {
  const r = rules({ rooms: declared({ game: Type.TemplateLiteral('game:${number}'), lobby: Type.Literal('lobby') }) })
  const schemas = r.schemas()
  t.same(schemas, { game: { type: 'string', pattern: '^game:(0|[1-9][0-9]*)$' }, lobby: { type: 'string', const: 'lobby' } })
  t.same(Object.getOwnPropertySymbols(schemas.game), [], 'no TypeBox symbols')
  t.same(rules().schemas(), {}, 'none declared')
})

t.test('with real socket requests: targets, join guards in order, then the per-socket cap', async (t) => {
  const captured: FastifyRequest[] = []
  const app = await buildApp(t, {}, (app) => {
    app.get('/capture', async (request) => { captured.push(request); return {} })
  })
  const sockets = [await connect(t, app), await connect(t, app)]
  for (const socket of sockets) await request(socket, 'get', '/capture')
  const [reqA, reqB] = captured as [FastifyRequest, FastifyRequest]
  const [idA, idB] = sockets.map((socket) => socket.id as string) as [string, string]
  const calls: string[] = []
  const r = rules({
    maxRoomsPerSocket: 2,
    rooms: declared({
      game: Type.TemplateLiteral('game:${number}'),
      chat: Type.TemplateLiteral('chat:${string}:${number}'),
      open: Type.TemplateLiteral('open:${string}')
    }, {
      game: async (request, params, room) => {
        calls.push(`game ${String(request === reqA ? 'A' : 'B')} ${JSON.stringify(params)} ${room}`)
        return (params as number[])[0] !== 13
      },
      chat: (_request, params) => { calls.push(`chat ${JSON.stringify(params)}`); return (params as unknown[])[0] !== 'closed' }
    })
  }, app.sockets.io)

  t.same(r.targets([reqA, idB]), { ids: [idA, idB], requests: [reqA] }, 'a socket request stands for its socket')
  t.same(r.except([reqA, 'open:x']), [idA, 'open:x'], 'a socket request excludes its socket')
  t.ok(r.isReserved(idA), 'the id of a socket here is reserved')

  const open = r.checkJoin(reqA, 'open:x', false)
  t.notOk(open instanceof Promise, 'no guard applies: synchronous')
  const joined = r.checkJoin([reqA, reqB], ['game:1', 'chat:general:2'], false)
  t.ok(joined instanceof Promise, 'a guard applies: the plan is a promise')
  t.same(await joined, { ids: [idA, idB], requests: [reqA, reqB], rooms: ['game:1', 'chat:general:2'] })
  t.same(calls, ['game A [1] game:1', 'game B [1] game:1', 'chat ["general",2]', 'chat ["general",2]'],
    'each guard of each room, for each socket request, one after the other, with the parameters of the name')

  calls.length = 0
  await t.rejects(async () => await r.checkJoin(reqA, ['chat:closed:1', 'game:2'], false), { code: 'FST_SOCKETS_JOIN_REFUSED', statusCode: 403, message: /chat:closed:1/ })
  t.same(calls, ['chat ["closed",1]'], 'a refusal stops the guards that follow')

  t.same(await r.checkJoin(reqA, ['open:1', 'open:2'], false), { ids: [idA], requests: [reqA], rooms: ['open:1', 'open:2'] }, 'two rooms: at the cap')
  t.throws(() => r.checkJoin(reqA, ['open:1', 'open:2', 'open:3'], false), { code: 'FST_SOCKETS_ROOM_LIMIT', statusCode: 400 }, 'three: past it')
  t.ok(r.checkJoin(reqA, ['open:1', 'open:1', 'open:2'], false), 'a name given twice counts once')
  await t.rejects(async () => await r.checkJoin(reqA, ['game:13', 'open:2', 'open:3'], false), { code: 'FST_SOCKETS_JOIN_REFUSED' },
    'the guards run before the cap')
  await t.rejects(async () => await r.checkJoin(reqA, ['game:1', 'open:2', 'open:3'], false), { code: 'FST_SOCKETS_ROOM_LIMIT' },
    'a join the guards allow is still capped')
  t.same(r.checkJoin([idA, idB], ['open:1', 'open:2', 'open:3'], false), { ids: [idA, idB], requests: [], rooms: ['open:1', 'open:2', 'open:3'] },
    'joins by socket id are the server\'s: not capped')
  t.same(await r.checkJoin(reqA, ['game:1', 'open:2', 'open:3'], true), { ids: [idA], requests: [reqA], rooms: ['game:1', 'open:2', 'open:3'] },
    'nor are server-chosen joins (the guards still run)')
  await app.sockets.join(reqB, ['open:1', 'open:2'])
  t.throws(() => r.checkJoin([reqA, reqB], 'open:3', false), { code: 'FST_SOCKETS_ROOM_LIMIT' }, 'every capped socket is checked')
  t.ok(r.checkJoin(reqB, 'open:1', false), 'a room the socket is already in does not count again')
})
