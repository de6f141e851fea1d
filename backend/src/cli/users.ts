// `firelink user add|list|passwd|disable`: account administration from the command line,
// notably the first admin of a real (non-demo) install. Generated passwords are printed once.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { roleSchema, userCreateSchema } from '@firelink/common';
import { APP_DATABASE } from './db.ts';
import { resolveDatabase } from '../db/environment.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { generatePassword } from '../auth/passwords.ts';
import { createUser, toUserDto, updateUser } from '../users/service.ts';
import * as q from '../users/queries.ts';

const USAGE = `usage:
  firelink user add <username> --role <role> [--name <display name>] [--regions 320106,320102] [--units 12,13]
  firelink user list
  firelink user passwd <username>        (new random password, printed once; ends the user's sessions)
  firelink user disable <username>
roles: ${roleSchema.options.join(', ')}
`;

const say = (m: string) => process.stderr.write(`[firelink user] ${m}\n`);
const numbers = (s: string | undefined) => (s ? s.split(',').filter(Boolean).map((x) => Number(x.trim())) : []);

export async function userCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { role: { type: 'string' }, name: { type: 'string' }, regions: { type: 'string' }, units: { type: 'string' } },
  });
  const [sub, username] = positionals;
  if (!sub || !['add', 'list', 'passwd', 'disable'].includes(sub) || (sub !== 'list' && !username)) {
    process.stderr.write(USAGE);
    return 1;
  }
  const env = await resolveDatabase(APP_DATABASE, say);
  const pool = createPool(env.url, 2);
  const source = { actor: { userId: null, username: `cli:${process.env.USER ?? userInfo().username}` }, ip: 'local' };
  try {
    await migrate(env.url, { log: say });
    if (sub === 'list') {
      const r = await pool.query(q.listUsers({ limit: 10000, offset: 0 }));
      for (const u of r.rows.map(toUserDto)) {
        const j = u.role === 'admin' ? 'all' : u.units.length ? `units ${u.units.join(',')}` : `regions ${u.regions.join(',') || '-'}`;
        process.stdout.write(`${String(u.id).padStart(5)} ${u.username.padEnd(20)} ${u.role.padEnd(11)} ${u.disabled ? 'disabled ' : ''}${j}\n`);
      }
      return 0;
    }
    const found = await pool.query('SELECT id FROM users WHERE username = $1', [username]);
    if (sub === 'add') {
      const password = generatePassword();
      const input = userCreateSchema.parse({
        username,
        displayName: values.name ?? username,
        role: values.role,
        password,
        regions: numbers(values.regions),
        units: numbers(values.units),
      });
      const u = await createUser(pool, { ...input, password }, source);
      process.stdout.write(`created ${u.username} (${u.role}); password (shown once): ${password}\n`);
      if (u.role !== 'admin' && u.regions.length === 0 && u.units.length === 0) {
        say(`warning: ${u.username} has no jurisdiction and will see no units or alarms; give it one with the users API (PATCH /api/users/${u.id} {"regions":[320106]}) or add it again with --regions or --units`);
      }
      return 0;
    }
    if (!found.rows[0]) {
      say(`no user named ${username}: see firelink user list`);
      return 1;
    }
    const id = Number(found.rows[0].id);
    if (sub === 'passwd') {
      const password = generatePassword();
      await updateUser(pool, id, { password }, source);
      process.stdout.write(`new password for ${username} (shown once): ${password}\n`);
    } else {
      await updateUser(pool, id, { disabled: true }, source);
      process.stdout.write(`${username} disabled; its sessions and tokens are revoked\n`);
    }
    return 0;
  } catch (err) {
    const e = err as { issues?: Array<{ path: unknown[]; message: string }>; message: string };
    if (e.issues) say(e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    else say(e.message);
    process.stderr.write(USAGE);
    return 1;
  } finally {
    await pool.end();
    env.cluster?.stop();
  }
}
