// Every exported function, offline: the demo account served by a Snapshot.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'

import {
  AccountReport,
  Finding,
  RemediationReport,
  Snapshot,
  checkAccount,
  checkKey,
  collect,
  loadCloudsploitCollection,
  loadSnapshot,
  remediate,
  remediateKeys,
  render,
  renderOptionNames,
} from '../index.js'
import { DEMO, canonical, rejectsWith } from './helpers.mjs'

const scratch = () => mkdtempSync(join(tmpdir(), 'kms-rotation-node-'))

describe('loadSnapshot and Snapshot', () => {
  it('reads the demo account', () => {
    const snapshot = loadSnapshot(DEMO)
    assert.ok(snapshot instanceof Snapshot)
    assert.deepEqual(snapshot.regions, ['eu-west-1', 'us-east-1'])
    assert.equal(snapshot.accountId, '111122223333')
  })

  it('round-trips through toJSON, fromJson and save', () => {
    const snapshot = loadSnapshot(DEMO)
    const json = snapshot.toJSON()
    assert.deepEqual(Object.keys(json.regions).sort(), ['eu-west-1', 'us-east-1'])
    assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), json)
    const again = Snapshot.fromJson(JSON.stringify(json))
    assert.deepEqual(again.toJSON(), json)
    const path = join(scratch(), 'saved.json')
    again.save(path)
    assert.deepEqual(loadSnapshot(path).toJSON(), json)
  })
})

describe('onCall', () => {
  it('sees every API attempt, as the stats count them, and never a credential', async () => {
    const calls = []
    const report = await checkAccount({ client: loadSnapshot(DEMO), onCall: (call) => calls.push(call) })
    for (let i = 0; i < 5 && calls.length < report.stats.api_calls.DescribeKey; i++) await tick()
    const counted = {}
    for (const call of calls) counted[call.operation] = (counted[call.operation] ?? 0) + 1
    assert.deepEqual(counted, report.stats.api_calls)
    const call = calls.find((c) => c.operation === 'DescribeKey')
    assert.deepEqual(Object.keys(call).sort(), ['attempt', 'latencyMs', 'operation', 'outcome', 'region'])
    assert.equal(call.attempt, 1)
    assert.ok(['ok', 'AccessDeniedException', 'NotFoundException'].includes(call.outcome) || call.outcome.length > 0)
  })

  it('is taken by remediation too', async () => {
    const snapshot = loadSnapshot(DEMO)
    const calls = []
    const plan = await remediateKeys(['arn:aws:kms:eu-west-1:111122223333:key/8f5c122d-0ed7-47bb-b01e-b24e96c08d61'], {
      client: snapshot,
      onCall: (call) => calls.push(call.operation),
    })
    for (let i = 0; i < 5 && calls.length < 2; i++) await tick()
    assert.ok(calls.includes('DescribeKey'), calls.join(', '))
    assert.equal(calls.length, Object.values(plan.stats.api_calls).reduce((a, b) => a + b, 0))
  })
})

describe('loadCloudsploitCollection', () => {
  it('judges the facts CloudSploit collected by the same rules as Python and Rust', async () => {
    const collection = new URL('../../kms-rotation-core/tests/corpus/cloudsploit-collection.json', import.meta.url)
    const report = await checkAccount({ client: loadCloudsploitCollection(collection.pathname) })
    const reasons = report.findings.map((f) => f.reason).sort()
    assert.deepEqual(reasons, ['api_error', 'aws_managed', 'rotation_disabled', 'unsupported_key_spec'])
    // eu-west-1 could not be listed: a region not checked, and FAILs make it 2.
    assert.equal(report.regions.find((r) => r.region === 'eu-west-1').state, 'error')
    assert.equal(report.exitCode(), 2)
  })

  it('names a file that is not a collection', () => {
    const path = join(scratch(), 'not-a-collection.json')
    writeFileSync(path, '{"regions": {}}')
    assert.throws(() => loadCloudsploitCollection(path), (e) => e.code === 'MALFORMED_SNAPSHOT' && /CloudSploit/.test(e.message))
  })
})

describe('checkAccount', () => {
  it('gives one finding per listed key, in every region of a snapshot by default', async () => {
    const report = await checkAccount({ client: loadSnapshot(DEMO) })
    assert.equal(report.schema_version, 1)
    assert.deepEqual(
      report.regions.map((r) => [r.region, r.state]),
      [
        ['eu-west-1', 'scanned'],
        ['us-east-1', 'scanned'],
      ],
    )
    const listed = report.regions.reduce((n, r) => n + r.keys_listed, 0)
    assert.equal(report.findings.length, listed)
    assert.equal(report.summary.total, listed)
    const byAlias = (alias) => report.findings.find((f) => f.aliases.includes(alias))
    assert.equal(byAlias('alias/payments-db').status, 'PASS')
    assert.equal(byAlias('alias/archive-cold').reason, 'rotation_period_too_long')
    assert.equal(byAlias('alias/aws/ebs').reason, 'aws_managed')
    assert.equal(byAlias('alias/partner-integration').status, 'ERROR')
    assert.equal(byAlias('alias/partner-integration').error.code, 'AccessDeniedException')
  })

  it('applies the policy options and narrows regions', async () => {
    const report = await checkAccount({
      client: loadSnapshot(DEMO),
      regions: ['us-east-1'],
      maxRotationPeriodDays: 180,
      evaluateDisabledKeys: false,
      exemptions: ['tag:rotation-exempt=true', 'alias/tmp-migration'],
      maxRequestsPerSecond: 1000,
    })
    assert.deepEqual(report.policy, {
      max_rotation_period_days: 180,
      evaluate_disabled_keys: false,
      exemptions: ['tag:rotation-exempt=true', 'alias/tmp-migration'],
    })
    assert.deepEqual(
      report.regions.map((r) => r.region),
      ['us-east-1'],
    )
    assert.ok(report.findings.every((f) => f.region === 'us-east-1'))
    const status = (alias) => report.findings.find((f) => f.aliases.includes(alias)).status
    assert.equal(status('alias/vendor-escrow'), 'EXEMPT')
    assert.equal(status('alias/tmp-migration'), 'EXEMPT')
    assert.equal(status('alias/payments-db'), 'FAIL') // 365 days > 180
    assert.equal(status('alias/retired-app'), 'NOT_APPLICABLE') // disabled, skipped
  })

  it('reports progress without blocking, and ignores a listener that throws', async () => {
    const events = []
    const report = await checkAccount({
      client: loadSnapshot(DEMO),
      onProgress: (event) => {
        events.push(event)
        throw new Error('a listener bug must not break the scan')
      },
    })
    await tick()
    const count = (type) => events.filter((e) => e.type === type).length
    assert.equal(count('regionStarted'), 2)
    assert.equal(count('regionFinished'), 2)
    assert.equal(count('keyEvaluated'), report.findings.length)
    const last = events.filter((e) => e.type === 'keyEvaluated' && e.region === 'eu-west-1').at(-1)
    assert.deepEqual([last.evaluated, last.listed], [6, 6])
    assert.ok(events.filter((e) => e.type === 'regionFinished').every((e) => e.state === 'scanned'))
  })

  it('serves several regions from a clientFactory', async () => {
    const snapshot = loadSnapshot(DEMO)
    const asked = []
    const report = await checkAccount({
      regions: ['eu-west-1', 'us-east-1'],
      clientFactory: (region) => {
        asked.push(region)
        return snapshot.kmsClient(region)
      },
    })
    assert.deepEqual(asked.sort(), ['eu-west-1', 'us-east-1'])
    const direct = await checkAccount({ client: loadSnapshot(DEMO) })
    assert.deepEqual(canonical(report).findings, canonical(direct).findings)
  })
})

describe('checkKey', () => {
  it('checks a key by alias in a region, and by ARN (its region)', async () => {
    const client = loadSnapshot(DEMO)
    const byAlias = await checkKey('alias/payments-db', { client, region: 'us-east-1' })
    assert.equal(byAlias.status, 'PASS')
    assert.equal(byAlias.region, 'us-east-1')
    const arn = 'arn:aws:kms:eu-west-1:111122223333:key/8f5c122d-0ed7-47bb-b01e-b24e96c08d61'
    const byArn = await checkKey(arn, { client })
    assert.equal(byArn.status, 'FAIL')
    assert.equal(byArn.key_arn, arn)
    assert.deepEqual(byArn.remediation, { target_arn: arn, region: 'eu-west-1', rotation_period_days: 365 })
  })

  it('holds the key to the policy options', async () => {
    const finding = await checkKey('alias/payments-db', {
      client: loadSnapshot(DEMO),
      region: 'us-east-1',
      maxRotationPeriodDays: 90,
    })
    assert.equal(finding.reason, 'rotation_period_too_long')
  })

  it('needs a region when a snapshot has several and the key is no ARN', async () => {
    await rejectsWith(checkKey('alias/payments-db', { client: loadSnapshot(DEMO) }), 'CONFIGURATION', /region/)
  })
})

describe('remediate', () => {
  it('is a dry run by default and changes nothing', async () => {
    const snapshot = loadSnapshot(DEMO)
    const report = await checkAccount({ client: snapshot })
    const plan = await remediate(report, { client: snapshot })
    assert.equal(plan.dry_run, true)
    assert.ok(plan.actions.length > 0)
    assert.ok(plan.actions.every((a) => a.outcome !== 'CHANGED'))
    assert.equal(plan.stats.api_calls.EnableKeyRotation, undefined)
    // The CLI's exit codes for the same reports: the demo fails (2); a plan with a skip is 2.
    assert.equal(report.exitCode(), 2)
    assert.equal(plan.exitCode(), plan.actions.some((a) => a.outcome === 'SKIPPED') ? 2 : 0)
    const again = await checkAccount({ client: snapshot })
    assert.deepEqual(canonical(again).findings, canonical(report).findings)
  })

  it('applies with dryRun: false, also from the report JSON text', async () => {
    const snapshot = loadSnapshot(DEMO)
    const report = await checkAccount({ client: snapshot })
    const applied = await remediate(JSON.stringify(report), { client: snapshot, dryRun: false, rotationPeriodDays: 180 })
    assert.equal(applied.dry_run, false)
    assert.equal(applied.rotation_period_days, 180)
    const changed = applied.actions.filter((a) => a.outcome === 'CHANGED')
    assert.ok(changed.length > 0)
    assert.ok(changed.every((a) => a.verified && a.after.enabled && a.after.period_days === 180))
    const after = await checkAccount({ client: snapshot })
    for (const action of changed) {
      const finding = after.findings.find((f) => f.key_arn === action.target_arn)
      assert.equal(finding.status, 'PASS', finding.message)
    }
  })
})

describe('remediateKeys', () => {
  const failing = 'arn:aws:kms:eu-west-1:111122223333:key/8f5c122d-0ed7-47bb-b01e-b24e96c08d61'

  it('checks the keys, then fixes those that fail (a dry run by default)', async () => {
    const snapshot = loadSnapshot(DEMO)
    const plan = await remediateKeys([failing, 'alias/payments-db'], { client: snapshot, region: 'us-east-1' })
    assert.ok(plan instanceof RemediationReport)
    assert.equal(plan.dry_run, true)
    assert.deepEqual(
      plan.actions.map((a) => [a.target_arn, a.outcome]),
      [[failing, 'WOULD_CHANGE']],
    )
    assert.ok(plan.stats.api_calls.DescribeKey >= 2, 'the check of the keys is counted')
    const applied = await remediateKeys([failing], { client: snapshot, dryRun: false, maxRotationPeriodDays: 180 })
    assert.deepEqual(
      applied.actions.map((a) => [a.outcome, a.rotation_period_days, a.verified]),
      [['CHANGED', 180, true]],
    )
    assert.equal((await checkKey(failing, { client: snapshot })).status, 'PASS')
  })

  it('refuses an empty list or a key that is not a key before any call', async () => {
    const snapshot = loadSnapshot(DEMO)
    await rejectsWith(remediateKeys([], { client: snapshot }), 'INVALID_INPUT', /at least one key/)
    await rejectsWith(remediateKeys(['not a key'], { client: snapshot }), 'INVALID_INPUT', /not a key/)
    await rejectsWith(remediateKeys('alias/x', { client: snapshot }), 'INVALID_INPUT', /array/)
    assert.deepEqual(snapshot.calls(), [])
  })
})

describe('results', () => {
  it('are classes over the core values, converted when read', async () => {
    const report = await checkAccount({ client: loadSnapshot(DEMO) })
    assert.ok(report instanceof AccountReport)
    assert.ok(report.findings.every((f) => f instanceof Finding))
    const json = report.toJSON()
    assert.deepEqual(JSON.parse(report.render('json')), json)
    assert.deepEqual(report.findings[0].toJSON(), json.findings[0])
    assert.deepEqual(JSON.parse(JSON.stringify(report.findings)), json.findings)
    for (const name of Object.keys(json)) {
      assert.deepEqual(JSON.parse(JSON.stringify(report[name])), json[name], name)
    }
  })

  it('render in the formats of the core', async () => {
    const report = await checkAccount({ client: loadSnapshot(DEMO) })
    assert.equal(report.render('csv').trimEnd().split('\n').length, report.findings.length + 1)
    assert.match(report.render(), /keys: /)
    assert.equal(JSON.parse(report.render('ocsf')).length, report.findings.length)
    assert.throws(() => report.render('yaml'), { code: 'INVALID_INPUT', argument: 'format' })
    const plan = await remediate(report, { client: loadSnapshot(DEMO) })
    assert.deepEqual(JSON.parse(plan.render('json')), plan.toJSON())
    assert.match(plan.render('table'), /WOULD_CHANGE/)
  })

  it('render the people formats, as a method and as render(report, format)', async () => {
    const report = await checkAccount({ client: loadSnapshot(DEMO) })
    const html = render(report, 'html')
    assert.equal(html, report.render('html'))
    assert.ok(html.startsWith('<!DOCTYPE html>'))
    assert.equal(html.split('<tr class=').length - 1, report.findings.length)
    assert.equal(report.render('junit').split('<testcase ').length - 1, report.findings.length)
    assert.match(report.render('markdown'), /### \d+ FAIL/)
    const failing = render(report, 'table', { onlyFailing: true })
    assert.doesNotMatch(failing, /^PASS /m)
    assert.match(failing, /kms-rotation remediate --report/)
    assert.match(report.render('table', { color: true }), /\u001b\[/)
    assert.throws(() => report.render('table', { colour: true }), { code: 'INVALID_INPUT', argument: 'options' })
    assert.throws(() => render({}, 'html'), { code: 'INVALID_INPUT', argument: 'report' })
    const plan = await remediate(report, { client: loadSnapshot(DEMO) })
    assert.ok(render(plan, 'html').startsWith('<!DOCTYPE html>'))
  })

  it('render takes every render option of the core, and its types declare them', () => {
    const types = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
    const body = types.match(/export interface RenderOptions \{([^}]*)\}/)[1]
    const declared = [...body.matchAll(/^\s*(\w+)\?:/gm)].map((m) => m[1])
    assert.deepEqual(declared.sort(), renderOptionNames().sort())
    assert.ok(renderOptionNames().includes('onlyFailing'))
  })
})

describe('collect', () => {
  it('writes a snapshot that evaluates to the same findings', async () => {
    const live = loadSnapshot(DEMO)
    const path = join(scratch(), 'collected.json')
    const collected = await collect(path, { client: live })
    assert.ok(collected instanceof Snapshot)
    assert.ok(existsSync(path))
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), collected.toJSON())
    const fromLive = await checkAccount({ client: live })
    const fromFile = await checkAccount({ client: loadSnapshot(path) })
    assert.deepEqual(canonical(fromFile).findings, canonical(fromLive).findings)
  })
})
