// The memory store keeps the StateStore contract.
import { MemoryStore } from '../../src/state/memory.ts';
import { describeStateStore } from './store-contract.ts';

describeStateStore('memory', async () => new MemoryStore());
