import t from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import fastifySockets, { defineRoom } from '../../lib/index.js'
import { Server } from 'socket.io'
import { EventRegistry } from '../../lib/rooms/registry.js'
import { RoomRules } from '../../lib/rooms/rules.js'
import { resolveOptions } from '../../lib/options.js'
import { buildApp, connect, request, nextEvent, collect, urlOf } from '../helpers/app.js'
import { buildScoreboard } from '../../examples/typed/server.js'

const Hello = Type.Object({ howdy: Type.String() })
const Message = Type.Object({
  text: Type.String({ minLength: 1 }),
  meta: Type.Object({ at: Type.Number(), tags: Type.Array(Type.String()) })
})
const events = { hello: Hello, message: Message }

// A client in `room`, joined through a route (the way apps do it).
async function member (t: Parameters<typeof buildApp>[0], app: Awaited<ReturnType<typeof buildApp>>, room: string) {
  const socket = await connect(t, app)
  const jwr = await request(socket, 'put', '/join', { room })
  if (jwr.statusCode !== 200) throw new Error(`join failed: ${JSON.stringify(jwr.body)}`)
  return socket
}

function joinRoute (app: Awaited<ReturnType<typeof buildApp>>): void {
  app.put<{ Body: { room: string } }>('/join', async (request) => {
    await app.sockets.join(request, request.body.room)
    return { joined: request.body.room }
  })
}

t.test('an invalid payload throws a coded error naming the event and the path, and nobody receives anything', async (t) => {
  const app = await buildApp(t, { events }, joinRoute)
  const a = await member(t, app, 'r1')
  const b = await member(t, app, 'r1')
  const seenA = collect(a, 'message')
  const seenB = collect(b, 'message')
  const blastSeen = collect(a, 'hello')

  t.throws(() => app.sockets.broadcast('r1', 'message', { text: 'hi', meta: { at: 'noon', tags: [] } }), {
    code: 'FST_SOCKETS_INVALID_PAYLOAD',
    message: /'message' at \/meta\/at: Expected number/
  })
  t.throws(() => app.sockets.broadcast('r1', 'message', { text: 'hi' }), { code: 'FST_SOCKETS_INVALID_PAYLOAD', message: /\/meta/ })
  t.throws(() => app.sockets.broadcast('r1', 'message', undefined), { code: 'FST_SOCKETS_INVALID_PAYLOAD', message: /at \/: Expected object/ })
  t.throws(() => app.sockets.blast('hello', { howdy: 1 }), { code: 'FST_SOCKETS_INVALID_PAYLOAD', message: /'hello' at \/howdy/ })
  t.throws(() => app.sockets.emit('', 'hello', { howdy: 'x' }), { code: 'FST_SOCKETS_INVALID_ROOM' })
  t.throws(() => app.sockets.emit(a.id!, 'hello', {}), { code: 'FST_SOCKETS_INVALID_PAYLOAD', message: /\/howdy/ })
  t.throws(() => app.sockets.broadcast('r1', 'goodbye', {}), { code: 'FST_SOCKETS_UNDECLARED_EVENT', message: /'goodbye'/ })

  const valid = { text: 'after', meta: { at: 1, tags: ['x'] } }
  app.sockets.broadcast('r1', 'message', valid)
  app.sockets.blast('hello', { howdy: 'after' })
  // socket.io keeps order per socket: the valid pushes arrive after anything sent before them.
  await Promise.all([nextEvent(a, 'hello'), nextEvent(b, 'hello')])
  t.same(seenA, [valid])
  t.same(seenB, [valid])
  t.same(blastSeen, [{ howdy: 'after' }])
})

t.test('valid payloads are delivered intact by broadcast, blast and emit', async (t) => {
  const app = await buildApp(t, { events }, joinRoute)
  const a = await member(t, app, 'r1')
  const b = await connect(t, app)
  const payload = { text: 'héllo ✓', meta: { at: 1.5, tags: ['a', 'b', ''] } }

  const viaBroadcast = nextEvent(a, 'message')
  app.sockets.broadcast('r1', 'message', payload)
  t.same(await viaBroadcast, payload)

  const viaBlast = Promise.all([nextEvent(a, 'hello'), nextEvent(b, 'hello')])
  app.sockets.blast('hello', { howdy: 'all' })
  t.same(await viaBlast, [{ howdy: 'all' }, { howdy: 'all' }])

  const viaEmit = nextEvent(b, 'message')
  app.sockets.emit(b.id!, 'message', payload)
  t.same(await viaEmit, payload)

  // Extra properties are not stripped: the payload is sent as given (validation never mutates it).
  const extra = { howdy: 'x', more: [1, 2] }
  const viaExtra = nextEvent(b, 'hello')
  app.sockets.emit(b.id!, 'hello', extra)
  t.same(await viaExtra, extra)
})

t.test('the broadcasting route gets a 500 JWR with the code when its payload is invalid; the room hears nothing', async (t) => {
  const app = await buildApp(t, { events }, (app) => {
    joinRoute(app)
    app.post<{ Body: { text: unknown } }>('/say', async (request) => {
      app.sockets.broadcast('r1', 'message', { text: request.body.text, meta: { at: 1, tags: [] } }, { except: request })
      return { said: true }
    })
  })
  const listener = await member(t, app, 'r1')
  const speaker = await member(t, app, 'r1')
  const heard = collect(listener, 'message')

  const bad = await request(speaker, 'post', '/say', { text: 42 })
  t.equal(bad.statusCode, 500)
  t.match(bad.body, { code: 'FST_SOCKETS_INVALID_PAYLOAD', message: /'message' at \/text/ })

  const next = nextEvent(listener, 'message')
  const good = await request(speaker, 'post', '/say', { text: 'fine' })
  t.equal(good.statusCode, 200)
  t.same(await next, { text: 'fine', meta: { at: 1, tags: [] } })
  t.same(heard, [{ text: 'fine', meta: { at: 1, tags: [] } }])
})

t.test('validate: false sends without checking', async (t) => {
  const app = await buildApp(t, { events, validate: false }, joinRoute)
  const a = await member(t, app, 'r1')
  const invalid = { text: 7, meta: 'none' }
  const got = nextEvent(a, 'message')
  app.sockets.broadcast('r1', 'message', invalid)
  t.same(await got, invalid)
  const undeclared = nextEvent(a, 'undeclared')
  app.sockets.blast('undeclared', { any: true })
  t.same(await undeclared, { any: true })
  // The event name itself is still checked (socket.io would throw on a reserved one).
  t.throws(() => app.sockets.blast('disconnect', {}), { code: 'FST_SOCKETS_INVALID_EVENT' })
})

t.test('without events, anything goes (names are strings, payloads unknown)', async (t) => {
  const app = await buildApp(t, {}, joinRoute)
  const a = await member(t, app, 'any room')
  const got = nextEvent(a, 'whatever')
  app.sockets.broadcast('any room', 'whatever', [1, 'two'])
  t.same(await got, [1, 'two'])
  t.same(app.sockets.schemas(), { events: {}, rooms: {} })
})

t.test('room names are checked against the declared patterns', async (t) => {
  const rooms = {
    chat: Type.TemplateLiteral('chat:${string}'),
    org: Type.TemplateLiteral([Type.Literal('org:'), Type.Number()]),
    fun: Type.Literal('funSockets')
  }
  const app = await buildApp(t, { events, rooms }, joinRoute)
  const socket = await member(t, app, 'org:12')
  t.same(await app.sockets.rooms(socket.id!), ['org:12'])

  for (const room of ['org:abc', 'lobby', 'chat', 'funSockets2']) {
    const jwr = await request(socket, 'put', '/join', { room })
    t.equal(jwr.statusCode, 500, room)
    t.match(jwr.body, { code: 'FST_SOCKETS_UNDECLARED_ROOM', message: new RegExp(`'${room}'`) })
  }
  t.same(await app.sockets.rooms(socket.id!), ['org:12'], 'refused names joined nothing')

  t.throws(() => app.sockets.broadcast('org:abc', 'hello', { howdy: 'x' }), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })
  t.throws(() => app.sockets.broadcast(['chat:a', 'nope'], 'hello', { howdy: 'x' }), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })
  t.throws(() => app.sockets.blast('hello', { howdy: 'x' }, { except: 'nope' }), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })
  await t.rejects(app.sockets.members('nope'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })
  await t.rejects(app.sockets.addRoomMembersToRooms('org:12', 'nope'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })

  // Socket ids still work where a room or a socket id is accepted.
  const got = nextEvent(socket, 'hello')
  app.sockets.broadcast(socket.id!, 'hello', { howdy: 'direct' })
  t.same(await got, { howdy: 'direct' })
  t.same(await app.sockets.members(socket.id!), [socket.id])
  const fun = nextEvent(socket, 'hello')
  await app.sockets.addRoomMembersToRooms('org:12', ['funSockets', 'chat:x'])
  app.sockets.broadcast('funSockets', 'hello', { howdy: 'fun' })
  t.same(await fun, { howdy: 'fun' })
})

t.test('a refused join guard answers 403 to the requesting socket and joins nothing', async (t) => {
  const calls: unknown[] = []
  const rooms = {
    org: defineRoom(Type.TemplateLiteral('org:${number}'), async (request, params, room) => {
      calls.push({ params, room, isSocket: request.isSocket })
      return params[0] === Number(request.headers['x-org'])
    }),
    team: {
      pattern: Type.TemplateLiteral([Type.Literal('org:'), Type.Number(), Type.Literal(':team:'), Type.String()]),
      join: (_request: unknown, params: unknown[]) => params[1] !== 'secret'
    },
    open: Type.Literal('lobby')
  }
  const app = await buildApp(t, { rooms }, joinRoute)
  const socket = await connect(t, app, { extraHeaders: { 'x-org': '7' } })

  const refused = await request(socket, 'put', '/join', { room: 'org:8' })
  t.equal(refused.statusCode, 403)
  t.match(refused.body, { statusCode: 403, code: 'FST_SOCKETS_JOIN_REFUSED', error: 'Forbidden', message: /'org:8'/ })

  const allowed = await request(socket, 'put', '/join', { room: 'org:7' })
  t.equal(allowed.statusCode, 200)
  t.same(calls, [
    { params: [8], room: 'org:8', isSocket: true },
    { params: [7], room: 'org:7', isSocket: true }
  ], 'the guard gets the request and the parsed parameters')

  // Several parameters, and both guards of the names that match both patterns.
  const team = await request(socket, 'put', '/join', { room: 'org:7:team:secret' })
  t.equal(team.statusCode, 403)
  t.equal(calls.length, 2, 'org:${number} does not match org:7:team:secret, so its guard did not run')
  t.equal((await request(socket, 'put', '/join', { room: 'org:7:team:blue' })).statusCode, 200)

  // All or nothing: one refused room in the list joins none of them.
  const mixed = await request(socket, 'put', '/join', { room: ['lobby', 'org:9'] })
  t.equal(mixed.statusCode, 403)
  t.same((await app.sockets.rooms(socket.id!)).sort(), ['org:7', 'org:7:team:blue'])

  // A socket id target is the server's own decision: no guard.
  await app.sockets.join(socket.id!, 'org:9')
  t.ok((await app.sockets.rooms(socket.id!)).includes('org:9'))
})

t.test('a join guard that throws rejects the join with its own error', async (t) => {
  const app = await buildApp(t, {
    rooms: { org: { pattern: Type.TemplateLiteral('org:${number}'), join: () => { throw Object.assign(new Error('no session'), { statusCode: 401 }) } } }
  }, joinRoute)
  const socket = await connect(t, app)
  const jwr = await request(socket, 'put', '/join', { room: 'org:1' })
  t.equal(jwr.statusCode, 401)
  t.same(await app.sockets.rooms(socket.id!), [])
})

t.test('schemas() exports the registry as plain JSON Schema', async (t) => {
  const rooms = { chat: Type.TemplateLiteral('chat:${string}'), org: defineRoom(Type.TemplateLiteral('org:${number}'), () => true) }
  const app = await buildApp(t, { events, rooms })
  const json = app.sockets.schemas()
  t.same(json.events.hello, { type: 'object', properties: { howdy: { type: 'string' } }, required: ['howdy'] })
  t.same(json.rooms, { chat: { type: 'string', pattern: '^chat:(.*)$' }, org: { type: 'string', pattern: '^org:(0|[1-9][0-9]*)$' } })
  t.equal(JSON.stringify(json), JSON.stringify(JSON.parse(JSON.stringify(json))), 'round-trips through JSON')
  t.equal(Object.getOwnPropertySymbols(json.events.hello as object).length, 0, 'no TypeBox symbols')
})

t.test('options are validated at registration', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ events: [] }, /events must be an object/],
    [{ events: { hello: { type: 'object' } } }, /events\.hello must be a TypeBox schema/],
    [{ events: { disconnect: Hello } }, /reserved/],
    [{ events: { '': Hello } }, /1\.\.256/],
    [{ rooms: { chat: 'chat:${string}' } }, /rooms\.chat must be a TypeBox string pattern/],
    [{ rooms: { n: Type.Number() } }, /rooms\.n must be a TypeBox string pattern/],
    [{ rooms: { u: Type.Union([Type.Literal('a'), Type.Number()]) } }, /rooms\.u must be/],
    [{ rooms: { chat: { pattern: Type.Literal('a'), join: true } } }, /rooms\.chat\.join must be a function/],
    [{ rooms: { chat: { pattern: Type.Literal('a'), guard: () => true } } }, /unknown key 'guard'/],
    [{ validate: 'yes' }, /validate must be a boolean/]
  ]
  for (const [opts, message] of bad) {
    t.throws(() => resolveOptions(opts, {}), { code: 'FST_SOCKETS_OPTIONS_INVALID', message }, JSON.stringify(opts))
  }
  const ok = resolveOptions({ events, rooms: { a: Type.Literal('a'), b: { pattern: Type.String() } } }, {})
  t.equal(ok.registry.validate, true, 'validate defaults to true')
  t.equal(resolveOptions({ validate: false }, {}).registry.validate, false)

  // A schema that cannot compile fails the registration, not the first broadcast.
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(fastifySockets, { events: { x: Type.Ref('Missing') } })
  await t.rejects(async () => { await app.ready() }, { code: 'FST_SOCKETS_OPTIONS_INVALID', message: /events\.x does not compile/ })
})

t.test('registry unit: define, internal room prefixes, placeholder parameters', async (t) => {
  const io = new Server() // not attached: no engine, nothing to close
  const resolved = resolveOptions({
    events: { a: Hello },
    rooms: {
      x: Type.TemplateLiteral([Type.Literal('x:'), Type.Union([Type.Literal('a'), Type.Literal('b')]), Type.Literal(':'), Type.Number(), Type.Literal('.'), Type.String()])
    }
  }, {})
  const registry = new EventRegistry(resolved.registry.events, resolved.registry.validate)
  const rules = new RoomRules(io, { ...resolved, rooms: resolved.registry.rooms })
  t.equal(rules.room('x:a:12.rest', 'address'), 'x:a:12.rest')
  t.throws(() => rules.room('x:c:12.rest', 'address'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })
  t.throws(() => rules.room('resource:user:1', 'address'), { code: 'FST_SOCKETS_UNDECLARED_ROOM' })
  rules.allowPrefix('resource:')
  t.equal(rules.room('resource:user:1', 'address'), 'resource:user:1')

  const seen: unknown[] = []
  const guardedOptions = resolveOptions({
    rooms: { x: { pattern: Type.TemplateLiteral([Type.Literal('x:'), Type.Union([Type.Literal('a'), Type.Literal('b')]), Type.Literal(':'), Type.Number(), Type.Literal('.'), Type.String()]), join: (_r: unknown, params: unknown[]) => { seen.push(params); return true } } }
  }, {})
  const guarded = new RoomRules(io, { ...guardedOptions, rooms: guardedOptions.registry.rooms })
  await guarded.authorize([{} as never], ['x:b:0.a(b)'])
  t.same(seen, [[0, 'a(b)']], 'union groups are not parameters; numbers are parsed')

  t.throws(() => registry.checkEvent('b', {}), { code: 'FST_SOCKETS_UNDECLARED_EVENT' })
  registry.define('b', Message)
  t.throws(() => registry.checkEvent('b', {}), { code: 'FST_SOCKETS_INVALID_PAYLOAD' })
  t.doesNotThrow(() => registry.checkEvent('b', { text: 'x', meta: { at: 0, tags: [] } }))
  t.throws(() => registry.define('b', Hello), { code: 'FST_SOCKETS_OPTIONS_INVALID', message: /already has another schema/ })
})

t.test('one TypeBox route schema validates and types HTTP and socket requests (type provider example)', async (t) => {
  const app = await buildScoreboard()
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = urlOf(app)

  const alice = await connect(t, url, { extraHeaders: { 'x-player': 'alice' } })
  const bob = await connect(t, url, { extraHeaders: { 'x-player': 'bob' } })

  // Params coerced by the same schema: `game` arrives as a number over the socket.
  const watching = await request(alice, 'put', '/games/1/watchers')
  t.equal(watching.statusCode, 200)
  t.same(watching.body, { watching: 1 })
  const badParam = await request(alice, 'put', '/games/zero/watchers')
  t.equal(badParam.statusCode, 400)
  t.match(badParam.body, { code: 'FST_ERR_VALIDATION', message: /params\/game/ })

  // The join guard refuses bob (not a player of game 1): 403.
  const refused = await request(bob, 'put', '/games/1/watchers')
  t.equal(refused.statusCode, 403)
  t.match(refused.body, { code: 'FST_SOCKETS_JOIN_REFUSED' })

  // Body validation: the same 400 over the socket and over HTTP.
  const socketBad = await request(bob, 'post', '/games/1/scores', { team: '', points: -1 })
  t.equal(socketBad.statusCode, 400)
  const httpBad = await fetch(`${url}/games/1/scores`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: '', points: -1 }) })
  t.equal(httpBad.status, 400)
  const httpBody = await httpBad.json() as { code: string, message: string }
  t.match(socketBad.body, { code: httpBody.code, message: httpBody.message })

  // A valid score from a socket and one over HTTP: alice (watching game 1) hears both, typed and validated.
  const first = nextEvent<{ game: number, team: string, points: number }>(alice, 'score')
  const fromSocket = await request(bob, 'post', '/games/1/scores', { team: 'red', points: 3 })
  t.equal(fromSocket.statusCode, 201)
  t.match(await first, { game: 1, team: 'red', points: 3 })
  const second = nextEvent(alice, 'score')
  const fromHttp = await fetch(`${url}/games/1/scores`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ team: 'blue', points: 0 }) })
  t.equal(fromHttp.status, 201)
  t.match(await second, { game: 1, team: 'blue', points: 0 })

  const over = Promise.all([nextEvent(alice, 'gameOver'), nextEvent(bob, 'gameOver')])
  t.equal((await request(alice, 'post', '/games/1/end', { winner: 'red' })).statusCode, 200)
  t.same(await over, [{ game: 1, winner: 'red' }, { game: 1, winner: 'red' }])

  const schemas = await (await fetch(`${url}/sockets/schemas`)).json() as { events: Record<string, unknown>, rooms: Record<string, unknown> }
  t.same(Object.keys(schemas.events).sort(), ['gameOver', 'score'])
  t.same(Object.keys(schemas.rooms).sort(), ['game', 'lobby'])
})
