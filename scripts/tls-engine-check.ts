/**
 * The engine's ClientHellos against the TLS references in ../shared/corpus
 * (see scripts/tls-refs.ts): every capture a reference names goes through
 * Engine.handle, as `pof -r F --json` runs it, with its own reassembly,
 * scanning, QUIC decryption and fingerprints (no tshark involved). Prints
 * the agreement per field, every disagreement, and the cases where the
 * method's specification rules against the reference.
 *
 *   node --import tsx scripts/tls-engine-check.ts [--corpus DIR]
 *
 * Exit status 1 when any field of any reference is under 99.5% agreement
 * (spec-ruled cases counted as agreeing), 2 without a corpus.
 */
import { join, resolve } from 'node:path';
import { compare, readAll, references, TARGET, totals } from './tls-refs.js';

const args = process.argv.slice(2);
const at = args.indexOf('--corpus');
const corpus = resolve(at >= 0 ? args[at + 1]! : join(import.meta.dirname, '../../shared/corpus'));
const refs = references(corpus);
if (refs === null) {
  console.error(`tls-engine-check: no corpus at ${corpus} (give --corpus DIR)`);
  process.exit(2);
}
const t0 = process.hrtime.bigint();
const hellos = readAll(refs);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
let total = 0;
for (const l of hellos.values()) total += l.length;
console.log(`tls-engine-check: ${hellos.size} captures through the engine in ${secs.toFixed(1)} s: ${total} ClientHellos, ${totals.serverHellos} ServerHellos, ${totals.quicInitials} QUIC Initials`);
console.log(`  dropped: ${[...totals.drops].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
let ok = true;
for (const ref of refs) {
  const c = compare(ref, hellos);
  console.log(`\n== ${c.name}: ${c.rows} reference hellos`);
  for (const [n, a] of c.agree) {
    const ruled = c.specRuled.get(n)!;
    const withSpec = c.ratio.get(n)!;
    if (withSpec < TARGET) ok = false;
    const extra = ruled > 0 ? `; ${ruled} where the spec rules against the reference: ${(100 * withSpec).toFixed(2)}% counting those` : '';
    console.log(`  ${n.padEnd(8)} ${a}/${c.rows} agree (${((100 * a) / Math.max(1, c.rows)).toFixed(2)}%)${extra}`);
  }
  console.log(`  matched by: ${[...c.named].map(([n, v]) => `${n} ${v}`).join(', ')}; missing ${c.missing.length}, disagreeing fields ${c.disagreements.length}, spec-ruled ${c.ruled.length}`);
  for (const m of c.missing) console.log(`  MISSING ${m}`);
  for (const d of c.disagreements) console.log(`  DIFFER  ${d}`);
  for (const d of c.ruled) console.log(`  SPEC    ${d}`);
}
console.log(ok ? `\nall references at or above ${TARGET * 100}%` : `\nsome reference under ${TARGET * 100}%`);
process.exit(ok ? 0 : 1);
