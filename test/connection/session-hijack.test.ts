// Found while hardening: for Engine.IO 3 clients (sails.io.js) the public socket id IS the Engine.IO session
// id, and Engine.IO lets whoever presents it upgrade the session to their own websocket. lib/session-guard.ts
// refuses that; these tests replay the attack with a raw websocket and raw polling requests.
import t from 'tap'
import { createRequire } from 'node:module'
import { request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { buildApp, connect, request, collect, urlOf, waitFor, type Teardown } from '../helpers/app.js'

const require = createRequire(import.meta.url)
// `ws` (Engine.IO's own websocket server library) and socket.io-client 2 ship no types here: the little used.
interface RawWs { on (event: string, fn: (arg: unknown) => void): void, send (data: string): void, close (): void }
const WebSocket = require('ws') as new (url: string) => RawWs
interface LegacySocket { id: string, connected: boolean, once (e: string, fn: (a?: unknown) => void): void, on (e: string, fn: (a: unknown) => void): void, emit (...args: unknown[]): void, close (): void }
const ioV2 = require('socket.io-client-v2') as (url: string, opts: object) => LegacySocket

async function app (t: Teardown, reached: string[] = []): Promise<FastifyInstance> {
  return await buildApp(t, {}, (app) => {
    app.addHook('onRequest', async (request) => { if (request.isSocket) reached.push(request.url) })
    app.get('/me', async (request) => ({ cookie: request.headers.cookie ?? null }))
  })
}

function engineIdOf (socket: { conn: unknown } | undefined): string | undefined {
  return (socket?.conn as { id?: string } | undefined)?.id
}

async function legacy (t: Teardown, server: FastifyInstance, transports: string[]): Promise<LegacySocket> {
  const socket = ioV2(urlOf(server), { transports, forceNew: true, reconnection: false, extraHeaders: { cookie: 'sid=VICTIM' } })
  t.teardown(() => { socket.close() })
  await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject) })
  return socket
}

/** The attack: open a websocket naming the victim's session, probe, upgrade, then act as the victim. */
async function hijack (server: FastifyInstance, eio: 3 | 4, sid: string): Promise<string[]> {
  const seen: string[] = []
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(urlOf(server)).port}/socket.io/?EIO=${eio}&transport=websocket&sid=${sid}`)
  await new Promise<void>((resolve) => {
    ws.on('open', () => ws.send('2probe'))
    ws.on('message', (data) => {
      const text = String(data)
      seen.push(text)
      if (text === '3probe') {
        ws.send('5')
        setTimeout(() => ws.send('420["get",{"method":"get","url":"/me"}]'), 50)
      }
    })
    ws.on('error', () => resolve())
    ws.on('close', () => resolve())
    // a refused attacker is closed at once; the bound only stops a broken guard from hanging the test,
    // and is wide enough for an unrefused upgrade to show its probe even on a loaded machine
    setTimeout(resolve, 5000)
  })
  ws.close()
  return seen
}

t.test('an EIO3 websocket session cannot be taken over by someone who knows its (public) socket id', async (t) => {
  const server = await app(t)
  const victim = await legacy(t, server, ['websocket'])
  const id = [...server.sockets.io.of('/').sockets.keys()][0] as string
  t.equal(engineIdOf(server.sockets.io.of('/').sockets.get(id)), id, 'for EIO3 the socket id is the session id')
  const privateToVictim: unknown[] = []
  victim.on('private', (m) => privateToVictim.push(m))

  // The private emit goes out once the attack was either refused (its websocket closed) or took the session
  // over (Engine.IO reports the upgrade): a takeover would then hear it.
  const conn = server.sockets.io.of('/').sockets.get(id)?.conn
  const upgraded = new Promise<void>((resolve) => conn?.once('upgrade', () => resolve()))
  const attack = hijack(server, 3, id)
  await Promise.race([attack, upgraded])
  server.sockets.emit(id, 'private', { secret: 42 })
  const seen = await attack
  t.notOk(seen.some((m) => m.includes('secret') || m.includes('VICTIM')), `the attacker saw nothing: ${JSON.stringify(seen)}`)
  t.notOk(seen.includes('3probe'), 'the upgrade was refused before the probe')
  await waitFor(() => privateToVictim.length > 0, 'the victim\'s private emit', 5000)
  t.same(privateToVictim, [{ secret: 42 }], 'the victim still gets its own emits')
  const jwr = await new Promise((resolve) => victim.emit('get', { method: 'get', url: '/me' }, resolve))
  t.same((jwr as { body: unknown }).body, { cookie: 'sid=VICTIM' }, 'and its socket still works')
})

t.test('an EIO4 websocket session refuses any second request naming it', async (t) => {
  const server = await app(t)
  const victim = await connect(t, server)
  const engineId = engineIdOf([...server.sockets.io.of('/').sockets.values()][0]) as string
  const heard = collect(victim, 'private')
  const seen = await hijack(server, 4, engineId)
  t.notOk(seen.includes('3probe'), 'refused')
  t.equal((await request(victim, 'get', '/me')).statusCode, 200, 'the victim is unaffected')
  t.same(heard, [])
})

function rawPoll (server: FastifyInstance, sid: string, localAddress: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${urlOf(server)}/socket.io/?EIO=3&transport=polling&sid=${sid}`, {
      method: body === undefined ? 'GET' : 'POST', localAddress, agent: false, headers: { 'content-type': 'text/plain;charset=UTF-8' }
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('an EIO3 polling session only takes requests from the address it opened from', async (t) => {
  const reached: string[] = []
  const server = await app(t, reached)
  const victim = await legacy(t, server, ['polling'])
  const id = [...server.sockets.io.of('/').sockets.keys()][0] as string
  const packet = '42["get",{"method":"get","url":"/me?forged=1"}]'
  t.equal(await rawPoll(server, id, '127.0.0.2', `${packet.length}:${packet}`), 400, 'a POST into the session from another address is refused')
  t.equal(await rawPoll(server, id, '127.0.0.2'), 400, 'so is a poll')
  // a packet taken into the session would run before the victim's next request on that same session
  const jwr = await new Promise((resolve) => victim.emit('get', { method: 'get', url: '/me' }, resolve))
  t.same(reached, ['/me'], 'the forged packet never reached a route (the victim\'s own request did)')
  t.same((jwr as { body: unknown }).body, { cookie: 'sid=VICTIM' }, 'the victim keeps working over polling')
})

t.test('legitimate upgrades still work: EIO3 and EIO4 clients going from polling to websocket', async (t) => {
  const server = await app(t)
  const old = await legacy(t, server, ['polling', 'websocket'])
  const modern = await connect(t, server, { transports: ['polling', 'websocket'] })
  const upgraded = (): number => [...server.sockets.io.of('/').sockets.values()].filter((s) => s.conn.transport.name === 'websocket').length
  await waitFor(() => upgraded() === 2, 'both clients to upgrade', 5000)
  t.equal(upgraded(), 2, 'both upgraded to websocket')
  t.equal((await request(modern, 'get', '/me')).statusCode, 200)
  const jwr = await new Promise((resolve) => old.emit('get', { method: 'get', url: '/me' }, resolve))
  t.equal((jwr as { statusCode: number }).statusCode, 200)
})
