// The origin rule on every Engine.IO request, not only the handshake: a page on another origin that knows a
// session id must not POST packets into it, poll it, or upgrade it to its own websocket. Replayed from raw
// HTTP (Engine.IO 3, as socket.io-client 2 and sails.io.js speak it, and Engine.IO 4) and from a real
// Chromium page on another origin.
import t, { type Test } from 'tap'
import { createRequire } from 'node:module'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp, urlOf, waitFor, type Teardown } from '../helpers/app.js'
import { browserSkip, launch, WAIT } from '../helpers/browser.js'

const require = createRequire(import.meta.url)
interface RawWs { on (event: string, fn: (...args: unknown[]) => void): void, close (): void }
const WebSocket = require('ws') as new (url: string, opts: { origin?: string, headers?: Record<string, string> }) => RawWs
interface LegacySocket { id: string, once (e: string, fn: (a?: unknown) => void): void, on (e: string, fn: (a: unknown) => void): void, emit (...args: unknown[]): void, close (): void }
const ioV2 = require('socket.io-client-v2') as (url: string, opts: object) => LegacySocket

const EVIL = 'https://evil.example'

/** The app under attack: `/me` answers the caller's cookie, and every socket request reaching a route is noted. */
async function target (t: Teardown, allowedOrigins: string[], reached: string[]): Promise<FastifyInstance> {
  return await buildApp(t, { allowedOrigins }, (app) => {
    app.addHook('onRequest', async (request) => { if (request.isSocket) reached.push(request.url) })
    app.get('/me', async (request) => ({ cookie: request.headers.cookie ?? null }))
  })
}

interface Answer { status: number, body: string }

function raw (app: FastifyInstance, query: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${urlOf(app)}/socket.io/?${query}`, {
      method: body === undefined ? 'GET' : 'POST', agent: false, headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }
    }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => { text += chunk.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A websocket "upgrade" of the session: the HTTP status it is answered with (101 when it opened). */
function upgrade (app: FastifyInstance, query: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(urlOf(app)).port}/socket.io/?${query}`, { headers })
    ws.on('open', () => { resolve(101); ws.close() })
    ws.on('unexpected-response', (_req, res) => { resolve((res as { statusCode: number }).statusCode) })
    ws.on('error', () => resolve(0))
  })
}

function refusedWithCode (t: Test, answer: Answer, what: string): void {
  t.equal(answer.status, 403, `${what}: 403`)
  t.match(JSON.parse(answer.body), { statusCode: 403, code: 'FST_SOCKETS_ORIGIN_REFUSED', message: /origin/ }, `${what}: with the coded reason`)
}

const ATTACKERS: Array<[string, Record<string, string>]> = [
  ['another origin', { origin: EVIL }],
  ['no Origin, Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }]
]

t.test('Engine.IO 3 (socket.io-client 2): a cross-site POST, poll or upgrade of a known session is refused', async (t) => {
  const reached: string[] = []
  const app = await target(t, ['https://app.example.com'], reached)
  const victim = ioV2(urlOf(app), { transports: ['polling'], forceNew: true, reconnection: false, extraHeaders: { origin: 'https://app.example.com', cookie: 'sid=VICTIM' } })
  t.teardown(() => { victim.close() })
  await new Promise<void>((resolve, reject) => { victim.once('connect', () => resolve()); victim.once('connect_error', reject) })
  const sid = [...app.sockets.io.of('/').sockets.keys()][0] as string // EIO3: the public socket id is the session id
  const session = `EIO=3&transport=polling&sid=${sid}`
  const packet = '420["get",{"method":"get","url":"/me?forged=1"}]'

  for (const [who, headers] of ATTACKERS) {
    refusedWithCode(t, await raw(app, session, headers, `${packet.length}:${packet}`), `POST of a packet from ${who}`)
    refusedWithCode(t, await raw(app, session, headers), `poll from ${who}`)
    t.equal(await upgrade(app, `EIO=3&transport=websocket&sid=${sid}`, headers), 403, `upgrade from ${who}: 403`)
  }
  const jwr = await new Promise((resolve) => victim.emit('get', { method: 'get', url: '/me' }, resolve))
  t.same((jwr as { body: unknown }).body, { cookie: 'sid=VICTIM' }, 'the victim keeps working')
  t.same(reached, ['/me'], 'no forged packet reached a route')
  t.equal(app.sockets.io.of('/').sockets.get(sid)?.conn.transport.name, 'polling', 'the session was not upgraded')

  // the control: the same POST from the allowed origin is taken (the origin is what stopped it)
  t.equal((await raw(app, session, { origin: 'https://app.example.com' }, `${packet.length}:${packet}`)).status, 200)
  await waitFor(() => reached.includes('/me?forged=1'), 'the allowed-origin packet to reach the route')
})

t.test('Engine.IO 4: a cross-site POST, poll or upgrade of a known session is refused', async (t) => {
  const reached: string[] = []
  const allowed = { origin: 'https://app.example.com' }
  const app = await target(t, [allowed.origin], reached)
  const open = await raw(app, 'EIO=4&transport=polling', allowed)
  const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid
  const session = `EIO=4&transport=polling&sid=${sid}`
  t.equal((await raw(app, session, allowed, '40')).status, 200, 'the victim connects its namespace')
  t.match((await raw(app, session, allowed)).body, /^40\{"sid"/, 'and is connected')
  const packet = '420["get",{"method":"get","url":"/me?forged=1"}]'

  for (const [who, headers] of ATTACKERS) {
    refusedWithCode(t, await raw(app, session, headers, packet), `POST of a packet from ${who}`)
    refusedWithCode(t, await raw(app, session, headers), `poll from ${who}`)
    t.equal(await upgrade(app, `EIO=4&transport=websocket&sid=${sid}`, headers), 403, `upgrade from ${who}: 403`)
  }
  t.same(reached, [], 'no forged packet reached a route')
  t.equal((await raw(app, session, allowed, packet)).status, 200, 'control: the allowed origin posts into its session')
  t.match((await raw(app, session, allowed)).body, /^430\[/, 'and reads its answer')
  t.same(reached, ['/me?forged=1'])
  refusedWithCode(t, await raw(app, 'EIO=4&transport=polling', { origin: EVIL }), 'a cross-site handshake, as before')
})

// The page an attacker serves on its own origin: it knows the victim's session id (ids are public) and
// tries, in the browser, to post a packet into the session and to take it over with a websocket.
const ATTACK_PAGE = `<!doctype html><script>
window.attack = async (base, sid) => {
  const result = { upgrade: 'pending' }
  const packet = '420["get",{"method":"get","url":"/me?from=evil-page"}]'
  try {
    await fetch(base + '/socket.io/?EIO=3&transport=polling&sid=' + sid, { method: 'POST', mode: 'no-cors', credentials: 'include', body: packet.length + ':' + packet })
    result.post = 'sent'
  } catch (err) { result.post = 'failed: ' + err.message }
  result.upgrade = await new Promise((resolve) => {
    const ws = new WebSocket(base.replace('http', 'ws') + '/socket.io/?EIO=3&transport=websocket&sid=' + sid)
    ws.onopen = () => { ws.send('2probe') }
    ws.onmessage = (m) => { if (m.data === '3probe') { ws.send('5'); resolve('taken over') } }
    ws.onerror = () => resolve('refused')
    ws.onclose = () => resolve('refused')
  })
  return result
}
</script>`

t.test('from a real Chromium page on another origin: the victim\'s Engine.IO 3 session stays its own', { skip: browserSkip() }, async (t) => {
  const evil = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(ATTACK_PAGE) })
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => evil.close(resolve)))
  const evilOrigin = `http://localhost:${(evil.address() as AddressInfo).port}`
  const browser = await launch(t)

  // the same attack against an app that allows the attacker's origin shows it would succeed
  for (const [label, allowEvil] of [['refused', false], ['control: succeeds when the origin is allowed', true]] as const) {
    const reached: string[] = []
    const app = await target(t, ['https://app.example.com', ...(allowEvil ? [evilOrigin] : [])], reached)
    const victim = ioV2(urlOf(app), { transports: ['polling'], forceNew: true, reconnection: false, extraHeaders: { origin: 'https://app.example.com' } })
    t.teardown(() => { victim.close() })
    await new Promise<void>((resolve, reject) => { victim.once('connect', () => resolve()); victim.once('connect_error', reject) })
    const sid = [...app.sockets.io.of('/').sockets.keys()][0] as string
    const page = await browser.newPage()
    await page.goto(evilOrigin, WAIT)
    const result = await page.evaluate(async ([base, id]) => await (window as unknown as { attack: (b: string, s: string) => Promise<{ post: string, upgrade: string }> }).attack(base, id), [urlOf(app), sid] as const)
    await page.close()
    if (allowEvil) {
      t.equal(result.upgrade, 'taken over', `${label}: the page took the session over`)
      await waitFor(() => reached.includes('/me?from=evil-page'), 'the page\'s packet to reach the route')
    } else {
      t.equal(result.post, 'sent', 'the browser sent the cross-site POST (no-cors)')
      t.equal(result.upgrade, 'refused', `${label}: the upgrade`)
      const jwr = await new Promise((resolve) => victim.emit('get', { method: 'get', url: '/me' }, resolve))
      t.equal((jwr as { statusCode: number }).statusCode, 200, 'the victim keeps working')
      t.same(reached, ['/me'], 'the page\'s packet never reached a route')
      t.equal(app.sockets.io.of('/').sockets.get(sid)?.conn.transport.name, 'polling', 'the session is still the victim\'s polling one')
    }
  }
})
