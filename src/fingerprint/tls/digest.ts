/**
 * Hex digests of short inputs. node:crypto's one-shot hash() (Node 20.12
 * and later) costs a fraction of a createHash() chain on inputs this
 * short; older Node 20 releases get the chain.
 */
import * as crypto from 'node:crypto';

type OneShot = (algorithm: string, data: crypto.BinaryLike, encoding: 'hex') => string;
const oneShot = (crypto as { hash?: OneShot }).hash;

export const digestHex: (algorithm: 'sha256' | 'md5', data: string | Buffer) => string =
  typeof oneShot === 'function'
    ? (algorithm, data) => oneShot(algorithm, data, 'hex')
    : (algorithm, data) => crypto.createHash(algorithm).update(data).digest('hex');
