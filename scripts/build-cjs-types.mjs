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

// In a CommonJS declaration file a default import of an `export =` module is its value alone, without the
// namespace that holds its types (`createError.FastifyErrorConstructor`); `import x = require()` keeps both.
const EXPORT_ASSIGNMENT_MODULES = ['@fastify/error']
const modules = EXPORT_ASSIGNMENT_MODULES.join('|')
const defaultImport = new RegExp(`^import (\\w+)(?:, (\\{[^}]*\\}))? from '(${modules})';$`, 'gm')
const toRequire = (_line, name, named, module) =>
  `import ${name} = require('${module}');` + (named === undefined ? '' : `\nimport ${named} from '${module}';`)
const leftOver = new RegExp(`^import (?!type )\\w+(?:,.*)? from '(${modules})';$`, 'm')

rmSync(out, { recursive: true, force: true })
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue
  const from = join(entry.parentPath ?? entry.path, entry.name)
  const to = join(out, relative(dist, from))
  cpSync(from, to)
  const text = readFileSync(to, 'utf8')
  const cjs = text.replace(defaultImport, toRequire)
  if (leftOver.test(cjs)) throw new Error(`${to}: a default import of an \`export =\` module in a form this script does not rewrite`)
  if (cjs !== text) writeFileSync(to, cjs)
}
writeFileSync(join(out, 'package.json'), '{ "type": "commonjs" }\n')
