// Declarations for CommonJS TypeScript users, in dist/cjs/ (run by `npm run build`, after tsc).
//
// The runtime is one ES module build: Node >= 20.19 require()s it. Its types must still be read in the
// importer's module system: a CommonJS file resolves `@sinclair/typebox` to TypeBox's CommonJS declarations,
// and if our declarations resolved it to the ESM ones, the user's `Type.Object(...)` and ours would be two
// unrelated types (TypeBox brands schemas with a `unique symbol` per declaration file) and `register()` would
// not compile. So the same .d.ts files are copied under a `"type": "commonjs"` scope, which the "require"
// condition of package.json "exports" (and "types", for moduleResolution node10) points at.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist', import.meta.url))
const out = join(dist, 'cjs')

rmSync(out, { recursive: true, force: true })
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue
  const from = join(entry.parentPath ?? entry.path, entry.name)
  const to = join(out, relative(dist, from))
  // A default import of an `export =` module would lose its type namespace there: lib/ imports such
  // modules by name (`import { createError } from '@fastify/error'`), so the copy needs no rewrite.
  if (/^import \w+(?:,.*)? from '@fastify\/error';$/m.test(readFileSync(from, 'utf8'))) {
    throw new Error(`${from}: import @fastify/error by name, not by default (CommonJS declarations need it)`)
  }
  cpSync(from, to)
}
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n')
