// In a real Chromium, one page written for sails.io.js, loaded once with sails.io.js 1.2.1 (socket.io-client 2,
// Engine.IO 3) and once with the plugin's bundle: a PNG from @fastify/static and random bytes arrive as an
// ArrayBuffer whose SHA-256 (crypto.subtle) is the server's; an answer without a body is undefined; a socket of
// a page without a cookie keeps one @fastify/session session through its jar; a login over HTTP reaches the
// page's next socket, while the socket's own session cookie never reaches the browser's jar.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Page } from 'playwright-core'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import fastifyStatic from '@fastify/static'
import { buildApp, urlOf } from '../helpers/app.js'
import { ensureBundle } from '../helpers/bundle.js'
import { browserSkip, launch, WAIT } from '../helpers/browser.js'

const require = createRequire(import.meta.url)
const sailsDist = await readFile(require.resolve('sails.io.js/dist/sails.io.js'), 'utf8')
const STATIC = fileURLToPath(new URL('../fixtures/static/', import.meta.url))
const PNG = await readFile(new URL('../fixtures/static/pixel.png', import.meta.url))
const BYTES = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(50_000)])
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const SCRIPTS = { 'sails.io.js 1.2.1': '/sails.io.js', 'fastify-sockets bundle': '/fastify-sockets.js' } as const

interface Session { views?: number, user?: string }
const sessionOf = (request: FastifyRequest): Session => (request as unknown as { session: Session }).session

// ES5 and callbacks, as a Sails front end is written
function page (src: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>bodies</title></head><body>
<script src="${src}"></script>
<script>
  window.results = {}
  function hex (buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ('0' + b.toString(16)).slice(-2) }).join('')
  }
  function bytes (name) {
    return function (body, jwr) {
      results[name + 'Type'] = Object.prototype.toString.call(body)
      results[name + 'Length'] = jwr.headers['content-length']
      crypto.subtle.digest('SHA-256', body).then(function (digest) { results[name] = hex(digest) })
    }
  }
  io.socket.get('/static/pixel.png', bytes('png'))
  io.socket.get('/bytes', bytes('random'))
  io.socket['delete']('/nothing', function (body, jwr) { results.nothing = { type: typeof body, statusCode: jwr.statusCode } })
  io.socket.post('/views', {}, function (a) {
    io.socket.post('/views', {}, function (b) {
      io.socket.post('/views', {}, function (c) {
        results.views = [a.views, b.views, c.views]
        // the page's own HTTP request: the session cookie of the socket never reached the browser's jar
        fetch('/views', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
          .then(function (res) { return res.json() })
          .then(function (body) { results.httpViews = body.views; results.cookie = document.cookie })
      })
    })
  })
</script></body></html>`
}

async function routes (app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: 'a secret with minimum length of 32 characters', saveUninitialized: false, cookie: { secure: false } })
  await app.register(fastifyStatic, { root: STATIC, prefix: '/static/' })
  app.get('/bytes', async (_request, reply) => reply.type('application/octet-stream').send(BYTES))
  app.delete('/nothing', async (_request, reply) => reply.code(204).send())
  app.post('/views', async (request) => {
    const session = sessionOf(request)
    session.views = (session.views ?? 0) + 1
    return { views: session.views }
  })
  app.post('/login', async (request) => { sessionOf(request).user = (request.body as { user: string }).user; return { ok: true } })
  app.post('/me', async (request) => ({ user: sessionOf(request).user ?? null }))
  app.get('/sails.io.js', async (_request, reply) => reply.type('application/javascript').send(sailsDist))
  app.get<{ Querystring: { src: string } }>('/page', async (request, reply) => reply.type('text/html').send(page(request.query.src)))
}

async function results (p: Page, keys: string[]): Promise<Record<string, unknown>> {
  await p.waitForFunction((keys) => keys.every((k) => (window as unknown as { results: Record<string, unknown> }).results[k] !== undefined), keys, WAIT)
  return await p.evaluate(() => (window as unknown as { results: Record<string, unknown> }).results)
}

t.test('binary bodies and sessions in a real browser, for sails.io.js and the plugin\'s bundle', { skip: browserSkip() }, async (t) => {
  ensureBundle()
  const app = await buildApp(t, {}, routes)
  const browser = await launch(t)
  for (const [name, src] of Object.entries(SCRIPTS)) {
    await t.test(name, async (t) => {
      const context = await browser.newContext()
      t.teardown(() => context.close())
      const p = await context.newPage()
      const errors: string[] = []
      p.on('pageerror', (err) => errors.push(err.message))
      await p.goto(`${urlOf(app)}/page?src=${encodeURIComponent(src)}`)
      const r = await results(p, ['png', 'random', 'nothing', 'views', 'httpViews'])
      t.equal(r.pngType, '[object ArrayBuffer]', 'a PNG arrives as an ArrayBuffer')
      t.equal(r.png, sha256(PNG), 'its SHA-256 in the browser is the file\'s')
      t.equal(r.pngLength, String(PNG.length), 'content-length is its size')
      t.equal(r.randomType, '[object ArrayBuffer]')
      t.equal(r.random, sha256(BYTES), 'every byte value survives')
      t.same(r.nothing, { type: 'undefined', statusCode: 204 }, 'no body: undefined')
      t.same(r.views, [1, 2, 3], 'a socket of a page without a cookie keeps one session')
      t.equal(r.httpViews, 1, "the page's HTTP request is in a session of its own: the socket's cookie stayed on the server")
      t.notMatch(String(r.cookie), /sessionId/, 'and document.cookie never saw it')

      // a login over HTTP: the page's next socket follows
      const user = await p.evaluate(async () => {
        await fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'ada' }) })
        const io = (window as unknown as { io: { sails: { connect: () => { post: (url: string, data: unknown, cb: (body: { user: string | null }) => void) => void } } } }).io
        return await new Promise((resolve) => { io.sails.connect().post('/me', {}, (body) => resolve(body.user)) })
      })
      t.equal(user, 'ada', 'logged in over HTTP, the next socket is logged in too')
      t.same(errors, [])
    })
  }
})
