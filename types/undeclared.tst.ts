// Nothing declared: names are strings, payloads unknown, and every surface still works.
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { expect } from 'tstyche'
import fastifySockets, {
  defineRoom, type RoomParams, type RoomSpec,
  type EventName, type EventPayload, type RoomName, type SocketId, type FastifySocketsOptions, type RegistryJson
} from '../lib/index.js'

expect<EventName>().type.toBe<string>()
expect<EventPayload<'anything'>>().type.toBe<unknown>()
expect<RoomName>().type.toBe<string>()
expect<SocketId>().type.toBe<string>()

// Object literals through a call, so excess properties count as they do in `register(plugin, { ... })`.
declare function options (opts: FastifySocketsOptions): void

const app = Fastify()
expect(app.register).type.toBeCallableWith(fastifySockets, {})
expect(app.register).type.toBeCallableWith(fastifySockets, { events: { hello: Type.Object({ howdy: Type.String() }) }, validate: true })
expect(app.register).type.toBeCallableWith(fastifySockets, {
  rooms: { chat: Type.TemplateLiteral('chat:${string}'), org: { pattern: Type.TemplateLiteral('org:${number}'), join: async () => true } }
})
expect(options).type.not.toBeCallableWith({ events: { hello: { type: 'object' } } }) // not a TypeBox schema
expect(options).type.not.toBeCallableWith({ validate: 'yes' })

app.get('/x', async (request) => {
  expect(app.sockets.broadcast).type.toBeCallableWith('any room', 'any event', { any: 'payload' })
  expect(app.sockets.broadcast).type.toBeCallableWith(['a', 'b'], 'e', 1, { except: request })
  expect(app.sockets.blast).type.toBeCallableWith('e', null)
  expect(app.sockets.emit).type.toBeCallableWith('socket-id', 'e', undefined)
  expect(app.sockets.join).type.toBeCallableWith(request, 'room')
  expect(app.sockets.schemas()).type.toBe<RegistryJson>()
  return null
})

// defineRoom types the guard from the pattern itself, declared or not.
defineRoom(Type.TemplateLiteral('org:${number}:team:${string}'), (request, params, room) => {
  expect(params).type.toBe<[number, string]>()
  expect(room).type.toBe<`org:${number}:team:${string}`>()
  expect(request.isSocket).type.toBe<boolean>()
  return true
})
expect(defineRoom(Type.Literal('lobby'))).type.toBe<RoomSpec<'lobby'>>()
expect(defineRoom).type.not.toBeCallableWith(Type.Number())
expect(defineRoom).type.not.toBeCallableWith(Type.TemplateLiteral('org:${number}'), (_request: unknown, params: [string]) => params[0] === 'x')
expect<RoomParams<string>>().type.toBe<unknown[]>()
