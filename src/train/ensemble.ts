import { join } from 'node:path';
import type { TrainConfig } from './config.ts';
import type { ImageSet } from './dataset.ts';
import type { TrainStatus } from './loop.ts';
import { trainClassifier, type TrainOptions, type TrainResult } from './trainer.ts';

/** More members cost more than they can add on the small datasets this is for. */
export const MAX_ENSEMBLE_MEMBERS = 10;

export interface EnsembleOptions extends TrainOptions {
  /** Members to train (1 = a single model, trained exactly as trainClassifier would). */
  members: number;
  /** Called before each member trains. */
  onMember?: (member: number, seed: number) => void;
}

export interface EnsembleResult {
  /** The members trained, in order; the last one may be cancelled. */
  members: TrainResult[];
  /** Cancelled when a member was; else the first member's. */
  status: TrainStatus;
  seconds: number;
}

/** The members' seeds: the run's seed, then the next ones, so that member 0 is the model a single run trains. */
function ensembleSeeds(seed: number, members: number): number[] {
  return Array.from({ length: members }, (_, i) => seed + i);
}

/** The checkpoint folder of a member: the run's own for a single model, `member-N` (from 1) inside it for an ensemble. */
function memberRunDir(runDir: string, member: number, members: number): string {
  return members === 1 ? runDir : join(runDir, `member-${member + 1}`);
}

function checkEnsembleSize(members: number): void {
  if (!Number.isInteger(members) || members < 1 || members > MAX_ENSEMBLE_MEMBERS) {
    throw new Error(`an ensemble has 1 to ${MAX_ENSEMBLE_MEMBERS} members; got ${members}`);
  }
}

/**
 * Trains the same configuration with `members` seeds on the same images, one after the other, each
 * with its own resumable checkpoint (memberRunDir). Stops at the first member that is cancelled.
 */
export async function trainEnsemble(train: ImageSet, validation: ImageSet, config: Partial<TrainConfig> & { seed: number }, options: EnsembleOptions): Promise<EnsembleResult> {
  checkEnsembleSize(options.members);
  const { members: count, onMember, ...trainOptions } = options;
  const members: TrainResult[] = [];
  for (const [i, seed] of ensembleSeeds(config.seed, count).entries()) {
    onMember?.(i, seed);
    const runDir = trainOptions.runDir === undefined ? undefined : memberRunDir(trainOptions.runDir, i, count);
    // every member is served with the first member's normalisation: computed once, then given to the others
    const normalisation = trainOptions.normalisation ?? members[0]?.normalisation;
    const member = await trainClassifier(train, validation, { ...config, seed }, { ...trainOptions, runDir, normalisation });
    members.push(member);
    if (member.status === 'cancelled') break;
  }
  const status = members.at(-1)!.status === 'cancelled' ? 'cancelled' : members[0].status;
  return { members, status, seconds: members.reduce((sum, member) => sum + member.seconds, 0) };
}
