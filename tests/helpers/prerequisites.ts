/**
 * What the browser suites and the training tests need from the machine, and the one way to leave
 * them out. A missing prerequisite is a test FAILURE whose message names the command that
 * installs it; only an explicit `DLNET_TEST_SKIP=e2e,training` (never set by `npm run test:all`
 * or CI) turns a suite into a reported skip, and `npm test` then says in its closing lines what
 * was left out (scripts/run-tests.mjs).
 */
export const SUITES = {
  e2e: 'the browser suites (tests/e2e)',
  training: 'the training-code tests (tests/integration/training.test.ts)',
} as const;

export type Suite = keyof typeof SUITES;

/** The suites listed in DLNET_TEST_SKIP; an unknown name is an error, not a silent no-op. */
export function leftOutSuites(value = process.env.DLNET_TEST_SKIP ?? ''): Suite[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(name in SUITES)) throw new Error(`DLNET_TEST_SKIP lists "${name}"; it can list ${Object.keys(SUITES).join(' and ')}.`);
  }
  return names as Suite[];
}

/** The skip reason when the suite is left out on request, else false (the suite runs). */
export function leftOut(suite: Suite): string | false {
  return leftOutSuites().includes(suite)
    ? `left out on request: DLNET_TEST_SKIP=${process.env.DLNET_TEST_SKIP} (npm run test:all runs it)`
    : false;
}

/** How to install what is missing: the test command that installs everything, or the apt-get line. */
export function installHint(packages: readonly string[]): string {
  return `run \`npm run test:all\` (installs what the tests need, then runs them all) or \`sudo apt-get install -y ${packages.join(' ')}\``;
}
