// The per-socket cookie jar, case by case, over real sockets: Path, Expires/Max-Age and deletion, Secure only
// over an https handshake, host-only versus Domain cookies against the handshake host, jar cookies in place of
// the handshake's of the same name, the bounds (with a log line per refused cookie), no jar until an answer
// sets a cookie, the jar dropped on disconnect, and the option that turns it off. In both dispatch modes.
import t from 'tap'
import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Socket as ServerSocket } from 'socket.io'
import type { Socket as ClientSocket } from 'socket.io-client'
import { buildApp, connect, request, waitFor, type Teardown } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'
import { kSocketState } from '../../lib/symbols.js'
import type { FastifySocketsOptions } from '../../lib/index.js'

const TLS = {
  key: readFileSync(new URL('../fixtures/tls/localhost.key', import.meta.url)),
  cert: readFileSync(new URL('../fixtures/tls/localhost.crt', import.meta.url))
}

interface LogLine { level: number, msg: string, err?: { code?: string, message?: string }, socketId?: string }

function routes (app: FastifyInstance): void {
  // any path: answers the Cookie header it got; `set` gives the set-cookie lines to answer with
  app.post('/*', async (request, reply) => {
    const set = (request.body as { set?: string[] } | undefined)?.set
    if (set !== undefined) reply.header('set-cookie', set)
    return { cookie: request.headers.cookie ?? null }
  })
}

async function setup (t: Teardown, opts: FastifySocketsOptions, fastifyOpts: FastifyServerOptions = {}): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const logs: LogLine[] = []
  const stream = { write: (line: string) => { logs.push(JSON.parse(line) as LogLine) } }
  const app = await buildApp(t, opts, routes, { logger: { level: 'warn', stream }, ...fastifyOpts })
  return { app, logs }
}

// The Cookie header a request to `path` carried (`set`: the set-cookie lines its answer gives).
async function cookieOf (socket: ClientSocket, path: string, set?: string[]): Promise<string | null> {
  const jwr = await request(socket, 'post', path, set === undefined ? {} : { set })
  if (jwr.headers['set-cookie'] !== undefined) throw new Error('set-cookie reached the client')
  return (jwr.body as { cookie: string | null }).cookie
}

function serverSocket (app: FastifyInstance, client: ClientSocket): ServerSocket {
  return app.sockets.io.sockets.sockets.get(client.id as string) as ServerSocket
}

function jarOf (socket: ServerSocket): unknown {
  return (socket as unknown as Record<symbol, { jar: unknown } | undefined>)[kSocketState]?.jar
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: a cookie-less socket keeps what its answers set; no jar until one does; dropped on disconnect`, async (t) => {
    const { app } = await setup(t, { dispatch })
    const socket = await connect(t, app)
    const server = serverSocket(app, socket)
    t.equal(await cookieOf(socket, '/a'), null)
    t.equal(jarOf(server), undefined, 'answers without set-cookie: no jar at all')
    t.equal(await cookieOf(socket, '/a', ['sid=1; Path=/; HttpOnly', 'theme=dark']), null, 'the answer that sets them did not carry them')
    t.equal(await cookieOf(socket, '/a'), 'sid=1; theme=dark', 'the next request carries them (HttpOnly too)')
    t.ok(jarOf(server) !== undefined, 'the socket has a jar now')
    const gone = new Promise<void>((resolve) => server.once('disconnect', () => { setImmediate(resolve) }))
    socket.disconnect()
    await gone
    t.equal(jarOf(server), undefined, 'dropped on disconnect')
    const again = await connect(t, app)
    t.equal(await cookieOf(again, '/a'), null, 'a new connection starts with the handshake\'s cookies only')
  })

  t.test(`${dispatch}: Path, default path, Max-Age, Expires and deletion`, async (t) => {
    const { app } = await setup(t, { dispatch })
    const socket = await connect(t, app)
    await cookieOf(socket, '/app/sub/login', ['scoped=1; Path=/app', 'defaulted=2'])
    t.equal(await cookieOf(socket, '/app/x'), 'scoped=1', 'Path=/app applies under /app; the default path is /app/sub')
    t.equal(await cookieOf(socket, '/app/sub/y'), 'defaulted=2; scoped=1', 'both under /app/sub (longer path first)')
    t.equal(await cookieOf(socket, '/other'), null, 'neither elsewhere')
    t.equal(await cookieOf(socket, '/applesauce'), null, '/app does not match /applesauce')

    await cookieOf(socket, '/', ['long=1; Max-Age=3600', 'brief=1; Max-Age=1', 'dated=1; Expires=Wed, 01 Jan 2200 00:00:00 GMT'])
    t.equal(await cookieOf(socket, '/'), 'long=1; brief=1; dated=1')
    await cookieOf(socket, '/', ['long=; Max-Age=0', 'dated=; Expires=Thu, 01 Jan 1970 00:00:00 GMT'])
    t.equal(await cookieOf(socket, '/'), 'brief=1', 'Max-Age=0 and a past Expires delete')
    // a deadline, not a sleep: the cookie must lapse within a few seconds of its Max-Age
    await waitFor(async () => await cookieOf(socket, '/') === null, 'the Max-Age=1 cookie to expire', 5000)
    t.pass('Max-Age=1 expired')
  })

  t.test(`${dispatch}: jar cookies replace the handshake's of the same name, deletions included`, async (t) => {
    const { app } = await setup(t, { dispatch })
    const socket = await connect(t, app, { extraHeaders: { cookie: 'sid=old; theme=dark' } })
    t.equal(await cookieOf(socket, '/'), 'sid=old; theme=dark')
    await cookieOf(socket, '/', ['sid=new; Path=/'])
    t.equal(await cookieOf(socket, '/'), 'theme=dark; sid=new', 'one sid, the new one')
    await cookieOf(socket, '/admin', ['sid=admin; Path=/admin'])
    t.equal(await cookieOf(socket, '/admin/x'), 'theme=dark; sid=admin; sid=new', 'under /admin both jar cookies, the longer path first')
    await cookieOf(socket, '/', ['sid=; Max-Age=0; Path=/', 'sid=; Max-Age=0; Path=/admin'])
    t.equal(await cookieOf(socket, '/'), 'theme=dark', 'deleted: the handshake\'s old sid does not come back (a logout stays a logout)')
    t.equal(await cookieOf(socket, '/admin'), 'theme=dark')
    t.equal(await cookieOf(socket, '/', []), 'theme=dark')
    const perRequest = await request(socket, 'post', '/', {}, { cookie: 'sid=forged' })
    t.same(perRequest.body, { cookie: 'theme=dark' }, 'a per-request cookie still does not apply when the handshake had one')
  })

  t.test(`${dispatch}: without a handshake cookie, a per-request cookie applies and jar cookies replace it by name`, async (t) => {
    const { app } = await setup(t, { dispatch })
    const socket = await connect(t, app)
    await cookieOf(socket, '/', ['sid=jar'])
    const jwr = await request(socket, 'post', '/', {}, { cookie: 'sid=given; lang=fr' })
    t.same(jwr.body, { cookie: 'lang=fr; sid=jar' })
  })

  t.test(`${dispatch}: Secure cookies need an https handshake`, async (t) => {
    const plain = await setup(t, { dispatch })
    const socket = await connect(t, plain.app)
    await cookieOf(socket, '/', ['secret=1; Secure', 'open=1', '__Host-h=1; Secure; Path=/'])
    t.equal(await cookieOf(socket, '/'), 'open=1', 'over plain http (even on 127.0.0.1) Secure cookies are refused')
    t.match(plain.logs.filter((l) => l.err?.code === 'FST_SOCKETS_COOKIE_REFUSED').map((l) => l.err?.message),
      [/'secret'.*Secure/, /'__Host-h'/], 'each refusal is logged with the cookie name and the reason')
    t.notOk(JSON.stringify(plain.logs).includes('secret=1'), 'never the value')

    const proxied = await connect(t, plain.app, { extraHeaders: { 'x-forwarded-proto': 'https' } })
    await cookieOf(proxied, '/', ['secret=2; Secure'])
    t.equal(await cookieOf(proxied, '/'), 'secret=2', 'behind a TLS proxy (x-forwarded-proto: https) they are kept')

    const tls = await setup(t, { dispatch }, { https: TLS } as unknown as FastifyServerOptions)
    const address = tls.app.server.address() as { port: number }
    const secure = await connect(t, `https://localhost:${address.port}`, { rejectUnauthorized: false })
    await cookieOf(secure, '/', ['secret=3; Secure', '__Host-h=3; Secure; Path=/'])
    t.equal(await cookieOf(secure, '/'), 'secret=3; __Host-h=3', 'over a TLS handshake they are kept')
  })

  t.test(`${dispatch}: host-only and Domain cookies against the handshake host`, async (t) => {
    const { app, logs } = await setup(t, { dispatch })
    const socket = await connect(t, app, { extraHeaders: { host: 'app.example.com' } })
    await cookieOf(socket, '/', ['hostonly=1', 'parent=1; Domain=example.com', 'dotted=1; Domain=.app.example.com',
      'foreign=1; Domain=evil.com', 'suffix=1; Domain=com', 'child=1; Domain=api.app.example.com'])
    t.equal(await cookieOf(socket, '/'), 'hostonly=1; parent=1; dotted=1', 'the host and its parent domains; never another site, a public suffix or a subdomain')
    t.same(logs.filter((l) => l.err?.code === 'FST_SOCKETS_COOKIE_REFUSED').map((l) => /cookie '([^']+)'/.exec(l.err?.message ?? '')?.[1]),
      ['foreign', 'suffix', 'child'], 'the three refusals are logged')
  })

  t.test(`${dispatch}: the jar is bounded per domain as a browser's; a refused cookie is logged`, async (t) => {
    const { app, logs } = await setup(t, { dispatch, cookieJar: { maxCookiesPerDomain: 3, maxBytesPerDomain: 100 } })
    const socket = await connect(t, app)
    await cookieOf(socket, '/', ['a=1', 'b=2', 'c=3', 'd=4'])
    t.equal(await cookieOf(socket, '/'), 'a=1; b=2; c=3', 'the fourth is refused; none is evicted')
    await cookieOf(socket, '/', ['b=22'])
    t.equal(await cookieOf(socket, '/'), 'a=1; b=22; c=3', 'replacing one is not adding one')
    await cookieOf(socket, '/', ['c=; Max-Age=0', 'e=' + 'x'.repeat(96)])
    t.equal(await cookieOf(socket, '/'), 'a=1; b=22', 'a deletion frees a place, but 97 bytes more would pass 100')
    await cookieOf(socket, '/', ['e=' + 'x'.repeat(80)])
    t.equal(await cookieOf(socket, '/'), `a=1; b=22; e=${'x'.repeat(80)}`, '86 bytes in all fit')
    const refused = logs.filter((l) => l.err?.code === 'FST_SOCKETS_COOKIE_REFUSED')
    t.equal(refused.length, 2, 'one log line per refused cookie')
    t.match(refused[0]?.err?.message, /'d'.*3 cookies/)
    t.match(refused[1]?.err?.message, /'e'.*100 bytes/)
    t.equal(refused[0]?.socketId, socket.id, 'with the socket id')

    const big = await setup(t, { dispatch })
    const other = await connect(t, big.app)
    await cookieOf(other, '/', ['huge=' + 'y'.repeat(4093), 'fits=' + 'z'.repeat(4092)])
    t.equal(await cookieOf(other, '/'), 'fits=' + 'z'.repeat(4092), 'a cookie over 4096 bytes of name and value is refused, one of 4096 kept')
  })

  t.test(`${dispatch}: a handshake host that is not a host name: no jar, one log line`, async (t) => {
    const { app, logs } = await setup(t, { dispatch })
    const socket = await connect(t, app, { extraHeaders: { host: 'not a host' } })
    await cookieOf(socket, '/', ['sid=1'])
    await cookieOf(socket, '/', ['sid=2'])
    t.equal(await cookieOf(socket, '/'), null)
    t.equal(jarOf(serverSocket(app, socket)), null, 'no jar for this socket')
    t.equal(logs.filter((l) => l.msg.includes('keeps no cookies')).length, 1, 'said once')
  })

  t.test(`${dispatch}: cookieJar: false keeps nothing`, async (t) => {
    const { app } = await setup(t, { dispatch, cookieJar: false })
    const socket = await connect(t, app, { extraHeaders: { cookie: 'sid=hs' } })
    await cookieOf(socket, '/', ['sid=new', 'x=1'])
    t.equal(await cookieOf(socket, '/'), 'sid=hs', 'the handshake cookie only, as in Sails')
    t.equal(jarOf(serverSocket(app, socket)), undefined)
  })
}
