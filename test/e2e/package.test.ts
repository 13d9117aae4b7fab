// The package as a new user gets it: `npm pack` this repository, install
// the tarball into a fresh project, and run the README's "Use the library"
// code from there, as an ES module and as type-checked TypeScript (this
// repository's tsc, the package's own .d.ts files, skipLibCheck off),
// against a doozerd started from the installed package's bin. Also: a fresh
// `npm ci` of this repository prints no install-script warning.
//
// npm installs prefer the local cache (--prefer-offline); the registry is
// only asked for what the cache lacks.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT, startProcess, stopAll, type ManagedProcess } from '../helpers/doozerd-process.js';
import { freePort } from '../helpers/ports.js';
import { DEADLINE, TEST_TIMEOUT } from '../helpers/deadlines.js';

const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
// --omit=optional: better-sqlite3 (only -data needs it) is a native module
// that, without a prebuilt binary for this machine, compiles for a minute.
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn', '--omit=optional'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never throws on a non-zero exit). */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs: number = TEST_TIMEOUT.package): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r: Run): string => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

/** The first ```js block of the README's "## Use the library" section. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Use the library$/m)[1]?.split(/^## /m)[0];
  const code = section && /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('README.md has no ```js block under "## Use the library"');
  return code;
}

describe('the npm package', () => {
  const work = mkdtempSync(join(tmpdir(), 'doozerd-ts-package-'));
  const app = join(work, 'app');
  let node: ManagedProcess;
  let uri: string;

  beforeAll(async () => {
    ensureBuilt();
    // dist/ is fresh (ensureBuilt), so skip `prepare` (tsc) to keep this quick.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--loglevel=warn'], REPO_ROOT);
    expect(pack.code, show(pack)).toBe(0);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball, show(pack)).toBeDefined();

    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'myapp', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const typesNode = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string };
    const install = await run('npm', ['install', ...NPM_FLAGS, join(work, tarball!), `@types/node@${typesNode.version}`], app);
    expect(install.code, show(install)).toBe(0);
    // The README's npm 11 step: after it, installs print no install-script warning.
    const deny = await run('npm', ['deny-scripts', 'protobufjs', 'doozerd-ts'], app);
    expect(deny.code, show(deny)).toBe(0);
    rmSync(join(app, 'node_modules'), { recursive: true }); // a fresh install (it warned before the deny)
    const again = await run('npm', ['install', ...NPM_FLAGS], app);
    expect(again.code, show(again)).toBe(0);
    expect(again.stderr + again.stdout, show(again)).not.toMatch(/npm warn/i);

    const port = await freePort();
    uri = `doozer:?ca=127.0.0.1:${port}`;
    // The installed package's own bin: dist/, proto/ and bin/ must all have been packed.
    node = await startProcess(join(app, 'node_modules/.bin/doozerd'), ['-l', `127.0.0.1:${port}`, '-w', 'false'], {
      cwd: app,
      name: 'installed doozerd',
      readyPort: port,
    });
  }, TEST_TIMEOUT.package);

  afterAll(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('ships what it needs: declarations, bins, proto, README, LICENSE; no tests', () => {
    const pkg = join(app, 'node_modules/doozerd-ts');
    for (const f of ['dist/client/index.js', 'dist/client/index.d.ts', 'dist/node/main.js', 'dist/cli/main.js', 'bin/doozerd', 'bin/doozer', 'proto/msg.proto', 'proto/consensus.proto', 'README.md', 'LICENSE']) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    expect(existsSync(join(pkg, 'test'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/.bin/doozer'))).toBe(true);
  });

  it("runs the README's example as an ES module", async () => {
    writeFileSync(join(app, 'app.mjs'), readmeExample());
    const r = await run(process.execPath, ['app.mjs'], app, { DOOZER_URI: uri }, DEADLINE.start);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^hello \(rev \d+\)\nREV_MISMATCH: SET \/app\/greeting with rev \d+: the file has changed since that rev; .*retry/);
  });

  it("type-checks and runs the README's example as TypeScript", async () => {
    writeFileSync(join(app, 'app.ts'), readmeExample());
    // Fails to compile if the package had no declarations (implicit any) or broken ones (skipLibCheck off).
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: false, types: ['node'] }, files: ['app.ts'] }),
    );
    const tsc = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    expect(tsc.code, show(tsc)).toBe(0);
    // A wrong use is a type error: the declarations are really there.
    writeFileSync(join(app, 'wrong.ts'), "import { Client } from 'doozerd-ts';\nconst c: Client = await Client.dial('x');\nconst n: number = await c.get('/x');\nexport { n };\n");
    const wrong = await run(process.execPath, [TSC, '--noEmit', '--module', 'NodeNext', '--target', 'ES2022', '--strict', '--types', 'node', 'wrong.ts'], app);
    expect(wrong.code, show(wrong)).not.toBe(0);
    expect(wrong.stdout).toMatch(/wrong\.ts\(3,7\): error TS2322: Type 'GetResult' is not assignable to type 'number'/);

    const r = await run(process.execPath, ['app.js'], app, { DOOZER_URI: uri }, DEADLINE.start);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^hello \(rev \d+\)\nREV_MISMATCH: /);
    expect(node.exitStatus()).toBeUndefined();
  });

  it('a fresh npm ci of this repository prints no install-script warning', async () => {
    const copy = join(work, 'repo');
    mkdirSync(copy);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'proto']) cpSync(join(REPO_ROOT, f), join(copy, f), { recursive: true });
    const ci = await run('nice', ['npm', 'ci', ...NPM_FLAGS], copy);
    expect(ci.code, show(ci)).toBe(0);
    expect(ci.stderr + ci.stdout).not.toMatch(/npm warn/i);
    expect(existsSync(join(copy, 'dist/client/index.d.ts')), 'prepare built dist/ with declarations').toBe(true);
  }, TEST_TIMEOUT.package);
});
