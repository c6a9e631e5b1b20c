// The package as npm delivers it: packed from a fresh clone, installed by new ESM and CommonJS apps beside the
// lowest supported fastify and TypeBox, run, and compiled by a typed app. Needs git, npm, tar and the registry.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { installApp, LOWEST_FASTIFY, LOWEST_TYPEBOX, packFreshClone, ROOT, run, runApp } from './helpers.js'

// A clone, `npm ci`, a build, two installs and three compiles: about 1.5 minutes on an idle 2-core machine,
// many more on a busy one. A failure bound, far past tap's per-file default.
t.setTimeout(600_000)

const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

// The DESIGN's /say/hello flow, as each app reports it.
const FLOW = {
  first: { statusCode: 200, body: { anyData: 'we want to send back' } },
  second: { statusCode: 200, body: { anyData: 'we want to send back' } },
  aliceHeard: { howdy: 'hi there!' },
  bobHeard: 0,
  http: { statusCode: 400, body: { error: 'socket only' } }
}

t.test('a fresh clone packs the built package: dist/ with its types, the client and the browser bundle', async (t) => {
  const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'], ROOT)).trim()
  if (dirty !== '') t.comment(`NOTE: uncommitted changes are not in the clone, which packs the last commit:\n${dirty}`)
  const { files, commit, ms } = await packFreshClone()
  t.comment(`clone at ${commit}, npm ci and npm pack took ${ms} ms; ${files.length} files`)
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/client/index.js', 'dist/client/index.d.ts',
    'dist/cjs/index.d.ts', 'dist/cjs/client/index.d.ts', 'dist/cjs/package.json', 'dist/browser/fastify-sockets.js']) {
    t.ok(files.includes(file), `the tarball holds ${file}`)
  }
  t.same(files.filter((file) => !file.startsWith('dist/')).sort(), ['LICENSE', 'README.md', 'package.json'],
    'besides dist/, only the manifest, README and LICENSE')
  t.same(files.filter((file) => file.endsWith('.map') || (file.endsWith('.ts') && !file.endsWith('.d.ts'))), [],
    'no source maps or sources pointing at files it does not ship')
})

t.test(`new ESM and CommonJS apps install the tarball beside fastify ${LOWEST_FASTIFY} and run /say/hello`, async (t) => {
  const [esm, cjs] = await Promise.all([installApp('module'), installApp('commonjs')])
  t.comment(`npm install took ${esm.ms} ms (ESM app) and ${cjs.ms} ms (CommonJS app), side by side`)

  for (const app of [esm, cjs]) {
    const tree = JSON.parse(await run('npm', ['ls', 'fastify', '@sinclair/typebox', '--all', '--json'], app.dir)) as {
      dependencies: Record<string, { version: string, dependencies?: Record<string, { version: string, resolved?: string }> }>
    }
    t.equal(tree.dependencies.fastify?.version, LOWEST_FASTIFY, 'the app has the lowest supported fastify')
    t.equal(tree.dependencies['@sinclair/typebox']?.version, LOWEST_TYPEBOX, 'and the lowest supported TypeBox')
    const own = tree.dependencies['fastify-sockets']?.dependencies ?? {}
    t.same(Object.entries(own).map(([name, dep]) => `${name}@${dep.version}`).sort(),
      [`@sinclair/typebox@${LOWEST_TYPEBOX}`, `fastify@${LOWEST_FASTIFY}`], 'fastify-sockets uses the app\'s versions')
    t.same(Object.values(own).filter((dep) => dep.resolved !== undefined), [], 'deduped: the app\'s copies (peers), no nested ones')
  }

  const fromEsm = await runApp(esm.dir, 'esm-app.mjs')
  t.match(fromEsm, { ...FLOW, resolved: /\/node_modules\/fastify-sockets\/dist\/index\.js$/ }, 'import: the flow works')
  t.equal(fromEsm.fastify, LOWEST_FASTIFY, 'on the lowest fastify')
  t.match(fromEsm.bundle, { statusCode: 200 }, 'the plugin serves the browser bundle from the installed package')

  const fromCjs = await runApp(cjs.dir, 'cjs-app.cjs')
  t.match(fromCjs, { ...FLOW, resolved: /\/node_modules\/fastify-sockets\/dist\/index\.js$/ }, 'require(): the flow works')
  t.same(fromCjs.exports, { default: true, named: 'function' }, 'require() gives the namespace: default and named exports')
  t.match(fromCjs.bundle, { statusCode: 200 })
  t.comment(`Node ${String(fromCjs.node)}`)
})

t.test(`a typed app compiles against fastify ${LOWEST_FASTIFY} as ESM and as CommonJS, and runs`, async (t) => {
  const [esm, cjs] = await Promise.all([installApp('module'), installApp('commonjs')])
  const base = { target: 'ES2022', strict: true, types: ['node'], skipLibCheck: false }
  const projects = [
    { dir: esm.dir, name: 'ESM, module nodenext', config: 'tsconfig.json', options: { ...base, module: 'nodenext', outDir: 'out' } },
    { dir: cjs.dir, name: 'CommonJS, module nodenext', config: 'tsconfig.json', options: { ...base, module: 'nodenext', outDir: 'out' } },
    {
      dir: cjs.dir,
      name: 'CommonJS, module commonjs (node10 resolution)',
      config: 'tsconfig.classic.json',
      options: { ...base, module: 'commonjs', esModuleInterop: true, outDir: 'out-classic' }
    }
  ]
  // One after the other: each tsc takes a core for seconds (fastify's and socket.io's declarations are checked
  // too), and the other test files running meanwhile have timers to keep.
  const results = []
  for (const project of projects) {
    writeFileSync(join(project.dir, project.config), JSON.stringify({ compilerOptions: project.options, include: ['src'] }, null, 2))
    const started = Date.now()
    // tsc fails on any type error, and on an unused @ts-expect-error: the refused calls must stay refused.
    await run(process.execPath, [TSC, '-p', project.config], project.dir, 240_000)
    const ms = Date.now() - started
    results.push({ project, ms, result: await runApp(project.dir, `${project.options.outDir}/app.js`) })
  }
  for (const { project, ms, result } of results) {
    t.comment(`tsc (${project.name}) took ${ms} ms`)
    t.same(result, { statusCode: 200, body: { anyData: 'we want to send back' }, howdy: 'hi there!' }, `${project.name}: compiles and runs`)
  }
})
