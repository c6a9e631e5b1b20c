// The virtual request/response pair against Node's own classes: every member of http.ServerResponse and
// http.IncomingMessage (prototypes and the fields their constructors set) is either implemented by the pair
// or listed, with its reason, in lib/virtual-request/not-emulated.ts. A Node upgrade that adds a member
// turns this red instead of becoming a bug that shows over sockets only.
import t, { type Test } from 'tap'
import { EventEmitter } from 'node:events'
import { IncomingMessage, OutgoingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { Readable, Stream } from 'node:stream'
import { VirtualConnection, VirtualIncoming } from '../../lib/virtual-request/request.js'
import { VirtualOutgoing } from '../../lib/virtual-request/response.js'
import { REQUEST_NOT_EMULATED, RESPONSE_NOT_EMULATED } from '../../lib/virtual-request/not-emulated.js'

function membersOf (prototypes: object[], instance: object): string[] {
  const names = new Set<string>()
  for (const proto of prototypes) for (const name of Object.getOwnPropertyNames(proto)) names.add(name)
  for (const name of Object.keys(instance)) names.add(name)
  names.delete('constructor')
  return [...names].sort()
}

function check (t: Test, label: string, names: string[], ours: object, listed: Readonly<Record<string, string>>): void {
  const missing = names.filter((name) => !(name in ours) && listed[name] === undefined)
  t.same(missing, [], `${label}: every Node member is implemented or listed as not emulated`)
  const stale = Object.keys(listed).filter((name) => name in ours)
  t.same(stale, [], `${label}: nothing listed as not emulated is implemented after all`)
  const unknown = Object.keys(listed).filter((name) => !names.includes(name))
  t.same(unknown, [], `${label}: the list names only members Node has`)
  for (const [name, reason] of Object.entries(listed)) t.ok(reason.length > 10, `${label}.${name} has a reason`)
}

const connection = new VirtualConnection('127.0.0.1', false)
const ourRequest = new VirtualIncoming({}, connection, { method: 'GET', url: '/', headers: {}, payload: undefined })
const ourResponse = new VirtualOutgoing(ourRequest, () => {}, undefined)
const realRequest = new IncomingMessage(new Socket())
const realResponse = new ServerResponse(realRequest)

t.test('ServerResponse: prototype chain and members', async (t) => {
  t.ok(ourResponse instanceof Stream, 'a legacy Stream, as OutgoingMessage is, so its pipe/EventEmitter members are Node\'s own')
  t.ok(Object.getPrototypeOf(OutgoingMessage.prototype) === Stream.prototype, 'Node\'s OutgoingMessage sits on the same Stream')
  const names = membersOf([ServerResponse.prototype, OutgoingMessage.prototype], realResponse)
  t.comment(`${names.length} ServerResponse members, ${Object.keys(RESPONSE_NOT_EMULATED).length} knowingly not emulated`)
  check(t, 'ServerResponse', names, ourResponse, RESPONSE_NOT_EMULATED)
})

t.test('IncomingMessage: prototype chain and members', async (t) => {
  t.ok(ourRequest instanceof Readable, 'a Readable, as IncomingMessage is, so its stream members are Node\'s own')
  t.ok(Object.getPrototypeOf(IncomingMessage.prototype) === Readable.prototype)
  const names = membersOf([IncomingMessage.prototype], realRequest)
  t.comment(`${names.length} IncomingMessage members, ${Object.keys(REQUEST_NOT_EMULATED).length} knowingly not emulated`)
  check(t, 'IncomingMessage', names, ourRequest, REQUEST_NOT_EMULATED)
})

t.test('the request is a Readable whose state is made on first use, as its constructor would make it', async (t) => {
  const ReadableState = (Readable as unknown as { ReadableState: new (...args: unknown[]) => { autoDestroy: boolean } }).ReadableState
  const req = new VirtualIncoming({}, connection, { method: 'POST', url: '/', headers: {}, payload: '{"a":1}' })
  t.notOk(Object.getOwnPropertyNames(req).includes('_readableState'), 'no state of its own until used')
  const state = (req as unknown as { _readableState: unknown })._readableState
  t.ok(state instanceof ReadableState, 'Node\'s ReadableState')
  t.equal((state as { autoDestroy: boolean }).autoDestroy, false, 'autoDestroy off, as before')
  t.equal((req as unknown as { _readableState: unknown })._readableState, state, 'made once')
  t.equal(req.readableEnded, false)
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  t.equal(Buffer.concat(chunks).toString(), '{"a":1}', 'the body, read as a stream')
  t.equal(req.readableEnded, true)
  t.equal(req.listenerCount('data'), 0)
  const quiet = new VirtualIncoming({}, connection, { method: 'GET', url: '/', headers: {}, payload: undefined })
  t.equal(quiet.httpVersion, '1.1')
  t.same([quiet.httpVersionMajor, quiet.httpVersionMinor, quiet.statusCode, quiet.statusMessage, quiet.upgrade], [1, 1, null, null, false], 'constants from the prototype')
  quiet.on('end', () => {})
  quiet.resume()
  await new Promise<void>((resolve) => quiet.once('end', () => resolve()))
  t.pass('a request without a body ends empty')
})

t.test('the connection has what Fastify and loggers read of a net.Socket', async (t) => {
  t.ok(connection instanceof EventEmitter)
  for (const name of ['remoteAddress', 'remoteFamily', 'encrypted', 'destroyed', 'setTimeout', 'setNoDelay', 'setKeepAlive', 'ref', 'unref', 'destroy']) {
    t.ok(name in connection, name)
  }
})

t.test('values a caller reads without calling anything match a fresh ServerResponse', async (t) => {
  const fresh = new ServerResponse(new IncomingMessage(new Socket()))
  const res = new VirtualOutgoing(new VirtualIncoming({}, connection, { method: 'GET', url: '/', headers: {}, payload: undefined }), () => {}, undefined)
  for (const name of ['statusCode', 'headersSent', 'sendDate', 'writable', 'writableEnded', 'writableFinished', 'finished', 'destroyed',
    'closed', 'errored', 'writableCorked', 'writableObjectMode', 'writableHighWaterMark', 'writableNeedDrain', 'writableLength'] as const) {
    t.same((res as unknown as Record<string, unknown>)[name], (fresh as unknown as Record<string, unknown>)[name], name)
  }
  const req = new IncomingMessage(new Socket())
  // (`upgrade` is null until Node's parser sets it; a parsed request that is not an upgrade has false, as ours)
  t.equal(ourRequest.upgrade, false)
  for (const name of ['statusCode', 'statusMessage', 'rawTrailers', 'trailersDistinct', 'aborted'] as const) {
    t.same((ourRequest as unknown as Record<string, unknown>)[name], (req as unknown as Record<string, unknown>)[name], `request ${name}`)
  }
})
