// The HTML report in a real browser: Debian's Chromium, headless, driven by
// playwright-core (no bundled browser). scripts/test-browser.sh renders the
// pages and passes their paths:
//   DEMO_HTML, DEMO_JSON  the demo account's report as HTML and as JSON
//   BIG_HTML, BIG_JSON    a generated 10,000-key report
//   BASELINE_HTML, BASELINE_JSON  the demo account checked against examples/data/demo-baseline.json
//   SCREENSHOT            where to write the demo page's screenshot
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const STATUSES = ['FAIL', 'ERROR', 'PASS', 'EXEMPT', 'NOT_APPLICABLE']

function env(name) {
  const value = process.env[name]
  assert.ok(value, `${name} is not set: run scripts/test-browser.sh`)
  return value
}

let context
let profile
before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'kms-rotation-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  })
})
after(async () => {
  await context?.close()
  if (profile) rmSync(profile, { recursive: true, force: true })
})

/** Opens a page and records every request other than the page itself. */
async function open(path) {
  const page = await context.newPage()
  const url = pathToFileURL(path).href
  const requests = []
  page.on('request', (request) => {
    if (request.url() !== url) requests.push(request.url())
  })
  const errors = []
  page.on('pageerror', (error) => errors.push(String(error)))
  const started = Date.now()
  await page.goto(url, { waitUntil: 'load' })
  await page.waitForSelector('html[data-ready]')
  return { page, requests, errors, wallMs: Date.now() - started }
}

const visibleRows = (page) => page.locator('#rows tbody tr:not([hidden])').count()
const rowStatuses = (page) =>
  page.$$eval('#rows tbody tr', (rows) => rows.map((row) => row.dataset.status))

/** Waits until the "N of M shown" line says N. */
async function shown(page, count) {
  await page.waitForFunction((n) => document.getElementById('shown').textContent.startsWith(`${n} of `), count)
}

/** The chart's count per status, summed over the regions' bars (not the "all regions" bar). */
function chartCounts(page, selector) {
  return page.$$eval(selector, (items) => {
    const sums = {}
    for (const item of items) {
      if (item.closest('figure').dataset.label === 'all regions') continue
      sums[item.dataset.status] = (sums[item.dataset.status] ?? 0) + Number(item.dataset.count)
    }
    return sums
  })
}

function assertOrderedForPeople(statuses) {
  const rank = (s) => (s === 'FAIL' ? 0 : s === 'ERROR' ? 1 : 2)
  for (let i = 1; i < statuses.length; i++) {
    assert.ok(rank(statuses[i - 1]) <= rank(statuses[i]), `row ${i}: ${statuses[i - 1]} before ${statuses[i]}`)
  }
}

describe('the demo report', () => {
  let page, requests, errors, report
  before(async () => {
    report = JSON.parse(readFileSync(env('DEMO_JSON'), 'utf8'))
    ;({ page, requests, errors } = await open(env('DEMO_HTML')))
  })

  it('has one row per finding, FAIL and ERROR first', async () => {
    assert.equal(await page.locator('#rows tbody tr').count(), report.findings.length)
    const statuses = await rowStatuses(page)
    assertOrderedForPeople(statuses)
    assert.equal(statuses[0], 'FAIL')
  })

  it("draws the chart with the summary's counts", async () => {
    const listed = await chartCounts(page, 'figure.bar li[data-status]')
    const drawn = await chartCounts(page, 'figure.bar rect[data-status]')
    const island = JSON.parse(await page.locator('#report-data').textContent())
    for (const status of STATUSES) {
      assert.equal(listed[status] ?? 0, report.summary[status], `${status} listed`)
      assert.equal(drawn[status] ?? 0, report.summary[status], `${status} drawn`)
      assert.equal(island.counts[status], report.summary[status], `${status} in the page's data`)
    }
    assert.equal(await page.locator('figure.bar').count(), report.regions.length + 1)
  })

  it('filters by status, and shows everything again', async () => {
    const filter = page.locator('select[data-filter=status]')
    for (const status of STATUSES) {
      await filter.selectOption(status)
      await shown(page, report.summary[status])
      assert.equal(await visibleRows(page), report.summary[status], status)
      const seen = await page.$$eval('#rows tbody tr:not([hidden])', (rows) => [...new Set(rows.map((r) => r.dataset.status))])
      assert.deepEqual(seen, report.summary[status] ? [status] : [])
    }
    await filter.selectOption('')
    await shown(page, report.findings.length)
    assert.equal(await visibleRows(page), report.findings.length)
  })

  it('filters by region, reason and alias together', async () => {
    await page.locator('select[data-filter=region]').selectOption('us-east-1')
    await page.locator('select[data-filter=reason]').selectOption('rotation_disabled')
    const expected = report.findings.filter((f) => f.region === 'us-east-1' && f.reason === 'rotation_disabled')
    await shown(page, expected.length)
    assert.equal(await visibleRows(page), expected.length)
    await page.locator('input[data-filter=alias]').fill('build-art')
    await shown(page, 1)
    await page.locator('#reset').click()
    await shown(page, report.findings.length)
  })

  it('searches any text', async () => {
    const target = report.findings.find((f) => f.status === 'PASS' && !f.key_id.startsWith('mrk-'))
    await page.locator('#search').fill(target.key_id)
    await shown(page, 1)
    const row = page.locator('#rows tbody tr:not([hidden])')
    assert.equal(await row.count(), 1)
    assert.match(await row.textContent(), new RegExp(target.key_id))
    await page.locator('#search').fill('AccessDeniedException')
    await shown(page, report.summary.ERROR)
    await page.locator('#search').fill('')
    await shown(page, report.findings.length)
  })

  it('shows the fix on FAIL rows and the AWS error on ERROR rows', async () => {
    const fail = report.findings.find((f) => f.status === 'FAIL' && f.remediation.target_arn !== f.key_arn)
    const row = page.locator(`#rows tbody tr[data-status=FAIL]:has-text("${fail.key_arn}")`).first()
    const text = await row.textContent()
    assert.match(text, /kms-rotation remediate --report/)
    assert.ok(
      text.includes(`aws kms enable-key-rotation --key-id ${fail.remediation.target_arn} --region ${fail.remediation.region} --rotation-period-in-days ${fail.remediation.rotation_period_days}`),
      'the AWS CLI fix names the primary',
    )
    const error = report.findings.find((f) => f.status === 'ERROR')
    const errorText = await page.locator(`#rows tbody tr[data-status=ERROR]:has-text("${error.key_id}")`).textContent()
    assert.ok(errorText.includes(error.error.code) && errorText.includes(error.error.message))
  })

  it('sorts by a column with the keyboard, and back to FAIL and ERROR first', async () => {
    const region = page.locator('button.sort', { hasText: 'Region' })
    await region.focus()
    await page.keyboard.press('Enter')
    assert.equal(await page.locator('th', { has: region }).getAttribute('aria-sort'), 'ascending')
    const regions = await page.$$eval('#rows tbody tr', (rows) => rows.map((r) => r.dataset.region))
    assert.deepEqual(regions, [...regions].sort())
    await page.keyboard.press('Enter')
    const descending = await page.$$eval('#rows tbody tr', (rows) => rows.map((r) => r.dataset.region))
    assert.deepEqual(descending, [...regions].sort().reverse())
    const status = page.locator('button.sort', { hasText: 'Status' })
    await status.focus()
    await page.keyboard.press('Space')
    assertOrderedForPeople(await rowStatuses(page))
  })

  it('made no request and threw nothing', () => {
    assert.deepEqual(requests, [])
    assert.deepEqual(errors, [])
  })

  it('writes the screenshot of a fresh page', async () => {
    const fresh = await open(env('DEMO_HTML'))
    await fresh.page.screenshot({ path: env('SCREENSHOT') })
    assert.deepEqual(fresh.requests, [])
  })
})

describe('the demo report against a baseline', () => {
  let page, requests, errors, report
  before(async () => {
    report = JSON.parse(readFileSync(env('BASELINE_JSON'), 'utf8'))
    ;({ page, requests, errors } = await open(env('BASELINE_HTML')))
  })

  it('has a row per finding and per key gone since the baseline', async () => {
    assert.ok(report.baseline.gone.length > 0, 'the fixture has a key gone')
    assert.equal(await page.locator('#rows tbody tr').count(), report.findings.length + report.baseline.gone.length)
    const gone = page.locator('#rows tbody tr[data-status=GONE]')
    assert.equal(await gone.count(), report.baseline.gone.length)
    assert.match(await gone.first().textContent(), /Resolved since the baseline: the key was not listed/)
    const island = JSON.parse(await page.locator('#report-data').textContent())
    assert.deepEqual(island.baseline.counts, report.baseline.counts)
  })

  it('filters by what changed since the baseline', async () => {
    const filter = page.locator('select[data-filter=baseline]')
    for (const state of ['new', 'regressed', 'unchanged', 'resolved']) {
      const expected =
        report.findings.filter((f) => f.baseline_state === state).length +
        (state === 'resolved' ? report.baseline.gone.length : 0)
      assert.equal(expected, report.baseline.counts[state], `${state}: the rows and the counts agree`)
      await filter.selectOption(state)
      await shown(page, expected)
      assert.equal(await visibleRows(page), expected, state)
      const seen = await page.$$eval('#rows tbody tr:not([hidden])', (rows) => [...new Set(rows.map((r) => r.dataset.baseline))])
      assert.deepEqual(seen, expected ? [state] : [])
    }
    assert.ok(report.baseline.counts.new > 0 && report.baseline.counts.regressed > 0, 'the fixture has new and regressed keys')
    await filter.selectOption('regressed')
    await page.locator('select[data-filter=status]').selectOption('FAIL')
    const regressed = report.findings.filter((f) => f.baseline_state === 'regressed' && f.status === 'FAIL')
    await shown(page, regressed.length)
    assert.match(await page.locator('#rows tbody tr:not([hidden])').first().textContent(), /regressed since the baseline \(was /)
    await page.locator('#reset').click()
    await shown(page, report.findings.length + report.baseline.gone.length)
  })

  it('names the baseline in the header, made no request and threw nothing', async () => {
    assert.match(await page.locator('body').textContent(), /Since the baseline of /)
    assert.deepEqual(requests, [])
    assert.deepEqual(errors, [])
  })
})

describe('a 10,000-finding report', () => {
  let page, requests, errors, wallMs, report
  before(async () => {
    report = JSON.parse(readFileSync(env('BIG_JSON'), 'utf8'))
    ;({ page, requests, errors, wallMs } = await open(env('BIG_HTML')))
  })

  // Speed is not asserted here (a loaded machine would fail it at random): the times are
  // printed for benches/README.md, and the test holds what must be true at any speed.
  it('renders and marks itself ready', async () => {
    const readyMs = Number(await page.locator('html').getAttribute('data-ready'))
    console.log(`# 10,000 findings: script ready ${readyMs} ms after navigation start; ${wallMs} ms wall from goto`)
    assert.ok(Number.isFinite(readyMs) && readyMs > 0, `data-ready is ${readyMs}`)
  })

  it('has every row, FAIL and ERROR first, and filters them', async () => {
    assert.equal(report.findings.length, 10000)
    assert.equal(await page.locator('#rows tbody tr').count(), 10000)
    assertOrderedForPeople(await rowStatuses(page))
    const started = Date.now()
    await page.locator('select[data-filter=status]').selectOption('FAIL')
    await shown(page, report.summary.FAIL)
    console.log(`# status filter over 10,000 rows: ${Date.now() - started} ms`)
    assert.equal(await visibleRows(page), report.summary.FAIL)
    await page.locator('select[data-filter=status]').selectOption('')
    await page.locator('#search').fill('app-4242')
    await shown(page, 1)
  })

  it('shows report text as text: nothing in it runs', async () => {
    assert.equal(await page.evaluate(() => window.__pwned), undefined)
    await page.locator('#search').fill('window.__pwned')
    await shown(page, report.summary.ERROR + 1)
    assert.deepEqual(requests, [])
    assert.deepEqual(errors, [])
  })
})
