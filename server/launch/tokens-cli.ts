import { DEV_TOKENS_FILE, loadDevTokens } from './dev-tokens.js';

/**
 * `npm run tokens`: the development tokens that `npm start` uses while INGEST_TOKENS and
 * NEWSROOM_TOKENS are unset (creating them if `npm start` has not run yet). `--ingest` or
 * `--newsroom` prints that token alone, for a shell: `TOKEN=$(npm run -s tokens -- --ingest)`.
 */
const USAGE = 'Usage: npm run -s tokens [-- --ingest | --newsroom]\n';
const args = process.argv.slice(2);
const known = ['--ingest', '--newsroom', '--help'];
if (args.includes('--help') || args.some((arg) => !known.includes(arg)) || args.length > 1) {
  (args.includes('--help') ? process.stdout : process.stderr).write(USAGE);
  process.exit(args.includes('--help') ? 0 : 2);
}
if (process.env.NODE_ENV === 'production') {
  process.stderr.write(
    'khabar: production never uses development tokens; the tokens are those in INGEST_TOKENS and NEWSROOM_TOKENS\n',
  );
  process.exit(1);
}

const tokens = loadDevTokens();
if (args[0] === '--ingest') process.stdout.write(`${tokens.INGEST_TOKENS}\n`);
else if (args[0] === '--newsroom') process.stdout.write(`${tokens.NEWSROOM_TOKENS}\n`);
else {
  process.stdout.write(
    `ingest token    ${tokens.INGEST_TOKENS}\nnewsroom token  ${tokens.NEWSROOM_TOKENS}\n` +
      `(kept in ${DEV_TOKENS_FILE}; npm start uses them while INGEST_TOKENS / NEWSROOM_TOKENS are unset)\n`,
  );
}
