import { join } from 'node:path';
import { writeFileAtomically } from '../io/index.ts';
import { renderReportHtml } from './render.ts';
import type { ReportData } from './types.ts';

export interface WrittenReport {
  htmlPath: string;
  jsonPath: string;
}

/** Writes report.json and report.html into outDir, each through a temporary file and a rename. */
export async function writeReport(outDir: string, data: ReportData): Promise<WrittenReport> {
  const jsonPath = join(outDir, 'report.json');
  const htmlPath = join(outDir, 'report.html');
  await writeFileAtomically(jsonPath, `${JSON.stringify(data, null, 1)}\n`);
  await writeFileAtomically(htmlPath, renderReportHtml(data));
  return { htmlPath, jsonPath };
}
