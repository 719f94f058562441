/** The periodic kernel-drop report of the live sensor (reportDrops). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportDrops } from '../../src/cli/live-run.js';
import type { LiveStats } from '../../src/capture/live.js';

const stats = (received: number, droppedKernel: number, droppedInterface: number): LiveStats => ({ received, droppedKernel, droppedInterface, delivered: received - droppedKernel, duplicates: 0 });

test('reportDrops says nothing while the counters stand still, then the growth since the last report', () => {
  const said: string[] = [];
  const last = { kernel: 0, iface: 0 };
  reportDrops(stats(1000, 0, 0), last, (m) => said.push(m));
  assert.equal(said.length, 0);
  reportDrops(stats(5000, 12, 0), last, (m) => said.push(m));
  reportDrops(stats(6000, 12, 0), last, (m) => said.push(m));
  reportDrops(stats(9000, 20, 3), last, (m) => said.push(m));
  assert.deepEqual(said, [
    '[!] Packets dropped: kernel 12, interface 0 since the last report (totals 12, 0 of 5000 received).',
    '[!] Packets dropped: kernel 8, interface 3 since the last report (totals 20, 3 of 9000 received).',
  ]);
  assert.deepEqual(last, { kernel: 20, iface: 3 });
});
