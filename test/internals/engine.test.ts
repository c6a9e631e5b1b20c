// Every Engine.IO internal that lib/connection/engine.ts types, checked against a real socket.io server and
// real clients (EIO4 over websocket and polling, EIO3 through socket.io-client 2): an Engine.IO upgrade that
// renames, retypes or drops one of them fails here, loudly, rather than somewhere in the session guard or
// the close choreography.
import t, { type Test } from 'tap'
import { createRequire } from 'node:module'
import { request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import {
  connectionById, dropConnection, onEngineConnection, openConnections, pendingPollResponse, queryOf, useEngineMiddleware,
  websocketBufferedBytes, type EngineConnection, type EngineRequest
} from '../../lib/connection/engine.js'
import { forceCloseTransports, openTransports } from '../../lib/connection/shutdown.js'
import { buildApp, connect, urlOf, waitFor, type Teardown } from '../helpers/app.js'

const require = createRequire(import.meta.url)
interface LegacySocket { connected: boolean, once (event: string, fn: (arg?: unknown) => void): void, close (): void }
const ioV2 = require('socket.io-client-v2') as (url: string, opts: object) => LegacySocket

async function legacy (t: Teardown, app: FastifyInstance, transports: string[]): Promise<LegacySocket> {
  const socket = ioV2(urlOf(app), { transports, forceNew: true, reconnection: false })
  t.teardown(() => { socket.close() })
  await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject) })
  return socket
}

/** The Engine.IO server itself, untyped: what engine.ts reads of it is checked against this. */
function rawEngine (app: FastifyInstance): Record<string, unknown> {
  return app.sockets.io.engine as unknown as Record<string, unknown>
}

/** Checks one connection against every field engine.ts types; `what` names the client. */
function checkConnection (t: Test, conn: EngineConnection | undefined, what: string, protocol: 3 | 4, transport: 'websocket' | 'polling'): void {
  t.ok(conn, `${what}: connectionById finds the connection by its session id`)
  if (conn === undefined) return
  t.equal(conn.protocol, protocol, `${what}: protocol is the number ${protocol}`)
  t.equal(typeof conn.remoteAddress, 'string', `${what}: remoteAddress is a string`)
  t.match(conn.remoteAddress, /127\.0\.0\.1$/, `${what}: the client's address`)
  t.equal(conn.readyState, 'open', `${what}: readyState is the string 'open'`)
  t.ok(Array.isArray(conn.writeBuffer), `${what}: writeBuffer is an array`)
  t.equal(typeof conn.transport, 'object', `${what}: transport is an object`)
  t.equal(conn.transport?.name, transport, `${what}: transport.name is '${transport}'`)
  t.equal(conn.transport?.readyState, 'open', `${what}: transport.readyState is the string 'open'`)
  t.notOk(typeof conn.transport?.shouldClose === 'function', `${what}: no close is pending (shouldClose unset)`)
}

t.test('the Engine.IO server: clients is a record by session id, use() adds a middleware', async (t) => {
  const app = await buildApp(t)
  const engine = rawEngine(app)
  t.equal(typeof engine.clients, 'object', 'clients is an object')
  t.notOk(Array.isArray(engine.clients), 'not an array')
  t.equal(typeof engine.use, 'function', 'use is a function')
  t.same(openConnections(app.sockets.io), [], 'no client, no connection')
  t.equal(connectionById(app.sockets.io, 'no-such-session'), undefined, 'an unknown session id')
  t.equal(connectionById(app.sockets.io, 'constructor'), undefined, 'an inherited name is not a session')
  t.equal(connectionById(app.sockets.io, '__proto__'), undefined)
})

t.test('every connection field, for EIO4 and EIO3 clients over websocket and polling', async (t) => {
  const seen: Array<{ query: unknown, typeOfQuery: string }> = []
  const app = await buildApp(t, {}, (app) => {
    useEngineMiddleware(app.sockets.io, (req: EngineRequest, _res, next) => {
      seen.push({ query: queryOf(req), typeOfQuery: typeof req._query })
      next()
    })
  })
  const io = app.sockets.io
  const engineIdOf = (socketId: string | undefined): string => (io.of('/').sockets.get(socketId ?? '')?.conn as unknown as { id: string }).id

  const ws4 = await connect(t, app)
  checkConnection(t, connectionById(io, engineIdOf(ws4.id)), 'EIO4 websocket', 4, 'websocket')
  const poll4 = await connect(t, app, { transports: ['polling'] })
  checkConnection(t, connectionById(io, engineIdOf(poll4.id)), 'EIO4 polling', 4, 'polling')
  await legacy(t, app, ['websocket'])
  await legacy(t, app, ['polling'])
  const legacyConns = Object.values(rawEngine(app).clients as Record<string, EngineConnection>).filter((conn) => conn.protocol === 3)
  t.equal(legacyConns.length, 2, 'two EIO3 connections')
  for (const conn of legacyConns) {
    const name = conn.transport?.name === 'websocket' ? 'websocket' : 'polling'
    checkConnection(t, conn, `EIO3 ${name}`, 3, name)
  }
  t.same(legacyConns.map((conn) => conn.transport?.name).sort(), ['polling', 'websocket'])
  t.equal(openConnections(io).length, 4, 'openConnections lists every open connection')
  t.equal(openTransports(io).length, 4, 'and each has a transport')

  t.ok(seen.length > 0, 'the middleware ran')
  t.ok(seen.every((request) => request.typeOfQuery === 'object'), '_query is an object on every middleware request')
  const queries = seen.map((request) => request.query as Record<string, unknown>)
  t.ok(queries.every((query) => Object.values(query).every((value) => typeof value === 'string')), 'of strings')
  t.same([...new Set(queries.map((query) => query.EIO))].sort(), ['3', '4'], 'with EIO as text, for both protocols')
  t.same([...new Set(queries.map((query) => query.transport))].sort(), ['polling', 'websocket'], 'and the transport')
  t.ok(queries.some((query) => query.sid === undefined), 'a handshake carries no sid')
  const withSid = queries.filter((query) => typeof query.sid === 'string')
  t.ok(withSid.length > 0, 'requests of a session carry its sid')
  t.ok(withSid.every((query) => connectionById(io, query.sid as string) !== undefined), 'the sid in _query is the key of clients')
})

interface Reply { status: number, text: string }

function poll (app: FastifyInstance, query: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${urlOf(app)}/socket.io/?EIO=4&transport=polling${query}`, {
      method: body === undefined ? 'GET' : 'POST', agent: false, headers: { 'content-type': 'text/plain;charset=UTF-8' }
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('writeBuffer holds what waits for the next poll; transport.shouldClose while a polling close waits', async (t) => {
  const app = await buildApp(t)
  const io = app.sockets.io
  // A raw polling client that polls only when the test says: Engine.IO must queue for it.
  const open = await poll(app, '')
  t.equal(open.status, 200, 'handshake')
  const sid = (JSON.parse(open.text.slice(1)) as { sid: string }).sid
  const conn = connectionById(io, sid)
  checkConnection(t, conn, 'raw EIO4 polling', 4, 'polling')
  if (conn === undefined) return
  t.same(conn.writeBuffer, [], 'nothing queued after the handshake')

  t.equal((await poll(app, `&sid=${sid}`, '40')).status, 200, 'socket.io CONNECT posted')
  await waitFor(() => conn.writeBuffer.length > 0, 'the CONNECT answer to wait in writeBuffer')
  t.equal(conn.writeBuffer.length, 1, 'one packet queued: no poll is pending to take it')
  const drained = await poll(app, `&sid=${sid}`)
  t.match(drained.text, /^40\{"sid":/, 'the next poll takes it')
  t.same(conn.writeBuffer, [], 'and writeBuffer is empty again')

  const transports = openTransports(io)
  const transport = conn.transport
  t.ok(transport !== undefined && transports.includes(transport), 'openTransports holds this connection\'s transport')
  // the public close, on the Engine.IO socket: with no poll pending, Engine.IO keeps a close packet for the next one
  const engineSocket = (rawEngine(app).clients as Record<string, { close (): void }>)[sid]
  engineSocket?.close()
  t.equal(typeof transport?.shouldClose, 'function', 'shouldClose is the pending close, a function')
  t.equal(typeof transport?.readyState, 'string', 'the transport\'s readyState is still a string')
  t.equal(openConnections(io).length, 1, 'the connection is still open, waiting for its client')

  forceCloseTransports(transports)
  t.equal(conn.readyState, 'closed', 'calling the pending close ends the connection at once')
  t.same(openConnections(io), [], 'and it leaves the open connections')
  t.equal(connectionById(io, sid), undefined, 'and clients')
  forceCloseTransports(transports)
  t.pass('calling it again is harmless')
})

t.test('what the slow-consumer bound reads: packetCreate and flush, the pending poll, the websocket buffer, the drop', async (t) => {
  const app = await buildApp(t)
  const io = app.sockets.io
  const events: string[] = []
  const polls: unknown[] = []
  onEngineConnection(io, (conn) => {
    t.equal(typeof conn.id, 'string', 'a connection has its session id')
    conn.on('packetCreate', (packet) => { events.push(`create:${packet.type}:${typeof packet.data}`) })
    conn.on('flush', () => { events.push('flush'); if (conn.transport?.name === 'polling') polls.push(pendingPollResponse(conn)) })
  })
  const polling = await connect(t, app, { transports: ['polling'] })
  t.ok(events.includes('create:message:string'), 'packetCreate carries the encoded packet, data a string')
  t.ok(events.includes('flush'), 'flush is emitted')
  t.ok(polls.length > 0 && polls.every((res) => res !== undefined && typeof (res as { writableLength?: unknown }).writableLength === 'number'),
    'at a polling flush, transport.res is the pending poll\'s response')
  const ws = await connect(t, app)
  const wsConn = io.of('/').sockets.get(ws.id ?? '')?.conn as unknown as EngineConnection
  t.equal(websocketBufferedBytes(wsConn), 0, 'transport.socket.bufferedAmount is a number (nothing waits)')
  const pollConn = io.of('/').sockets.get(polling.id ?? '')?.conn as unknown as EngineConnection
  t.equal(websocketBufferedBytes(pollConn), 0, 'a polling connection has no websocket buffer')
  t.equal(pendingPollResponse(wsConn), undefined, 'a websocket connection has no pending poll')

  const reasons: string[] = []
  for (const socket of io.of('/').sockets.values()) socket.on('disconnect', (reason) => reasons.push(reason))
  const gone = Promise.all([polling, ws].map(async (client) => await new Promise((resolve) => client.once('disconnect', resolve))))
  dropConnection(wsConn, 'TEST_REASON')
  dropConnection(pollConn, 'TEST_REASON')
  t.same(reasons, ['TEST_REASON', 'TEST_REASON'], 'onClose(reason): socket.io\'s disconnect gets the reason, at once')
  t.same(openConnections(io), [], 'both connections are closed')
  await gone
  t.pass('both clients see the connection end (discard, terminate)')
})
