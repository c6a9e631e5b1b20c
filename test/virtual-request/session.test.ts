// @fastify/session over a socket that connected without a cookie: the socket's cookie jar keeps the session
// cookie, so it keeps one session across its requests (what Sails gives every socket), and login,
// session.regenerate() and logout take effect for that socket, step for step as for a browser over HTTP.
import t from 'tap'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'
import { HttpClient } from '../helpers/http-client.js'
import type { FastifySocketsOptions } from '../../lib/index.js'

// @fastify/session and @fastify/secure-session both declare `request.session`; this suite compiles with both
interface Session { views?: number, user?: string, sessionId: string, regenerate (): Promise<void>, destroy (): Promise<void> }
const sessionOf = (request: FastifyRequest): Session => (request as unknown as { session: Session }).session

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: 'a secret with minimum length of 32 characters', cookie: { secure: false } })
  app.post('/views', async (request) => {
    const session = sessionOf(request)
    session.views = (session.views ?? 0) + 1
    return { views: session.views, user: session.user ?? null }
  })
  app.post('/login', async (request) => {
    const before = sessionOf(request).sessionId
    await sessionOf(request).regenerate()
    sessionOf(request).user = (request.body as { user: string }).user
    return { regenerated: before !== sessionOf(request).sessionId }
  })
  app.post('/me', async (request) => ({ user: sessionOf(request).user ?? null, views: sessionOf(request).views ?? 0 }))
  app.post('/logout', async (request) => { await sessionOf(request).destroy(); return { out: true } })
}

// One script a front end runs, step by step; the answers must be the same over HTTP and over the socket.
const SCRIPT: Array<[string, unknown?]> = [
  ['/views'], ['/views'], ['/views'],
  ['/login', { user: 'ada' }], ['/me'], ['/views'],
  ['/login', { user: 'grace' }], ['/me'],
  ['/logout'], ['/me'], ['/views']
]

async function run (call: (path: string, data?: unknown) => Promise<unknown>): Promise<unknown[]> {
  const out: unknown[] = []
  for (const [path, data] of SCRIPT) out.push(await call(path, data ?? {}))
  return out
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: a cookie-less socket keeps one session; login, regenerate and logout take effect, as over HTTP`, async (t) => {
    const app = await buildApp(t, { dispatch }, routes)
    const browser = new HttpClient(urlOf(app))
    const overHttp = await run(async (path, data) => (await browser.call('post', path, data)).body)
    const socket = await connect(t, app)
    const overSocket = await run(async (path, data) => (await request(socket, 'post', path, data)).body)
    t.same(overSocket, overHttp, 'the same answers, step for step')
    t.same(overSocket.slice(0, 3), [{ views: 1, user: null }, { views: 2, user: null }, { views: 3, user: null }], 'one session across requests')
    t.same(overSocket[4], { user: 'ada', views: 0 }, 'logged in: regenerate() gave a new session holding the user')
    t.same([overSocket[3], overSocket[6], overSocket[7]], [{ regenerated: true }, { regenerated: true }, { user: 'grace', views: 0 }], 'each login regenerated the session')
    t.same(overSocket[9], { user: null, views: 0 }, 'logged out for this socket')
  })
}

t.test('what the jar fixes: without it every request of a cookie-less socket makes a new, orphaned session', async (t) => {
  const app = await buildApp(t, { cookieJar: false } satisfies FastifySocketsOptions, routes)
  const socket = await connect(t, app)
  const views = []
  for (let i = 0; i < 3; i++) views.push((await request(socket, 'post', '/views', {})).body)
  t.same(views, [{ views: 1, user: null }, { views: 1, user: null }, { views: 1, user: null }])
})

t.test('a browser logs in over HTTP and its socket follows on its next connection; the socket\'s own cookies stay on the server', async (t) => {
  const app = await buildApp(t, {}, routes)
  const browser = new HttpClient(urlOf(app))
  await browser.call('post', '/login', { user: 'ada' })
  const socket = await connect(t, app, { extraHeaders: { cookie: browser.cookieFor() } })
  t.same((await request(socket, 'post', '/me', {})).body, { user: 'ada', views: 0 }, 'the handshake cookie carries the HTTP session')
  t.same((await request(socket, 'post', '/views', {})).body, { views: 1, user: 'ada' }, 'one session for HTTP and the socket')
  t.same((await browser.call('post', '/me')).body, { user: 'ada', views: 1 }, 'HTTP sees what the socket wrote')
  await request(socket, 'post', '/login', { user: 'grace' })
  t.same((await request(socket, 'post', '/me', {})).body, { user: 'grace', views: 0 }, 'the socket logged in again (regenerated)')
  t.same((await browser.call('post', '/me')).body, { user: null, views: 0 },
    'regenerate() ended the session the browser\'s cookie names, and the new cookie stayed in the socket\'s jar: ' +
    'the browser is not logged in as grace (documented: log in over HTTP, and the socket follows on its next connection)')
})
