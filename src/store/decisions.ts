import type { DecisionStatus } from '../contract/index.ts';
import { agreementReport, type AgreementReport } from './agreement.ts';
import type { Annotations, Vote } from './annotations.ts';
import { blobKey } from './blob-store.ts';
import type { Clock } from './clock.ts';
import { toCsv, type CsvOptions } from './csv.ts';
import { IMAGES_FOLDER } from './images.ts';
import { invalid } from './errors.ts';
import type { Sql } from './sql.ts';
import { toProjectImage, type ProjectImage, type ProjectImageRow, type Projects } from './projects.ts';

export interface ImageDecision extends ProjectImage {
  /** Real labels ('skip' is not one), earliest first. */
  votes: { annotatorId: number; username: string; label: string }[];
  adjudicatedLabel: string | null;
  /** The label that goes into the training manifest, or null. */
  label: string | null;
  status: DecisionStatus;
}

export interface ManifestExport {
  csv: string;
  included: number;
  /** Images included per decided label, in the order first met. */
  perLabel: Map<string, number>;
  /** Images without a decision, left out of the manifest, by reason. */
  leftOut: Record<Exclude<DecisionStatus, 'adjudicated' | 'unanimous' | 'majority'>, number>;
}

/** Path of an image's file relative to the data folder (in the default image store), with forward slashes, as the manifest lists it. */
export function manifestPathOf(sha256: string): string {
  return `${IMAGES_FOLDER}/${blobKey(sha256)}`;
}

function decide(votes: readonly string[], labelsRequired: number, adjudicated: string | null): { label: string | null; status: DecisionStatus } {
  if (adjudicated !== null) return adjudicated === 'unclear' ? { label: null, status: 'unclear' } : { label: adjudicated, status: 'adjudicated' };
  if (votes.length < labelsRequired) return { label: null, status: 'awaiting-labels' };
  const tally = new Map<string, number>();
  for (const vote of votes) tally.set(vote, (tally.get(vote) ?? 0) + 1);
  const [top, count] = [...tally].sort((a, b) => b[1] - a[1])[0];
  if (count * 2 <= votes.length) return { label: null, status: 'no-majority' };
  if (top === 'unclear') return { label: null, status: 'unclear' };
  return { label: top, status: count === votes.length ? 'unanimous' : 'majority' };
}

function isDisagreement(decision: ImageDecision): boolean {
  return new Set(decision.votes.map((v) => v.label)).size > 1;
}

/** Final labels of a project's images: adjudication first, else a unanimous or strict-majority vote. */
export class Decisions {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
    private readonly projects: Projects,
    private readonly annotations: Annotations,
  ) {}

  async forProject(projectId: number): Promise<ImageDecision[]> {
    const project = await this.projects.require(projectId);
    const votesByImage = await this.realVotesByImage(projectId);
    const rows = await this.db.all<ProjectImageRow & { adjudicated_label: string | null }>('SELECT * FROM project_images WHERE project_id = ? ORDER BY id', [projectId]);
    return rows.map((row) => {
      const votes = (votesByImage.get(row.image_sha256) ?? []).map(({ annotatorId, username, label }) => ({ annotatorId, username, label }));
      const decision = decide(
        votes.map((v) => v.label),
        project.labelsRequired,
        row.adjudicated_label,
      );
      return { ...toProjectImage(row), votes, adjudicatedLabel: row.adjudicated_label, ...decision };
    });
  }

  /** Images whose annotators gave different labels, adjudicated or not. */
  async disagreements(projectId: number): Promise<ImageDecision[]> {
    return (await this.forProject(projectId)).filter(isDisagreement);
  }

  /** The admin's final label for an image: a class, or 'unclear' to keep it out of training. */
  async adjudicate(projectId: number, sha256: string, label: string, adminId: number): Promise<ImageDecision> {
    const project = await this.projects.require(projectId);
    await this.projects.requireImage(projectId, sha256);
    if (!project.classes.includes(label) && label !== 'unclear') {
      throw invalid(`"${label}" is not a class of this project (classes: ${project.classes.join(', ')}, or 'unclear')`);
    }
    await this.db.run('UPDATE project_images SET adjudicated_label = ?, adjudicated_by = ?, adjudicated_at = ? WHERE project_id = ? AND image_sha256 = ?', [
      label,
      adminId,
      this.clock(),
      projectId,
      sha256,
    ]);
    return (await this.forProject(projectId)).find((d) => d.sha256 === sha256)!;
  }

  /**
   * The CSV manifest the trainer reads: path (relative to the data folder), label, patient_id,
   * specimen, annotators (how many gave a real label) and agreement (the share of them that gave
   * the final label). Images without a decision are left out and counted. For a download, pass
   * { guardFormulas: true }; the trainer reads the manifest as it is.
   */
  async manifest(projectId: number, csvOptions: CsvOptions = {}): Promise<ManifestExport> {
    const leftOut: ManifestExport['leftOut'] = { 'awaiting-labels': 0, 'no-majority': 0, unclear: 0 };
    const rows: (string | number | null)[][] = [];
    const perLabel = new Map<string, number>();
    for (const decision of await this.forProject(projectId)) {
      if (decision.label === null) {
        leftOut[decision.status as keyof ManifestExport['leftOut']]++;
        continue;
      }
      const agreeing = decision.votes.filter((v) => v.label === decision.label).length;
      const agreement = decision.votes.length > 0 ? (agreeing / decision.votes.length).toFixed(3) : '';
      rows.push([manifestPathOf(decision.sha256), decision.label, decision.patientId, decision.specimen, decision.votes.length, agreement]);
      perLabel.set(decision.label, (perLabel.get(decision.label) ?? 0) + 1);
    }
    const csv = toCsv(['path', 'label', 'patient_id', 'specimen', 'annotators', 'agreement'], rows, csvOptions);
    return { csv, included: rows.length, perLabel, leftOut };
  }

  async agreement(projectId: number): Promise<AgreementReport> {
    const project = await this.projects.require(projectId);
    return agreementReport([...(await this.realVotesByImage(projectId)).values()], [...project.classes, 'unclear'], project.labelsRequired);
  }

  private async realVotesByImage(projectId: number): Promise<Map<string, Vote[]>> {
    const byImage = new Map<string, Vote[]>();
    for (const vote of await this.annotations.votes(projectId)) {
      if (vote.label === 'skip') continue;
      const votes = byImage.get(vote.sha256) ?? [];
      votes.push(vote);
      byImage.set(vote.sha256, votes);
    }
    return byImage;
  }
}
