// The package as npm delivers it: one tarball packed from a fresh clone, installed into new apps beside the
// lowest fastify and TypeBox that package.json's peerDependencies allow. Everything lives in one temp dir,
// removed when the test process ends (the root tap object's teardown); the tarball is packed once per test
// process and shared by its tests.
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import tap from 'tap'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>
  devDependencies: Record<string, string>
}

/** The lowest version a `^x.y.z` peer range allows: what the apps install, to prove the floor. */
function floor (name: string): string {
  const range = manifest.peerDependencies[name]
  const match = range === undefined ? null : /^\^(\d+\.\d+\.\d+)$/.exec(range)
  if (match?.[1] === undefined) throw new Error(`peerDependencies.${name} is not a ^x.y.z range: ${String(range)}`)
  return match[1]
}
export const LOWEST_FASTIFY = floor('fastify')
export const LOWEST_TYPEBOX = floor('@sinclair/typebox')

// A new app's environment: nothing of the npm script or tap runner around this test (npm_config_local_prefix
// would point a nested npm at this repository; NODE_OPTIONS carries tap's loaders; NODE_ENV=production would
// change what the plugin requires). The registry and cache settings stay.
const KEEP_NPM = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig'])
function appEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !KEEP_NPM.has(key.toLowerCase())) continue
    if (/tap/i.test(key) || /^TS_NODE/.test(key) || key === 'NODE_OPTIONS' || key === 'NODE_ENV' || key === 'INIT_CWD') continue
    env[key] = value
  }
  return env
}

/** Runs a command to completion; rejects with its output when it fails or outlives `ms`. */
export async function run (command: string, args: string[], cwd: string, ms = 120_000): Promise<string> {
  const child = spawn(command, args, { cwd, env: appEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c, s) => resolve([c, s]))
  }).finally(() => clearTimeout(timer))
  if (code !== 0) {
    const why = signal === null ? `exited with ${String(code)}` : `was killed (${signal}; deadline ${ms} ms)`
    throw new Error(`\`${command} ${args.join(' ')}\` in ${cwd} ${why}:\n${out}`)
  }
  return out
}

/** Runs a Node script of an app and parses the one JSON line it prints last. */
export async function runApp (cwd: string, script: string): Promise<Record<string, unknown>> {
  const out = await run(process.execPath, [script], cwd, 60_000)
  const line = out.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    throw new Error(`${script} printed no JSON result:\n${out}`)
  }
}

export interface Packed {
  /** The temp dir holding the clone, the tarball and the apps. */
  dir: string
  tarball: string
  /** Paths in the tarball, without the leading `package/`. */
  files: string[]
  /** The commit the clone is at (the tarball holds committed work only). */
  commit: string
  ms: number
}

let packed: Promise<Packed> | undefined

/** Clones this repository into a temp dir, `npm ci`, `npm pack`: once per process, removed when it ends. */
export async function packFreshClone (): Promise<Packed> {
  packed ??= (async () => {
    const started = Date.now()
    const dir = mkdtempSync(join(tmpdir(), 'fastify-sockets-package-'))
    tap.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const clone = join(dir, 'clone')
    await run('git', ['clone', '--quiet', ROOT, clone], dir)
    const commit = (await run('git', ['rev-parse', '--short', 'HEAD'], clone)).trim()
    await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], clone, 240_000)
    await run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], clone, 240_000)
    const tarball = join(dir, 'fastify-sockets-' + (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { version: string }).version + '.tgz')
    const files = (await run('tar', ['-tzf', tarball], dir)).trim().split('\n').map((path) => path.replace(/^package\//, ''))
    return { dir, tarball, files, commit, ms: Date.now() - started }
  })()
  return await packed
}

export interface App { dir: string, ms: number }

const apps = new Map<string, Promise<App>>()

/**
 * A new app in the packed tarball's temp dir (`type` module or commonjs) that installs the tarball from disk and,
 * from the registry, the lowest fastify and TypeBox of the peer ranges and @types/node; its fixtures copied in.
 */
export async function installApp (type: 'module' | 'commonjs'): Promise<App> {
  let app = apps.get(type)
  if (app === undefined) {
    app = (async () => {
      const { dir: root, tarball } = await packFreshClone()
      const started = Date.now()
      const dir = join(root, type === 'module' ? 'esm-app' : 'cjs-app')
      mkdirSync(join(dir, 'src'), { recursive: true })
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `${type}-app`, private: true, type }, null, 2))
      await run('npm', ['install', '--save-exact', '--no-audit', '--no-fund', '--loglevel=error', tarball,
        `fastify@${LOWEST_FASTIFY}`, `@sinclair/typebox@${LOWEST_TYPEBOX}`, `@types/node@${manifest.devDependencies['@types/node'] ?? '20'}`],
      dir, 240_000)
      for (const fixture of ['esm-app.mjs', 'cjs-app.cjs']) copyFileSync(join(FIXTURES, fixture), join(dir, fixture))
      copyFileSync(join(FIXTURES, 'typed-app.ts'), join(dir, 'src', 'app.ts'))
      return { dir, ms: Date.now() - started }
    })()
    apps.set(type, app)
  }
  return await app
}
