#!/usr/bin/env node
// A native-solc look-alike around the pinned npm `solc` (solcjs) so that py-solc-x and Slither can drive it.
// Answers `--version` like native solc and compiles `--standard-json` from stdin. Imports are resolved from
// the base path, any --include-path, and the project's node_modules (for @openzeppelin/...).
// The output is written with blocking synchronous writes: the stock solcjs CLI truncates output above
// 64 KiB on a pipe and prints a non-JSON line before the JSON.
'use strict';
const fs = require('fs');
const path = require('path');

const projectRoot = path.resolve(__dirname, '..');
const solc = require(path.join(projectRoot, 'node_modules', 'solc'));

function writeAll(fd, text) {
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

function parseArgs(argv) {
  const options = { version: false, standardJson: false, roots: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inlineValue] = arg.split('=', 2);
    const takeValue = () => (inlineValue !== undefined ? inlineValue : argv[++i]);
    if (flag === '--version') options.version = true;
    else if (flag === '--standard-json') options.standardJson = true;
    else if (flag === '--base-path' || flag === '--include-path') options.roots.push(takeValue());
    else if (flag === '--allow-paths') takeValue();
  }
  options.roots.push(process.cwd(), projectRoot, path.join(projectRoot, 'node_modules'));
  return options;
}

function importResolver(roots) {
  return (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.version) {
    writeAll(1, `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (!options.standardJson) {
    writeAll(2, 'solc-shim: only --version and --standard-json are supported\n');
    return 1;
  }
  const input = fs.readFileSync(0, 'utf8');
  writeAll(1, solc.compile(input, { import: importResolver(options.roots) }));
  return 0;
}

process.exitCode = main();
