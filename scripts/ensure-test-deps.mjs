// `npm test`'s pretest: makes sure what the suites need from the machine is there, before Jest starts.
//   Redis   the Redis store and cluster suites: it must answer at REDIS_URL (default redis://127.0.0.1:6379).
//   redis-server, redis-cli  the Redis Cluster suites start six redis-server processes of their own and join them with
//            redis-cli --cluster create: installed from Debian (redis-server, redis-tools) with apt-get when missing and
//            we run as root, as Chromium is.
//   Chromium the end-to-end suites: CHROMIUM_PATH, or Debian's /usr/bin/chromium. When that is missing and we run as
//            root, Debian's chromium is installed with apt-get (as .ci/run used to); otherwise we stop.
// A missing piece fails here at once with one line saying what to do, not as failures deep in a Jest log.
// For this script's own test only: P2P_TEST_DEPS_AS_USER=1 makes a root run take the non-root branch, and
// P2P_TEST_DEPS_DEBIAN_CHROMIUM stands for /usr/bin/chromium, P2P_TEST_DEPS_REDIS_CLI for the redis-cli command.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import { Redis } from 'ioredis';

const DEBIAN_CHROMIUM = process.env.P2P_TEST_DEPS_DEBIAN_CHROMIUM ?? '/usr/bin/chromium';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const START_REDIS = 'apt-get install -y redis-server, or redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""';

/** REDIS_URL for a message: its password, in the user info or a credential query parameter, as `***`. */
function redactedRedisUrl() {
  try {
    const url = new URL(REDIS_URL);
    if (url.password) url.password = '***';
    for (const name of new Set(url.searchParams.keys())) if (/pass|secret|token|auth/i.test(name)) url.searchParams.set(name, '***');
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(REDIS_URL)';
  }
}

function fail(line) {
  process.stderr.write(`npm test: ${line}\n`);
  process.exitCode = 1;
}

async function redisAnswers() {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  let lastError;
  client.on('error', (error) => (lastError = error));
  try {
    await client.connect();
    return (await client.ping()) === 'PONG' ? null : 'did not answer PING';
  } catch (error) {
    return (lastError ?? error).message;
  } finally {
    client.disconnect();
  }
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `<path> --version`, or null when it does not run. */
function chromiumVersion(path) {
  const run = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return run.status === 0 ? run.stdout.trim() : null;
}

function isRoot() {
  return process.getuid?.() === 0 && process.env.P2P_TEST_DEPS_AS_USER !== '1';
}

/** Installs a Debian package with apt-get, saying why first (we are root). */
function aptInstall(pkg, why) {
  process.stdout.write(`npm test: ${why} is missing; installing Debian's ${pkg} with apt-get\n`);
  // Waits for another apt-get holding the lock instead of failing at once.
  const apt = ['-o', 'DPkg::Lock::Timeout=600', '-q'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', [...apt, 'update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  execFileSync('apt-get', [...apt, 'install', '-y', pkg], { stdio: ['ignore', 'inherit', 'inherit'], env });
}

async function checkRedis() {
  const problem = await redisAnswers();
  if (problem) {
    fail(`Redis must answer at ${redactedRedisUrl()} (set REDIS_URL to use another) and does not (${problem}): ${START_REDIS}`);
  }
}

/** `mayInstall` false: only say what is missing (another check failed already; no point in a long install). */
function checkChromium(mayInstall) {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit && explicit !== DEBIAN_CHROMIUM) {
    if (isExecutable(explicit) && chromiumVersion(explicit)) return;
    fail(
      `CHROMIUM_PATH=${explicit} is not a Chromium that runs: point it at one, or unset it to use Debian's chromium (apt-get install -y chromium)`,
    );
    return;
  }
  if (!isExecutable(DEBIAN_CHROMIUM)) {
    if (!isRoot() || !mayInstall) {
      fail(
        `the browser suites need Chromium at ${DEBIAN_CHROMIUM}: install it (sudo apt-get install -y chromium), or set CHROMIUM_PATH to a Chromium binary`,
      );
      return;
    }
    try {
      aptInstall('chromium', 'Chromium (the browser suites need it)');
    } catch (error) {
      fail(
        `could not install Debian's chromium (${error.message}): run apt-get install -y chromium, or set CHROMIUM_PATH to a Chromium binary`,
      );
      return;
    }
  }
  if (!chromiumVersion(DEBIAN_CHROMIUM)) {
    fail(
      `${DEBIAN_CHROMIUM} does not run (${DEBIAN_CHROMIUM} --version failed): reinstall it (apt-get install --reinstall -y chromium), or set CHROMIUM_PATH to a Chromium binary`,
    );
  }
}

/** On PATH? */
function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The WebRTC suites run coturn on the loopback of a network namespace of their own (`unshare -rn`, `ip`): Debian's
 * coturn is installed with apt-get when missing and we are root, as Chromium is.
 */
function checkCoturn(mayInstall) {
  if (hasCommand('turnserver')) return;
  if (!isRoot() || !mayInstall) {
    fail('the WebRTC suites need coturn (turnserver) and run as root in a network namespace: sudo apt-get install -y coturn');
    return;
  }
  try {
    aptInstall('coturn', 'coturn (the WebRTC suites need it)');
  } catch (error) {
    fail(`could not install Debian's coturn (${error.message}): run apt-get install -y coturn`);
  }
}

/** The Redis Cluster suites run redis-server and redis-cli themselves (Debian: redis-server, redis-tools). */
function checkRedisBinaries(mayInstall) {
  for (const [command, pkg] of [
    ['redis-server', 'redis-server'],
    [process.env.P2P_TEST_DEPS_REDIS_CLI ?? 'redis-cli', 'redis-tools'],
  ]) {
    if (hasCommand(command)) continue;
    if (!isRoot() || !mayInstall) {
      fail(`the Redis Cluster suites need ${command} on PATH: sudo apt-get install -y ${pkg}`);
      continue;
    }
    try {
      aptInstall(pkg, `${command} (the Redis Cluster suites need it)`);
    } catch (error) {
      fail(`could not install Debian's ${pkg} (${error.message}): run apt-get install -y ${pkg}`);
    }
  }
}

// Redis first: it is quick to check, and a missing Redis should not wait behind a Chromium install.
await checkRedis();
checkRedisBinaries(!process.exitCode);
checkChromium(!process.exitCode);
checkCoturn(!process.exitCode);
