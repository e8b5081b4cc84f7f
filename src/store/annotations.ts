import type { Database } from 'better-sqlite3';
import type { Clock } from './clock.ts';
import { invalid } from './errors.ts';
import type { Projects } from './projects.ts';

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
// has fewer real labels ('skip' is none) than the project requires.
const QUEUE_WHERE = `
  pi.project_id = @projectId
  AND pi.adjudicated_label IS NULL
  AND NOT EXISTS (SELECT 1 FROM annotations a
                  WHERE a.project_id = pi.project_id AND a.image_sha256 = pi.image_sha256 AND a.annotator_id = @annotatorId)
  AND (SELECT count(*) FROM annotations a
       WHERE a.project_id = pi.project_id AND a.image_sha256 = pi.image_sha256 AND a.label != 'skip') < @labelsRequired`;

/**
 * Labels: one current label per (image, annotator) in `annotations`, every label ever given in
 * `annotation_history`. Writes are single synchronous transactions, so two annotators labelling the
 * same image at once both land as separate rows and one annotator labelling twice ends with the
 * later label.
 */
export class Annotations {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly projects: Projects,
  ) {}

  label(projectId: number, sha256: string, annotatorId: number, label: string): LabelResult {
    const write = this.db.transaction((): LabelResult => {
      const project = this.projects.require(projectId);
      this.projects.requireImage(projectId, sha256);
      if (!project.choices.includes(label)) throw invalid(`"${label}" is not a choice in this project (choices: ${project.choices.join(', ')})`);
      const previous = this.ownLabel(projectId, sha256, annotatorId);
      const now = this.clock();
      this.db
        .prepare(
          `INSERT INTO annotations (project_id, image_sha256, annotator_id, label, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (project_id, image_sha256, annotator_id) DO UPDATE SET label = excluded.label, created_at = excluded.created_at`,
        )
        .run(projectId, sha256, annotatorId, label, now);
      this.db
        .prepare('INSERT INTO annotation_history (project_id, image_sha256, annotator_id, label, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(projectId, sha256, annotatorId, label, now);
      return { sha256, label, previousLabel: previous };
    });
    return write.immediate();
  }

  /** Takes back the annotator's most recent label in the project; null when there is nothing to undo. */
  undoLast(projectId: number, annotatorId: number): UndoResult | null {
    const undo = this.db.transaction((): UndoResult | null => {
      this.projects.require(projectId);
      const last = this.db
        .prepare(
          `SELECT id, image_sha256, label FROM annotation_history
           WHERE project_id = ? AND annotator_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`,
        )
        .get(projectId, annotatorId) as { id: number; image_sha256: string; label: string } | undefined;
      if (!last) return null;
      this.db.prepare('UPDATE annotation_history SET undone_at = ? WHERE id = ?').run(this.clock(), last.id);
      const earlier = this.db
        .prepare(
          `SELECT label, created_at FROM annotation_history
           WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`,
        )
        .get(projectId, last.image_sha256, annotatorId) as { label: string; created_at: number } | undefined;
      if (earlier) {
        this.db
          .prepare('UPDATE annotations SET label = ?, created_at = ? WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ?')
          .run(earlier.label, earlier.created_at, projectId, last.image_sha256, annotatorId);
      } else {
        this.db.prepare('DELETE FROM annotations WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ?').run(projectId, last.image_sha256, annotatorId);
      }
      return { sha256: last.image_sha256, undoneLabel: last.label, restoredLabel: earlier?.label ?? null };
    });
    return undo.immediate();
  }

  /** The first image (in the order they were added) still waiting for this annotator. */
  next(projectId: number, annotatorId: number): QueuePosition {
    const project = this.projects.require(projectId);
    const params = { projectId, annotatorId, labelsRequired: project.labelsRequired };
    const first = this.db.prepare(`SELECT pi.image_sha256 FROM project_images pi WHERE ${QUEUE_WHERE} ORDER BY pi.id LIMIT 1`).get(params) as
      | { image_sha256: string }
      | undefined;
    const { remaining } = this.db.prepare(`SELECT count(*) AS remaining FROM project_images pi WHERE ${QUEUE_WHERE}`).get(params) as { remaining: number };
    return { sha256: first?.image_sha256 ?? null, remaining };
  }

  ownLabel(projectId: number, sha256: string, annotatorId: number): string | null {
    const row = this.db
      .prepare('SELECT label FROM annotations WHERE project_id = ? AND image_sha256 = ? AND annotator_id = ?')
      .get(projectId, sha256, annotatorId) as { label: string } | undefined;
    return row?.label ?? null;
  }

  /** Every current label in the project, by image order then labelling time. */
  votes(projectId: number): Vote[] {
    return this.db
      .prepare(
        `SELECT a.image_sha256 AS sha256, a.annotator_id AS annotatorId, u.username, a.label, a.created_at AS createdAt
         FROM annotations a
         JOIN project_images pi ON pi.project_id = a.project_id AND pi.image_sha256 = a.image_sha256
         JOIN users u ON u.id = a.annotator_id
         WHERE a.project_id = ? ORDER BY pi.id, a.created_at, a.annotator_id`,
      )
      .all(projectId) as Vote[];
  }
}
