// Baselines and SARIF from Node: `baseline` as a path, a report, its toJSON()
// object or its JSON text; `failOn`; refusals naming what differs; render('sarif').
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'

import { checkAccount, loadSnapshot } from '../index.js'
import { DEMO, rejectsWith } from './helpers.mjs'

const BASELINE = join(DEMO, '..', 'demo-baseline.json')
const check = (options = {}) =>
  checkAccount({ client: loadSnapshot(DEMO), exemptions: ['tag:rotation-exempt=true'], ...options })

describe('baselines', () => {
  it('marks each finding against a baseline file and keeps the keys gone', async () => {
    const report = await check({ baseline: BASELINE })
    assert.deepEqual(new Set(report.findings.map((f) => f.baseline_state)), new Set(['new', 'unchanged', 'resolved', 'regressed']))
    assert.deepEqual(report.baseline.counts, { new: 1, unchanged: 32, resolved: 2, regressed: 2 })
    assert.deepEqual(report.baseline.gone.map((f) => f.aliases), [['alias/decommissioned-queue']])
    assert.equal(report.exitCode(), 2)
    assert.equal((await check({ baseline: BASELINE, failOn: 'new' })).exitCode(), 2)
    const plain = await check()
    assert.equal(plain.baseline, null)
    assert.ok(plain.findings.every((f) => f.baseline_state === null))
    assert.equal(plain.toJSON().findings[0].baseline_state, undefined)
  })

  for (const form of ['report', 'object', 'text', 'path']) {
    it(`old failures alone exit 0 with failOn 'new' (baseline as a ${form})`, async () => {
      const first = await check()
      const path = join(mkdtempSync(join(tmpdir(), 'kms-rotation-baseline-')), 'report.json')
      writeFileSync(path, JSON.stringify(first))
      const baseline = { report: first, object: first.toJSON(), text: JSON.stringify(first), path }[form]
      const report = await check({ baseline, failOn: 'new' })
      assert.equal(report.exitCode(), 0)
      assert.deepEqual(new Set(report.findings.map((f) => f.baseline_state)), new Set(['unchanged']))
      assert.equal((await check({ baseline })).exitCode(), 2, 'without failOn the codes are as before')
    })
  }

  it('refuses a baseline of another policy, failOn new without one, and a file that cannot be read', async () => {
    const error = await rejectsWith(check({ baseline: BASELINE, maxRotationPeriodDays: 180 }), 'INVALID_INPUT', /is 365 in the baseline, 180 now/)
    assert.equal(error.argument, 'baseline')
    await rejectsWith(check({ failOn: 'new' }), 'INVALID_INPUT', /needs a baseline/)
    await rejectsWith(check({ failOn: 'sometimes' }), 'INVALID_INPUT', /sometimes/)
    await rejectsWith(check({ baseline: join(DEMO, '..', 'no-such-report.json') }), 'IO')
  })
})

describe('SARIF', () => {
  it('renders one result per FAIL and ERROR, the same bytes every time', async () => {
    const report = await check()
    const log = JSON.parse(report.render('sarif'))
    assert.equal(log.version, '2.1.0')
    const results = log.runs[0].results
    assert.equal(results.length, report.summary.FAIL + report.summary.ERROR)
    assert.deepEqual(new Set(results.map((r) => r.level)), new Set(['error', 'warning']))
    assert.equal(report.render('sarif'), (await check()).render('sarif'))
  })
})
