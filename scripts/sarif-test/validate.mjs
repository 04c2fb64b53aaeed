// Validates SARIF files with what a package ships, never a schema copied by hand:
//   1. the SARIF 2.1.0 JSON schema inside @microsoft/sarif-multitool's platform package,
//      compiled by ajv (draft 2020-12, formats checked);
//   2. the SARIF Multitool's own `validate` (its schema and its SARIF rules), whose
//      results of level error or warning fail the file (notes are printed, not failed).
// Before the files, both validators must reject a copy of the first file with its
// required `tool.driver.name` removed, so that a validator that accepts everything fails.
//
// Usage: node validate.mjs FILE.sarif...   (exit 1 on any problem)
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

const require = createRequire(import.meta.url)
const multitool = require('@microsoft/sarif-multitool')
const schemaPath = join(dirname(multitool), 'sarif-2.1.0.json')
// npm may not have run the package's postinstall (chmod u+x).
chmodSync(multitool, 0o755)

const ajv = new Ajv2020({ allErrors: true, strict: false })
addFormats(ajv)
const schemaCheck = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')))

const work = mkdtempSync(join(tmpdir(), 'sarif-validate-'))

/** The problems the schema finds in a file. */
function schemaProblems(path) {
  const log = JSON.parse(readFileSync(path, 'utf8'))
  if (schemaCheck(log)) return []
  return schemaCheck.errors.map((e) => `schema: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
}

/** The errors and warnings the Multitool's validate finds in a file, and its notes. */
function multitoolProblems(path) {
  const out = join(work, 'validation.sarif')
  const done = spawnSync(multitool, ['validate', path, '--output', out, '--log', 'ForceOverwrite', '--level', 'Error;Warning;Note'], {
    encoding: 'utf8',
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
  })
  if (done.status !== 0) return { problems: [`multitool exited ${done.status}: ${done.stderr || done.stdout}`], notes: [] }
  const run = JSON.parse(readFileSync(out, 'utf8')).runs[0]
  const problems = []
  for (const invocation of run.invocations ?? []) {
    if (invocation.executionSuccessful !== true) problems.push('multitool: the validation did not complete')
    for (const note of invocation.toolExecutionNotifications ?? []) problems.push(`multitool: ${note.message?.text}`)
  }
  const notes = []
  const log = JSON.parse(readFileSync(path, 'utf8'))
  for (const result of run.results ?? []) {
    // SARIF's default level is warning.
    const level = result.level ?? 'warning'
    const text = `${result.ruleId} ${level}: ${JSON.stringify(result.message?.arguments ?? result.message)}`
    if ((level === 'error' || level === 'warning') && !liveKeyWithoutRegion(log, result)) problems.push(`multitool: ${text}`)
    else notes.push(text)
  }
  return { problems, notes }
}

/**
 * SARIF2017 asks every physical location for a region of its file. A live key's
 * location is its ARN (code scanning needs an artifact URI on every result), which
 * has no lines: accepted there, and only there.
 */
function liveKeyWithoutRegion(log, result) {
  if (result.ruleId !== 'SARIF2017') return false
  const at = /^runs\[(\d+)\]\.results\[(\d+)\]\.locations\[(\d+)\]\.physicalLocation$/.exec(result.message?.arguments?.[0] ?? '')
  if (!at) return false
  const location = log.runs[+at[1]]?.results?.[+at[2]]?.locations?.[+at[3]]
  return /^arn:aws[a-z-]*:kms:/.test(location?.physicalLocation?.artifactLocation?.uri ?? '')
}

const files = process.argv.slice(2)
if (!files.length) {
  console.error('usage: node validate.mjs FILE.sarif...')
  process.exit(2)
}
let failed = false

// The validators can fail: a log without the required driver name is refused by both.
const broken = JSON.parse(readFileSync(files[0], 'utf8'))
delete broken.runs[0].tool.driver.name
const brokenPath = join(work, 'broken.sarif')
writeFileSync(brokenPath, JSON.stringify(broken, null, 2))
if (!schemaProblems(brokenPath).length) {
  console.error('FAIL the schema accepted a log without tool.driver.name')
  failed = true
}
if (!multitoolProblems(brokenPath).problems.length) {
  console.error('FAIL the Multitool accepted a log without tool.driver.name')
  failed = true
}

for (const file of files) {
  const fromSchema = schemaProblems(file)
  const { problems, notes } = multitoolProblems(file)
  const all = [...fromSchema, ...problems]
  console.log(`${all.length ? 'FAIL' : 'ok  '} ${file} (${notes.length} notes)`)
  for (const problem of all) console.error(`  ${problem}`)
  failed ||= all.length > 0
}
rmSync(work, { recursive: true, force: true })
process.exit(failed ? 1 : 0)
