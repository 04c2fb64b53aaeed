// Answers every case of cases.json through the Node package, one JSON line each.
//
// Usage: node scripts/parity/run.mjs CASES OUT   (after the addon is built in kms-rotation-node/)
// A line is {"case", "report"} (JSON.stringify of the result, parsed; with the
// report's exit code and, for the case's `renders`, each rendering's text) or
// {"case", "error"} (kind = the error's `code`, argument, message, line, column);
// compare.py reads it beside run.py's and the CLI's. Options are snake_case in
// the case file and spelled camelCase here, as this package takes them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(import.meta.url)
const kms = require(join(root, 'kms-rotation-node', 'index.js'))

const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
const snake = (name) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
const camelCased = (options = {}) => Object.fromEntries(Object.entries(options).map(([k, v]) => [camel(k), v]))

async function answer(testCase) {
  const { call } = testCase
  if (call === 'snapshot_from_json') return kms.Snapshot.fromJson(testCase.text)
  // Declared keys compared with live ones (compareLive): a snapshot is the live account.
  const live = testCase.snapshot ? { client: kms.loadSnapshot(join(root, testCase.snapshot)) } : {}
  if (call === 'check_terraform_plan') {
    return kms.checkTerraformPlan(join(root, testCase.terraform_plan), { ...live, ...camelCased(testCase.options) })
  }
  if (call === 'check_cloudformation') {
    const templates = testCase.cloudformation.map((path) => join(root, path))
    // Parameter names are CloudFormation's own: not camelCased.
    return kms.checkCloudFormation(templates, { ...live, ...camelCased(testCase.options) })
  }
  const client = kms.loadSnapshot(join(root, testCase.snapshot))
  const options = { client, ...camelCased(testCase.options) }
  switch (call) {
    case 'check_account':
      return kms.checkAccount(options)
    case 'check_key':
      return kms.checkKey(testCase.key, options)
    case 'remediate_keys':
      return kms.remediateKeys(testCase.keys, options)
    case 'remediate': {
      const report = await kms.checkAccount(options)
      return kms.remediate(report, { client, ...camelCased(testCase.remediate_options) })
    }
    case 'check_account_evidence': {
      const directory = mkdtempSync(join(tmpdir(), 'kms-rotation-parity-'))
      try {
        const path = join(directory, 'evidence.json')
        const report = await kms.checkAccount({ ...options, evidence: path })
        const { verified, differences } = await kms.verifyEvidence(path)
        return { report: report.toJSON(), verified, differences }
      } finally {
        rmSync(directory, { recursive: true, force: true })
      }
    }
    default:
      throw new Error(`unknown call ${call} in case ${testCase.name}`)
  }
}

function error(e) {
  const found = { kind: e.code ?? e.name, message: e.message }
  // The argument as the Python package and the core spell it, to compare.
  if (e.argument !== undefined) found.argument = snake(e.argument)
  for (const name of ['line', 'column']) if (e[name] !== undefined) found[name] = e[name]
  return found
}

const [casesPath, outPath] = process.argv.slice(2)
const { cases } = JSON.parse(readFileSync(casesPath, 'utf8'))
const lines = []
for (const testCase of cases) {
  const line = { case: testCase.name }
  try {
    const result = await answer(testCase)
    line.report = JSON.parse(JSON.stringify(result))
    if (typeof result?.exitCode === 'function') line.exit_code = result.exitCode()
    line.rendered = Object.fromEntries((testCase.renders ?? []).map((name) => [name, result.render(name)]))
  } catch (e) {
    line.error = error(e)
  }
  lines.push(JSON.stringify(line))
}
writeFileSync(outPath, lines.join('\n') + '\n')
