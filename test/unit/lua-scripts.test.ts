import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  LUA_DIR,
  SCRIPT_FILES,
  scriptSource,
  type ScriptName,
} from '../../shared/domain/scripts.js';
import { readLuaScript } from '../../shared/infra/lua.js';

/*
 * Redis wants every key a script touches declared in KEYS: a Redis Cluster sends the script to
 * the node of those keys and refuses a key of another slot. A key the script builds itself goes
 * unnoticed while it shares their hash tag, even on a cluster, so a cluster would not catch it:
 * these checks do, reading the scripts as shipped (dist/, includes resolved), without Redis.
 * They are a lint, not a Lua parser: they hold the scripts to a simple, checkable style.
 */

/**
 * Which arguments of each command the scripts use are keys: `1` the first only, `'all'` every
 * one. A command missing here fails the check until its key positions are added.
 */
const KEY_POSITIONS: Readonly<Record<string, 0 | 1 | 'all'>> = {
  DEL: 'all',
  GET: 1,
  HDEL: 1,
  HEXISTS: 1,
  HGET: 1,
  HMGET: 1,
  HSET: 1,
  INCR: 1,
  INFO: 0,
  PERSIST: 1,
  PEXPIRE: 1,
  SADD: 1,
  SET: 1,
  SREM: 1,
  XADD: 1,
  ZADD: 1,
  ZCARD: 1,
  ZRANGE: 1,
  ZREM: 1,
  ZREMRANGEBYRANK: 1,
  ZREVRANGEBYSCORE: 1,
  ZSCORE: 1,
};

/** Lua source without its comments (strings kept, so `'--'` in a string stays). */
function stripComments(lua: string): string {
  let out = '';
  for (let i = 0; i < lua.length;) {
    const ch = lua[i] as string;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < lua.length && lua[j] !== ch) j += lua[j] === '\\' ? 2 : 1;
      out += lua.slice(i, j + 1);
      i = j + 1;
    } else if (lua.startsWith('--[[', i)) {
      const end = lua.indexOf(']]', i);
      i = end === -1 ? lua.length : end + 2;
    } else if (lua.startsWith('--', i)) {
      const end = lua.indexOf('\n', i);
      i = end === -1 ? lua.length : end;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/**
 * From `open` (an opening bracket) to its match: the text inside, and where it ends. Splits at
 * top-level commas when asked (an argument list).
 */
function enclosed(code: string, open: number): { parts: string[]; end: number } {
  const closing: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  const parts: string[] = [];
  let start = open + 1;
  for (let i = open; i < code.length; i++) {
    const ch = code[i] as string;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < code.length && code[j] !== ch) j += code[j] === '\\' ? 2 : 1;
      i = j;
    } else if (closing[ch]) {
      stack.push(closing[ch]);
    } else if (ch === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) {
        parts.push(code.slice(start, i).trim());
        return { parts, end: i };
      }
    } else if (ch === ',' && stack.length === 1) {
      parts.push(code.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unbalanced bracket at ${open}`);
}

interface Access {
  array: 'KEYS' | 'ARGV';
  /** The literal index, or null for an expression (`KEYS[c + SEQ]`). */
  index: number | null;
  /** Where the reference ends, exclusive. */
  end: number;
  start: number;
}

function accesses(code: string): Access[] {
  return [...code.matchAll(/\b(KEYS|ARGV)\[/g)].map((m) => {
    const open = m.index + m[1]!.length;
    const { parts, end } = enclosed(code, open);
    const inside = parts.join(',');
    return {
      array: m[1] as 'KEYS' | 'ARGV',
      index: /^\d+$/.test(inside) ? Number(inside) : null,
      start: m.index,
      end: end + 1,
    };
  });
}

/** The comma-separated expressions of `expr` (one line of Lua); none when it does not close. */
function expressions(expr: string): string[] {
  try {
    return enclosed(`(${expr.trim()})`, 0).parts;
  } catch {
    return [];
  }
}

function isKeysReference(expr: string): boolean {
  const found = accesses(expr);
  return (
    found.length >= 1 &&
    found[0]!.array === 'KEYS' &&
    found[0]!.start === 0 &&
    found[0]!.end === expr.length
  );
}

/** Every way `code` may touch a key other than through KEYS, as messages. */
function undeclaredKeyUses(code: string): string[] {
  const problems: string[] = [];
  const lines = code.split('\n');
  // Locals bound to a KEYS entry (`local postKey = KEYS[1]`), never assigned again.
  const keyLocals = new Set<string>();
  for (const line of lines) {
    const local = /^\s*local\s+([\w\s,]+?)\s*=(?!=)(.*)$/.exec(line);
    if (!local) continue;
    const names = local[1]!.split(',').map((n) => n.trim());
    const values = expressions(local[2]!);
    names.forEach((name, i) => {
      if (values[i] !== undefined && isKeysReference(values[i])) keyLocals.add(name);
    });
  }
  for (const line of lines) {
    const assignment = /^\s*(local\s+)?([\w\s,]+?)\s*=(?!=)(.*)$/.exec(line);
    if (!assignment) continue;
    const names = assignment[2]!.split(',').map((n) => n.trim());
    const values = expressions(assignment[3]!);
    names.forEach((name, i) => {
      if (
        keyLocals.has(name) &&
        !(assignment[1] && values[i] !== undefined && isKeysReference(values[i]))
      ) {
        problems.push(`${name} holds a key and is assigned something else: ${line.trim()}`);
      }
    });
  }
  for (const access of accesses(code)) {
    const around =
      code.slice(Math.max(0, access.start - 4), access.start) +
      code.slice(access.end, access.end + 4);
    if (access.array === 'KEYS' && around.includes('..')) {
      problems.push(`a key name is built from ${code.slice(access.start, access.end)}`);
    }
  }
  for (const use of code.matchAll(/\bredis\.(\w+)/g)) {
    const fn = use[1]!;
    if (fn !== 'call' && fn !== 'pcall') {
      if (!['error_reply', 'status_reply', 'log', 'sha1hex'].includes(fn)) {
        problems.push(`redis.${fn} is not known to this check`);
      }
      continue;
    }
    const open = use.index + use[0].length;
    if (code[open] !== '(') {
      problems.push(`redis.${fn} is not called directly`);
      continue;
    }
    const { parts: args } = enclosed(code, open);
    const name = /^'([A-Za-z]+)'$/.exec(args[0] ?? '')?.[1]?.toUpperCase();
    if (!name) {
      problems.push(`redis.${fn} with a command that is not a literal: ${args[0] ?? ''}`);
      continue;
    }
    const positions = KEY_POSITIONS[name];
    if (positions === undefined) {
      problems.push(`${name}: add its key positions to KEY_POSITIONS`);
      continue;
    }
    const keyArgs = positions === 'all' ? args.slice(1) : args.slice(1, 1 + positions);
    for (const arg of keyArgs) {
      if (!isKeysReference(arg) && !keyLocals.has(arg)) {
        problems.push(`${name} on a key that is not declared in KEYS: ${arg}`);
      }
    }
  }
  return problems;
}

interface Documented {
  exact: number;
  /** The first index of a variable tail (`KEYS[4..]`), if any. */
  from: number | null;
}

/** The `KEYS[i]` / `ARGV[i]` / `KEYS[i..]` entries of a file's leading `--[[ ]]` header. */
function documentedIn(file: string): Record<'KEYS' | 'ARGV', Documented> {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(file)?.[1];
  assert.ok(header, 'the file starts with a --[[ ]] header');
  const found = { KEYS: { exact: 0, from: null }, ARGV: { exact: 0, from: null } } as Record<
    'KEYS' | 'ARGV',
    Documented
  >;
  for (const m of header.matchAll(/^\s*(KEYS|ARGV)\[(\d+)(\.\.)?\]\s+\S/gm)) {
    const doc = found[m[1] as 'KEYS' | 'ARGV'];
    const index = Number(m[2]);
    assert.equal(doc.from, null, `${m[0].trim()}: nothing after a variable tail`);
    assert.equal(index, doc.exact + 1, `${m[0].trim()}: documented in order, from 1`);
    if (m[3]) doc.from = index;
    else doc.exact = index;
  }
  return found;
}

/** What the body uses that the header does not say, and what the header says that is unused. */
function headerMismatches(file: string, body: string): string[] {
  const problems: string[] = [];
  const documented = documentedIn(file);
  const uses = accesses(body);
  for (const array of ['KEYS', 'ARGV'] as const) {
    const doc = documented[array];
    const mine = uses.filter((u) => u.array === array);
    for (const use of mine) {
      if (use.index === null && doc.from === null) {
        problems.push(
          `${array}[${body.slice(use.start + array.length + 1, use.end - 1)}] without a documented ${array}[n..]`,
        );
      }
      if (
        use.index !== null &&
        use.index > doc.exact &&
        (doc.from === null || use.index < doc.from)
      ) {
        problems.push(`${array}[${use.index}] is not documented`);
      }
    }
    for (let i = 1; i <= doc.exact; i++) {
      if (!mine.some((u) => u.index === i))
        problems.push(`${array}[${i}] is documented, never used`);
    }
    if (doc.from !== null && !mine.some((u) => u.index === null || u.index >= (doc.from ?? 0))) {
      problems.push(`${array}[${doc.from}..] is documented, never used`);
    }
  }
  return problems;
}

const names = Object.keys(SCRIPT_FILES) as ScriptName[];

describe('Lua scripts', () => {
  it('ships every file of lua/: each script in SCRIPT_FILES, each include included', () => {
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
    assert.deepEqual(files.sort(), names.map((n) => SCRIPT_FILES[n].file).sort());
    const all = names.map(scriptSource).join('\n');
    for (const include of readdirSync(new URL('includes/', LUA_DIR))) {
      const text = readFileSync(new URL(`includes/${include}`, LUA_DIR), 'utf8');
      assert.ok(all.includes(text.trim()), `${include} is included by a script`);
    }
    assert.ok(!all.includes('@include'), 'every include is resolved');
  });

  for (const name of names) {
    describe(SCRIPT_FILES[name].file, () => {
      const file = () => readFileSync(new URL(SCRIPT_FILES[name].file, LUA_DIR), 'utf8');

      it('documents every KEYS[i] and ARGV[i] it uses, its output, and its hash tag', () => {
        assert.deepEqual(headerMismatches(file(), stripComments(scriptSource(name))), []);
        const header = /^--\[\[([\s\S]*?)\]\]/.exec(file())?.[1] ?? '';
        assert.match(header, /^\s*Output:/m);
        assert.match(header, /`\{feed\}` hash tag/);
      });

      it('touches keys only through KEYS, as a Redis Cluster requires', () => {
        assert.deepEqual(undeclaredKeyUses(stripComments(scriptSource(name))), []);
      });

      if (SCRIPT_FILES[name].numberOfKeys !== undefined) {
        it('takes as many keys as its command is defined with', () => {
          const documented = documentedIn(file()).KEYS;
          assert.equal(documented.from, null);
          assert.equal(documented.exact, SCRIPT_FILES[name].numberOfKeys);
        });
      }
    });
  }

  describe('the checks themselves', () => {
    it('catch a key built from ARGV or by concatenation, and a command they do not know', () => {
      const problems = (lua: string) => undeclaredKeyUses(stripComments(lua));
      // The snapshot script before its post keys were declared.
      assert.equal(problems("local d = redis.call('HGET', ARGV[3] .. id, 'data')").length, 1);
      assert.equal(problems("redis.call('GET', KEYS[1] .. ':seq')").length, 2);
      assert.equal(problems("local k = KEYS[1] .. 'x'\nredis.call('GET', k)").length, 2);
      assert.equal(problems("local k = KEYS[1]\nk = ARGV[1]\nredis.call('GET', k)").length, 1);
      assert.equal(problems("redis.call('DEL', KEYS[1], ARGV[1])").length, 1);
      assert.equal(problems('redis.call(cmd, KEYS[1])').length, 1);
      assert.equal(problems("redis.call('RENAME', KEYS[1], KEYS[2])").length, 1);
      assert.deepEqual(problems("local a, b = KEYS[1], KEYS[c + 1]\nredis.call('DEL', a, b)"), []);
      assert.deepEqual(problems("-- redis.call('GET', ARGV[1])\nredis.call('GET', KEYS[1])"), []);
    });

    it('catch a header that misses an index the body uses, or documents one it does not', () => {
      const header = '--[[\n  Input:\n    KEYS[1] a\n    ARGV[1] b\n    ARGV[2..] c\n]]\n';
      const mismatches = (body: string) => headerMismatches(header + body, body);
      assert.deepEqual(mismatches('return {KEYS[1], ARGV[1], ARGV[i]}'), []);
      assert.deepEqual(mismatches('return {KEYS[1], ARGV[1], ARGV[3]}'), []);
      assert.deepEqual(mismatches('return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}'), [
        'KEYS[2] is not documented',
      ]);
      assert.deepEqual(mismatches('return {KEYS[k], ARGV[1], ARGV[2]}'), [
        'KEYS[k] without a documented KEYS[n..]',
        'KEYS[1] is documented, never used',
      ]);
      assert.deepEqual(mismatches('return {KEYS[1]}'), [
        'ARGV[1] is documented, never used',
        'ARGV[2..] is documented, never used',
      ]);
    });
  });
});

describe('readLuaScript', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'khabar-lua-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const at = (file: string) => pathToFileURL(join(dir, file));

  it('replaces each --- @include line by the file, once however many files include it', () => {
    writeFileSync(join(dir, 'a.lua'), 'local A = 1\n');
    writeFileSync(join(dir, 'b.lua'), '--- @include "a"\nlocal B = A\n');
    writeFileSync(join(dir, 'main.lua'), '--- @include "a.lua"\n--- @include "b"\nreturn B\n');
    assert.equal(readLuaScript(at('main.lua')), 'local A = 1\n\n\nlocal B = A\n\nreturn B\n');
  });

  it('refuses an include cycle, and says which file is missing', () => {
    writeFileSync(join(dir, 'a.lua'), '--- @include "b"\n');
    writeFileSync(join(dir, 'b.lua'), '--- @include "a"\n');
    assert.throws(
      () => readLuaScript(at('a.lua')),
      /Lua include cycle: .*a\.lua → .*b\.lua → .*a\.lua/,
    );
    assert.throws(() => readLuaScript(at('missing.lua')), /ENOENT.*missing\.lua/);
  });
});
