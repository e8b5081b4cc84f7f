import type { Role } from '../contract/index.ts';
import type { View, ViewContext } from './view.ts';
import { adminView, ADMIN_PAGES, type AdminPage } from './views/admin/admin.ts';
import { annotateView } from './views/annotate.ts';
import { clinicView } from './views/clinic/clinic.ts';

export interface Route {
  path: string;
  title: string;
  roles: readonly Role[];
  create(context: ViewContext): View;
}

const clinic: Route = { path: 'clinic', title: 'Classify', roles: ['clinician', 'admin'], create: clinicView };
const annotate: Route = { path: 'annotate', title: 'Annotate', roles: ['annotator', 'admin'], create: annotateView };
const adminRoutes: Route[] = ADMIN_PAGES.map((page: AdminPage) => ({
  path: `admin/${page.path}`,
  title: `Admin · ${page.title}`,
  roles: ['admin'],
  create: (context) => adminView(context, page),
}));

export const ROUTES: readonly Route[] = [clinic, annotate, ...adminRoutes];

/** The links in the top bar, for a role. */
export function mainNavigation(role: Role): { path: string; label: string }[] {
  const links = [
    { path: 'clinic', label: 'Classify', roles: clinic.roles },
    { path: 'annotate', label: 'Annotate', roles: annotate.roles },
    { path: adminRoutes[0].path, label: 'Admin', roles: ['admin'] as const },
  ];
  return links.filter((link) => link.roles.includes(role)).map(({ path, label }) => ({ path, label }));
}

export function homeOf(role: Role): string {
  if (role === 'clinician') return 'clinic';
  if (role === 'annotator') return 'annotate';
  return adminRoutes[0].path;
}

export function pathOfHash(hash: string): string {
  return hash.replace(/^#\/?/, '');
}

export function findRoute(path: string): Route | null {
  return ROUTES.find((route) => route.path === path) ?? null;
}
