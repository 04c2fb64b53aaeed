#!/usr/bin/env node
// The `kms-rotation` command line (`npx kms-rotation check ...`): the core's, as the
// Rust binary and the Python console script run it - the same flags, output and exit
// codes. `kms-rotation --help` lists them.
'use strict'

const { runCli } = require('../index.js')

process.exitCode = runCli(['kms-rotation', ...process.argv.slice(2)])
