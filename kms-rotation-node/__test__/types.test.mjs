// The report types in index.d.ts describe what the addon really returns:
// real results (the classes' JSON) are written into a TypeScript file as
// object literals of the declared types and compiled, so an undeclared,
// missing or mistyped field in the JSON is a type error (object literals get
// excess-property checks); and each class reads exactly the fields of its JSON.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { it } from 'node:test'
import { fileURLToPath } from 'node:url'

import ts from 'typescript'

import {
  AccountReport,
  Finding,
  RemediationReport,
  Snapshot,
  checkAccount,
  checkKey,
  loadSnapshot,
  remediate,
  runConformance,
} from '../index.js'
import { DEMO } from './helpers.mjs'

const index = join(dirname(fileURLToPath(import.meta.url)), '..', 'index.js')

async function samples() {
  const snapshot = loadSnapshot(DEMO)
  const events = []
  const report = await checkAccount({ client: snapshot, onProgress: (e) => events.push(e) })
  // A region that cannot be listed, for the region-level error.
  const closed = Snapshot.fromJson(
    JSON.stringify({
      regions: {
        'us-east-1': { keys: [] },
        'ap-east-1': { keys: [], Errors: { ListKeys: { Code: 'UnrecognizedClientException', Message: 'invalid token' } } },
      },
    }),
  )
  const closedReport = await checkAccount({ client: closed })
  const errors = []
  for (const attempt of [
    () => checkAccount({ client: snapshot, maxRotationPeriodDays: 1 }),
    () => checkAccount({ client: snapshot, regions: ['ap-south-1'] }),
    async () => loadSnapshot('/nonexistent/snapshot.json'),
    async () => Snapshot.fromJson('{'),
  ]) {
    try {
      await attempt()
    } catch (error) {
      errors.push({ name: error.name, message: error.message, ...error })
    }
  }
  assert.equal(errors.length, 4)
  const finding = await checkKey('alias/payments-db', { client: snapshot, region: 'us-east-1' })
  const plans = [await remediate(report, { client: snapshot }), await remediate(report, { client: snapshot, dryRun: false })]
  const conformance = await runConformance((fake) => fake)
  // Every reason the core knows: SARIF's rules are one per reason.
  const reasons = JSON.parse(report.render('sarif')).runs[0].tool.driver.rules.map((rule) => rule.id)
  assert.ok(reasons.includes('rotation_disabled'))
  return {
    Reason: reasons,
    AccountReportJson: [report.toJSON(), closedReport.toJSON()],
    FindingJson: [finding.toJSON(), ...report.findings.map((f) => f.toJSON())],
    RemediationReportJson: plans.map((p) => p.toJSON()),
    ProgressEvent: events,
    SnapshotCall: snapshot.calls().slice(0, 3),
    ConformanceCase: conformance,
    SnapshotFile: [snapshot.toJSON()],
    KmsRotationError: errors,
  }
}

it('index.d.ts declares exactly the fields the results have', async () => {
  const typed = await samples()
  const names = Object.keys(typed)
  let source = `import type { ${names.join(', ')} } from ${JSON.stringify(index)}\n`
  for (const [type, values] of Object.entries(typed)) {
    values.forEach((value, i) => {
      source += `export const ${type}${i}: ${type} = ${JSON.stringify(value, null, 2)}\n`
    })
  }
  const file = join(mkdtempSync(join(tmpdir(), 'kms-rotation-types-')), 'results.ts')
  writeFileSync(file, source)
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  })
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : ''
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
  assert.deepEqual(diagnostics, [], `the results do not fit index.d.ts (${file}):\n${diagnostics.join('\n')}`)
})

it('the result classes read exactly the fields of their JSON', async () => {
  const snapshot = loadSnapshot(DEMO)
  // Against a baseline, so that the fields only a comparison writes are in the JSON too.
  const report = await checkAccount({ client: snapshot, baseline: await checkAccount({ client: snapshot }) })
  const plan = await remediate(report, { client: snapshot })
  const getters = (cls) =>
    Object.entries(Object.getOwnPropertyDescriptors(cls.prototype))
      .filter(([, d]) => d.get)
      .map(([name]) => name)
      .sort()
  // A finding's `account_id` is in its JSON only in an organisation report; `key_material`,
  // `last_usage` and `ignored` only when the key has them (a finding of the demo's first key has none),
  // its `code` only for a declared key (checkTerraformPlan, checkCloudFormation), its `live`
  // only for a declared key compared with its live key (compareLive);
  // a report's `security_hub` only when its findings were delivered (`toSecurityHub`).
  for (const [cls, value, only] of [
    [AccountReport, report, ['security_hub']],
    [Finding, report.findings[0], ['account_id', 'key_material', 'last_usage', 'ignored', 'code', 'live']],
    [RemediationReport, plan, []],
  ]) {
    assert.deepEqual(getters(cls), [...Object.keys(value.toJSON()), ...only].sort(), cls.name)
  }
})
