import type { Clock } from './clock.ts';
import { invalid } from './errors.ts';
import type { Projects } from './projects.ts';
import type { Sql } from './sql.ts';

export interface LabelResult {
  sha256: string;
  label: string;
  /** The annotator's label this one replaced, if any. */
  previousLabel: string | null;
}

export interface UndoResult {
  sha256: string;
  undoneLabel: string;
  /** The annotator's earlier label for that image, current again; null when the image is back in the queue. */
  restoredLabel: string | null;
}

export interface QueuePosition {
  /** The next image to label, or null when the annotator is done. */
  sha256: string | null;
  /** Images still waiting for this annotator, the returned one included. */
  remaining: number;
}

/** One annotator's current label for one image. */
export interface Vote {
  sha256: string;
  annotatorId: number;
  username: string;
  label: string;
  createdAt: number;
}

// An image waits for an annotator while they have not answered it, nobody adjudicated it and it
// has fewer real labels ('skip' is none) than the project requires. Parameters: project id,
// annotator id, labels required.
const QUEUE_WHERE = `
  pi.project_id = ?
  AND pi.adjudicated_label IS NULL
  AND NOT EXISTS (SELECT 1 FROM annotations a
                  WHERE a.project_id = pi.project_id AND a.image_sha256 = pi.image_sha256 AND a.annotator_id = ?)
  AND (SELECT count(*) FROM annotations a
       WHERE a.project_id = pi.project_id AND a.image_sha256 = pi.image_sha256 AND a.label != 'skip') < ?`;

/**
 * Labels: one current label per (image, annotator) in `annotations`, every label ever given in
 * `annotation_history`. Writes are single transactions, so two annotators labelling the
 * same image at once both land as separate rows and one annotator labelling twice ends with the
 * later label.
 */
export class Annotations {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
    private readonly projects: Projects,
  ) {}

  label(projectId: number, sha256: string, annotatorId: number, label: string): Promise<LabelResult> {
    return this.db.transaction(async () => {
      const project = await this.projects.require(projectId);
      await this.projects.requireImage(projectId, sha256);
      if (!project.choices.includes(label)) throw invalid(`"${label}" is not a choice in this project (choices: ${project.choices.join(', ')})`);
      const previous = await this.ownLabel(projectId, sha256, annotatorId);
      const now = this.clock();
      await this.db.run(
        `INSERT INTO annotations (project_id, image_sha256, annotator_id, label, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (project_id, image_sha256, annotator_id) DO UPDATE SET label = excluded.label, created_at = excluded.created_at`,
        [projectId, sha256, annotatorId, label, now],
      );
      await this.db.run('INSERT INTO annotation_history (project_id, image_sha256, annotator_id, label, created_at) VALUES (?, ?, ?, ?, ?)', [projectId, sha256, annotatorId, label, now]);
      return { sha256, label, previousLabel: previous };
    });
  }

  /** Takes back the annotator's most recent label in the project; null when there is nothing to undo. */
  undoLast(projectId: number, annotatorId: number): Promise<UndoResult | null> {
    return this.db.transaction(async () => {
      await this.projects.require(projectId);
      const last = await this.db.get<{ id: number; image_sha256: string; label: string }>(
        `SELECT id, image_sha256, label FROM annotation_history
         WHERE project_id = ? AND annotator_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`,
        [projectId, annotatorId],
      );
      if (!last) return null;
      await this.db.run('UPDATE annotation_history SET undone_at = ? WHERE id = ?', [this.clock(), last.id]);
      const earlier = await this.db.get<{ label: string; created_at: number }>(
        `SELECT label, created_at FROM annotation_history
         WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`,
        [projectId, last.image_sha256, annotatorId],
      );
      const key = [projectId, last.image_sha256, annotatorId];
      if (earlier) {
        await this.db.run('UPDATE annotations SET label = ?, created_at = ? WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ?', [earlier.label, earlier.created_at, ...key]);
      } else {
        await this.db.run('DELETE FROM annotations WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ?', key);
      }
      return { sha256: last.image_sha256, undoneLabel: last.label, restoredLabel: earlier?.label ?? null };
    });
  }

  /** The first image (in the order they were added) still waiting for this annotator. */
  async next(projectId: number, annotatorId: number): Promise<QueuePosition> {
    const project = await this.projects.require(projectId);
    const params = [projectId, annotatorId, project.labelsRequired];
    const first = await this.db.get<{ image_sha256: string }>(`SELECT pi.image_sha256 FROM project_images pi WHERE ${QUEUE_WHERE} ORDER BY pi.id LIMIT 1`, params);
    const counted = await this.db.get<{ remaining: number }>(`SELECT count(*) AS remaining FROM project_images pi WHERE ${QUEUE_WHERE}`, params);
    return { sha256: first?.image_sha256 ?? null, remaining: counted!.remaining };
  }

  async ownLabel(projectId: number, sha256: string, annotatorId: number): Promise<string | null> {
    const row = await this.db.get<{ label: string }>('SELECT label FROM annotations WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ?', [projectId, sha256, annotatorId]);
    return row?.label ?? null;
  }

  /** Every current label in the project, by image order then labelling time. */
  votes(projectId: number): Promise<Vote[]> {
    return this.db.all<Vote>(
      `SELECT a.image_sha256 AS sha256, a.annotator_id AS "annotatorId", u.username, a.label, a.created_at AS "createdAt"
       FROM annotations a
       JOIN project_images pi ON pi.project_id = a.project_id AND pi.image_sha256 = a.image_sha256
       JOIN users u ON u.id = a.annotator_id
       WHERE a.project_id = ? ORDER BY pi.id, a.created_at, a.annotator_id`,
      [projectId],
    );
  }
}
