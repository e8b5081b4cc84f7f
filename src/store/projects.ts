import type { LabelTreeNode, Project as ContractProject } from '../contract/index.ts';
import { checkClassTree, EXTRA_CHOICES, leafClasses } from './class-tree.ts';
import type { Clock } from './clock.ts';
import { invalid, notFound } from './errors.ts';
import { isSha256 } from './blob-store.ts';
import type { Sql } from './sql.ts';
import { checkText, optionalText } from './text.ts';

export const MAX_LABELS_REQUIRED = 50;
const MAX_NAME_LENGTH = 200;
const MAX_FIELD_LENGTH = 500;

export type Project = ContractProject<number>;

export interface NewProject {
  name: string;
  classTree: unknown;
  labelsRequired: number;
  createdBy: number | null;
}

export interface ProjectImage {
  sha256: string;
  patientId: string;
  specimen: string | null;
  /** The uploader's file name, kept as text for reference only; never used as a path. */
  originalName: string | null;
  addedAt: number;
}

export interface NewProjectImage {
  sha256: string;
  /** Default: the image's own sha256, i.e. every image its own patient. */
  patientId?: string | null;
  specimen?: string | null;
  originalName?: string | null;
}

interface ProjectRow {
  id: number;
  name: string;
  class_tree: string;
  labels_required: number;
  created_at: number;
  image_count: number;
}

export interface ProjectImageRow {
  image_sha256: string;
  patient_id: string;
  specimen: string | null;
  original_name: string | null;
  added_at: number;
}

function toProject(row: ProjectRow): Project {
  const classTree = JSON.parse(row.class_tree) as LabelTreeNode[];
  const classes = leafClasses(classTree);
  return {
    id: row.id,
    name: row.name,
    classTree,
    classes,
    choices: [...classes, ...EXTRA_CHOICES],
    labelsRequired: row.labels_required,
    createdAt: row.created_at,
    imageCount: row.image_count,
  };
}

export function toProjectImage(row: ProjectImageRow): ProjectImage {
  return { sha256: row.image_sha256, patientId: row.patient_id, specimen: row.specimen, originalName: row.original_name, addedAt: row.added_at };
}

const PROJECT_SELECT = `
  SELECT p.*, (SELECT count(*) FROM project_images pi WHERE pi.project_id = p.id) AS image_count
  FROM projects p`;

export class Projects {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
  ) {}

  async create(project: NewProject): Promise<Project> {
    const name = checkText('name', project.name, MAX_NAME_LENGTH);
    const classTree = checkClassTree(project.classTree);
    const { labelsRequired } = project;
    if (!Number.isInteger(labelsRequired) || labelsRequired < 1 || labelsRequired > MAX_LABELS_REQUIRED) {
      throw invalid(`labelsRequired must be an integer from 1 to ${MAX_LABELS_REQUIRED}`);
    }
    const row = await this.db.get<{ id: number }>('INSERT INTO projects (name, class_tree, labels_required, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id', [
      name,
      JSON.stringify(classTree),
      labelsRequired,
      project.createdBy,
      this.clock(),
    ]);
    return this.require(row!.id);
  }

  async get(id: number): Promise<Project | null> {
    const row = await this.db.get<ProjectRow>(`${PROJECT_SELECT} WHERE p.id = ?`, [id]);
    return row ? toProject(row) : null;
  }

  async require(id: number): Promise<Project> {
    const project = await this.get(id);
    if (!project) throw notFound(`no project with id ${id}`);
    return project;
  }

  async list(): Promise<Project[]> {
    return (await this.db.all<ProjectRow>(`${PROJECT_SELECT} ORDER BY p.id`)).map(toProject);
  }

  /** Adds a stored image to the project; adding it again changes nothing and reports added: false. */
  async addImage(projectId: number, image: NewProjectImage): Promise<{ image: ProjectImage; added: boolean }> {
    await this.require(projectId);
    if (!isSha256(image.sha256)) throw invalid('an image id is 64 lowercase hex digits (sha256)');
    const patientId = optionalText('patientId', image.patientId, MAX_FIELD_LENGTH) ?? image.sha256;
    const specimen = optionalText('specimen', image.specimen, MAX_FIELD_LENGTH);
    const originalName = optionalText('originalName', image.originalName, MAX_FIELD_LENGTH);
    const changes = await this.db.run(
      `INSERT INTO project_images (project_id, image_sha256, patient_id, specimen, original_name, added_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, image_sha256) DO NOTHING`,
      [projectId, image.sha256, patientId, specimen, originalName, this.clock()],
    );
    return { image: await this.requireImage(projectId, image.sha256), added: changes === 1 };
  }

  async getImage(projectId: number, sha256: string): Promise<ProjectImage | null> {
    const row = await this.db.get<ProjectImageRow>('SELECT * FROM project_images WHERE project_id = ? AND image_sha256 = ?', [projectId, sha256]);
    return row ? toProjectImage(row) : null;
  }

  async requireImage(projectId: number, sha256: string): Promise<ProjectImage> {
    const image = await this.getImage(projectId, sha256);
    if (!image) throw notFound(`image ${sha256} is not part of project ${projectId}`);
    return image;
  }

  /** The project's images, in the order they were added. */
  async imageHashes(projectId: number): Promise<string[]> {
    const rows = await this.db.all<{ image_sha256: string }>('SELECT image_sha256 FROM project_images WHERE project_id = ? ORDER BY id', [projectId]);
    return rows.map((row) => row.image_sha256);
  }

  async isInAnyProject(sha256: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 FROM project_images WHERE image_sha256 = ? LIMIT 1', [sha256])) !== undefined;
  }
}
