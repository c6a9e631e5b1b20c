// `npm run start:cluster` as a newcomer runs it: one command starts its own redis-server and two nodes, prints
// both URLs, and stops everything on Ctrl-C. Driven here as that command's process, with real clients.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connect, type ClientSocket } from 'fastify-sockets/client'
import { REDIS_SERVER_BIN, redisSkipReason } from '../helpers/redis.js'
import { browserSkip, launch, WAIT } from '../helpers/browser.js'
import { ensureBundle } from '../helpers/bundle.js'
import type { Teardown } from '../helpers/app.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const skip = redisSkipReason()

interface Started { a: string, b: string, redisPid: number, exited: Promise<number | null>, stop: () => void, output: () => string }

/** Starts the example as `npm run start:cluster` does (free ports), resolves once it printed all it prints. */
async function startCluster (t: Teardown): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT_A: '0', PORT_B: '0', REDIS_SERVER: REDIS_SERVER_BIN }
  for (const name of ['NODE_OPTIONS', 'REDIS_URL', 'NODE_NAME']) delete env[name]
  const child = spawn(process.execPath, ['--conditions=fastify-sockets-source', '--import', 'tsx', 'examples/cluster/server.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const stop = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT') }
  t.teardown(async () => {
    stop()
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(killer)
  })
  const deadline = Date.now() + 30_000
  while (!/Open both pages/.test(out)) { // its last line, after both URLs
    if (child.exitCode !== null) throw new Error(`the example exited with ${child.exitCode}:\n${out}`)
    if (Date.now() > deadline) throw new Error(`the example printed no URLs within 30 s:\n${out}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const url = (name: string): string => (new RegExp(`node ${name}: (http://\\S+)`).exec(out) as RegExpExecArray)[1] as string
  const redisPid = Number((/redis-server \(pid (\d+)\)/.exec(out) as RegExpExecArray)[1])
  return { a: url('a'), b: url('b'), redisPid, exited, stop, output: () => out }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls until `check` holds, or fails naming `what` after 15 s. */
async function until (what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const ready = async (url: string): Promise<boolean> => {
  const status = await (await fetch(`${url}/health`)).json() as { ready?: boolean, nodes?: string[] }
  return status.ready === true && status.nodes?.length === 1
}

t.test('start:cluster: its own redis-server, two nodes, both URLs printed, all stopped on SIGINT', { skip }, async (t) => {
  const cluster = await startCluster(t)
  t.ok(alive(cluster.redisPid), `redis-server runs (pid ${cluster.redisPid})`)
  t.match(cluster.output(), /redis-server \(pid \d+\) at redis:\/\/127\.0\.0\.1:\d+[^]*node a: http:[^]*node b: http:/, 'it prints where Redis and each node are')
  await until('both nodes to see each other', async () => await ready(cluster.a) && await ready(cluster.b))

  const sockets: ClientSocket[] = [connect(cluster.a, { reconnection: false }), connect(cluster.b, { reconnection: false })]
  t.teardown(() => { for (const socket of sockets) socket.disconnect() })
  const [onA, onB] = sockets as [ClientSocket, ClientSocket]
  t.match((await onA.put('/board/members')).body, { node: 'a', members: 1 })
  const counted = new Promise((resolve) => onA.on('members', resolve))
  t.match((await onB.put('/board/members')).body, { node: 'b', members: 2 }, 'counted on both nodes')
  t.same(await counted, { members: 2 }, 'the count reaches the other node\'s page')

  const heard = new Promise((resolve) => onA.on('board', resolve))
  const posted = await fetch(`${cluster.b}/board/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'curl to b' }) })
  t.equal(posted.status, 201)
  t.match(await heard, { text: 'curl to b', via: 'b' }, 'an HTTP post to node B reaches a socket on node A')

  const left = new Promise((resolve) => onA.on('members', resolve))
  onB.disconnect()
  t.same(await left, { members: 1 }, 'a socket leaving node B is counted out on node A')

  cluster.stop()
  t.equal(await cluster.exited, 0, 'SIGINT closes the nodes and the process exits by itself')
  t.notOk(alive(cluster.redisPid), 'and its redis-server is gone')
})

t.test('start:cluster in Chromium: both pages show the count and load without a failed request', { skip: skip === false ? browserSkip() : skip }, async (t) => {
  ensureBundle()
  const cluster = await startCluster(t)
  await until('both nodes to see each other', async () => await ready(cluster.a) && await ready(cluster.b))
  const browser = await launch(t)
  const problems: string[] = []
  const open = async (url: string, name: string) => {
    const page = await (await browser.newContext({ viewport: { width: 760, height: 560 } })).newPage()
    page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`))
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`${name} console: ${message.text()}`) })
    page.on('response', (response) => { if (response.status() >= 400) problems.push(`${name}: ${response.status()} ${response.url()}`) })
    await page.goto(url)
    await page.locator('#status', { hasText: 'joined' }).waitFor(WAIT)
    return page
  }
  const pageA = await open(cluster.a, 'a')
  const pageB = await open(cluster.b, 'b')
  await pageA.locator('#count', { hasText: '2 sockets on the board' }).waitFor(WAIT)
  await pageB.fill('input[name=text]', 'hello from the page on b')
  await pageB.click('#say button')
  await pageA.locator('#log p', { hasText: 'via node b: hello from the page on b' }).waitFor(WAIT)
  await pageA.fill('input[name=text]', 'and back from a')
  await pageA.click('#say button')
  await pageB.locator('#log p', { hasText: 'via node a: and back from a' }).waitFor(WAIT)
  if (process.env.EXAMPLE_SCREENSHOTS !== undefined) {
    await pageA.screenshot({ path: `${process.env.EXAMPLE_SCREENSHOTS}/cluster-a.png` })
    await pageB.screenshot({ path: `${process.env.EXAMPLE_SCREENSHOTS}/cluster-b.png` })
  }
  await pageB.context().close()
  await pageA.locator('#count', { hasText: '1 socket on the board' }).waitFor(WAIT)
  t.same(problems, [], 'no page error, console error or failed request')
})
