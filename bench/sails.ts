import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Server } from 'socket.io'

// Sails 1.5 as a bench server: installed on demand into a folder of its own (bench/.sails, git-ignored),
// never a dependency of the package. The driver calls `ensureSails`; a `sails` server process `liftSails`.

export const SAILS_DIR = fileURLToPath(new URL('./.sails/', import.meta.url))
const SAILS_PACKAGES = ['sails@1.5', 'sails-hook-sockets']
const INSTALL_TIMEOUT_MS = 5 * 60_000

/** What sails.io.js 1.2.1 sends with its handshake; Sails reads it to tell its SDK apart. */
export const SAILS_QUERY = { __sails_io_sdk_version: '1.2.1', __sails_io_sdk_platform: 'node', __sails_io_sdk_language: 'javascript' }

export type SailsState = { ok: true, version: string } | { ok: false, reason: string }

function installedVersion (): string | undefined {
  const file = `${SAILS_DIR}node_modules/sails/package.json`
  if (!existsSync(file) || !existsSync(`${SAILS_DIR}node_modules/sails-hook-sockets/package.json`)) return undefined
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

/**
 * Sails 1.5 in bench/.sails: found there, or (`install`) installed there with `npm install`. Never throws:
 * a failed install is a reason the bench prints and the chart shows.
 */
export async function ensureSails ({ install }: { install: boolean }): Promise<SailsState> {
  const found = installedVersion()
  if (found !== undefined) return { ok: true, version: found }
  if (!install) return { ok: false, reason: 'Sails 1.5 is not installed in bench/.sails (a full run installs it; --no-sails skips it)' }
  console.log(`Sails: installing ${SAILS_PACKAGES.join(' ')} into bench/.sails (once)`)
  await mkdir(SAILS_DIR, { recursive: true })
  await writeFile(`${SAILS_DIR}package.json`, JSON.stringify({
    name: 'fastify-sockets-bench-sails',
    private: true,
    description: 'Sails 1.5 for the fastify-sockets bench, installed by the bench on demand; not a dependency of the package'
  }, null, 2) + '\n')
  const error = await new Promise<string | undefined>((resolve) => {
    const child = spawn('npm', ['install', '--prefix', SAILS_DIR, '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...SAILS_PACKAGES],
      { cwd: SAILS_DIR, stdio: ['ignore', 'inherit', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const timer = setTimeout(() => child.kill('SIGTERM'), INSTALL_TIMEOUT_MS)
    child.once('error', (err) => { clearTimeout(timer); resolve(`npm could not start: ${err.message}`) })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve(code === 0 ? undefined : `npm install exited with ${String(code ?? signal)}: ${stderr.trim().split('\n').slice(-3).join(' ')}`)
    })
  })
  const version = installedVersion()
  if (error !== undefined || version === undefined) return { ok: false, reason: `Sails 1.5 could not be installed: ${error ?? 'sails missing after npm install'}` }
  return { ok: true, version }
}

interface SailsReq { body?: { items?: unknown[] }, params: Record<string, string>, isSocket?: boolean }
interface SailsRes { json: (body: unknown) => void }
interface SailsApp {
  lift: (config: object, done: (err?: Error) => void) => void
  lower: (done: (err?: Error) => void) => void
  io: Server
  sockets: {
    join: (req: SailsReq, room: string, done: (err?: Error) => void) => void
    leave: (socketId: string, room: string, done: (err?: Error) => void) => void
    broadcast: (room: string, event: string, payload: unknown) => void
  }
}

export interface LiftedSails { io: Server, sails: SailsApp }

/**
 * Lifts a Sails 1.5 app on 127.0.0.1:`port` answering what the other bench servers answer. Only the hooks
 * a socket request needs are on (http, request, responses, policies, sockets); the POST route has no schema
 * to validate, as Sails has none, so Sails does less work than the Fastify servers there.
 */
export async function liftSails ({ port, hello, room }: { port: number, hello: unknown, room: string }): Promise<LiftedSails> {
  const require = createRequire(`${SAILS_DIR}package.json`)
  const { constructor: Sails } = require('sails') as { constructor: new () => SailsApp }
  const sails = new Sails()
  const ack = (res: SailsRes, err: Error | undefined, body: unknown): void => { res.json(err === undefined ? body : { message: err.message }) }
  await new Promise<void>((resolve, reject) => sails.lift({
    appPath: SAILS_DIR,
    port,
    explicitHost: '127.0.0.1',
    environment: 'development',
    log: { level: 'error' },
    hooks: { grunt: false, orm: false, pubsub: false, views: false, i18n: false, session: false, blueprints: false },
    routes: {
      'GET /hello': (_req: SailsReq, res: SailsRes) => res.json(hello),
      'POST /echo': (req: SailsReq, res: SailsRes) => res.json({ ok: true, count: req.body?.items?.length ?? 0 }),
      'GET /join': (req: SailsReq, res: SailsRes) => sails.sockets.join(req, room, (err) => ack(res, err, { joined: true })),
      'GET /side/:room': (req: SailsReq, res: SailsRes) => sails.sockets.join(req, `side-${req.params.room ?? ''}`, (err) => ack(res, err, { joined: true }))
    }
  }, (err) => err === undefined || err === null ? resolve() : reject(err)))
  return { io: sails.io, sails }
}
