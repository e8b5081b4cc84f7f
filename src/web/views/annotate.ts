import { api, ApiError, messageOf } from '../api.ts';
import { field, h, Message, options, replace } from '../dom.ts';
import { classKeys, keyAction, SKIP_KEY, UNCLEAR_KEY } from '../keys.ts';
import { isGroup, labelNamer, leafNames } from '../label-tree.ts';
import { swipeDirection } from '../swipe.ts';
import type { ImageRef, Project } from '../../contract/index.ts';
import type { View, ViewContext } from '../view.ts';

/** A label's button: its text, and its key shown only where there is a keyboard (the stylesheet hides `kbd` on touch screens). */
function keyButton(key: string | undefined, text: string, onPress: () => void, extraClass = ''): HTMLButtonElement {
  const shown = key && (key.length === 1 ? key.toUpperCase() : key);
  return h(
    'button',
    { type: 'button', class: `key-button ${extraClass}`, attrs: { 'aria-keyshortcuts': shown }, on: { click: onPress } },
    shown && h('kbd', {}, shown),
    h('span', { class: 'key-label' }, text),
  );
}

/** The class keys grouped as in the class tree: each top-level group with its classes, by the names clinicians see. */
function keyGroups(project: Project, keyOf: ReadonlyMap<string, string>, onLabel: (label: string) => void): HTMLElement[] {
  const shownName = nameOf(project);
  const button = (name: string) => keyButton(keyOf.get(name), shownName(name), () => onLabel(name));
  const groups: HTMLElement[] = [];
  let loose: string[] = [];
  const flushLoose = () => {
    if (loose.length > 0) groups.push(h('div', { class: 'key-group' }, loose.map(button)));
    loose = [];
  };
  for (const node of project.classTree) {
    // A group of one class needs no heading of its own: the class's button says it.
    const leaves = isGroup(node) ? leafNames(node.children!) : [node.name];
    if (leaves.length === 1) {
      loose.push(leaves[0]);
      continue;
    }
    flushLoose();
    groups.push(h('div', { class: 'key-group', attrs: { role: 'group', 'aria-label': shownName(node.name) } }, h('p', { class: 'key-group-name' }, shownName(node.name)), leaves.map(button)));
  }
  flushLoose();
  return groups;
}

const nameOf = (project: Project) => labelNamer(project.classTree);

/**
 * The annotator's workspace: one image at a time, one key per class, U unclear, S skip, Z or
 * Backspace undo, automatic advance. Only the queue is read: other annotators' labels never reach it.
 */
export function annotateView({ user }: ViewContext): View {
  const storageKey = `gramlens.annotate.project.${user.id}`;
  let project: Project | null = null;
  let keyOf = new Map<string, string>();
  let current: ImageRef | null = null;
  let remaining = 0;
  let answered = 0;
  let working = false;

  const projectSelect = h('select', { name: 'project' });
  const picker = h('div', { class: 'project-picker' }, field('Project', projectSelect));
  const message = new Message();
  const live = h('p', { class: 'visually-hidden', attrs: { role: 'status', 'aria-live': 'polite' } });
  const progressText = h('p', { class: 'progress-text' });
  const progressBar = h('progress', { max: 1, value: 0, attrs: { 'aria-label': 'Progress this session' } });
  const image = h('img', { alt: '' });
  const figure = h('figure', { class: 'annotate-image', tabIndex: -1, attrs: { 'aria-label': 'Image to label' } }, image);
  const done = h('p', { class: 'done', hidden: true });
  const keys = h('div', { class: 'keys', attrs: { 'aria-label': 'Labels and their keys', role: 'group' } });
  const workspace = h(
    'div',
    { class: 'workspace', hidden: true },
    h('div', { class: 'workspace-image' }, h('div', { class: 'progress' }, progressText, progressBar), figure, done),
    h(
      'div',
      { class: 'workspace-keys' },
      keys,
      h('p', { class: 'hint keyboard-only' }, 'Press a key to label (Z or Backspace undoes); the next image follows by itself.'),
      h('p', { class: 'hint touch-only' }, 'Tap a label; the next image follows by itself. Swipe the image left to skip it, right to undo.'),
      h('p', { class: 'hint' }, 'Your labels are your own: you never see other annotators’ answers.'),
    ),
  );

  const renderProgress = () => {
    progressText.textContent = `Done this session: ${answered} · Left in your queue: ${remaining}`;
    progressBar.max = Math.max(1, answered + remaining);
    progressBar.value = answered;
  };

  const renderImage = () => {
    figure.dataset.state = working ? 'saving' : 'ready';
    figure.setAttribute('aria-busy', String(working));
    if (current) {
      if (figure.dataset.sha !== current.sha256) {
        image.src = current.url;
        image.alt = `Image ${current.sha256.slice(0, 8)} to label`;
        figure.dataset.sha = current.sha256;
      }
      figure.hidden = false;
      done.hidden = true;
    } else {
      figure.hidden = true;
      delete figure.dataset.sha;
      done.hidden = false;
      done.textContent = answered > 0 ? 'All done: nothing is left in your queue for this project. Thank you!' : 'Nothing is waiting for you in this project.';
    }
    renderProgress();
  };

  async function loadNext(): Promise<void> {
    if (!project) return;
    const next = await api.queueNext(project.id);
    current = next.image;
    remaining = next.remaining;
  }

  /**
   * Runs one step (label, undo, load) at a time, until the next image is on screen: keys pressed
   * meanwhile are ignored, not queued, so a key always labels the image the annotator sees.
   */
  async function step(work: () => Promise<void>): Promise<void> {
    if (working) return;
    working = true;
    renderImage();
    try {
      await work();
      renderImage();
      if (current) await image.decode().catch(() => message.show('This image could not be shown. Press S to skip it, or reload the page.', 'error'));
    } catch (error) {
      message.show(error instanceof ApiError && error.status === 409 ? 'Nothing to undo.' : messageOf(error), 'error');
    } finally {
      working = false;
      renderImage();
    }
  }

  const label = (value: string) =>
    step(async () => {
      if (!project || !current) return;
      const chosen = current;
      await api.annotate(project.id, chosen.sha256, value);
      answered += 1;
      message.clear();
      live.textContent = `Saved ${nameOf(project)(value)}. Next image.`;
      await loadNext();
    });

  const undo = () =>
    step(async () => {
      if (!project) return;
      const undone = await api.undo(project.id);
      answered = Math.max(0, answered - 1);
      if (undone.restoredLabel === null) remaining += 1;
      current = undone.image;
      const text = `Undid “${nameOf(project)(undone.undoneLabel)}”. Label this image again.`;
      message.show(text);
      live.textContent = text;
    });

  const openProject = (chosen: Project) =>
    step(async () => {
      project = chosen;
      localStorage.setItem(storageKey, String(chosen.id));
      keyOf = classKeys(chosen.classes);
      answered = 0;
      replace(
        keys,
        keyGroups(chosen, keyOf, (name) => void label(name)),
        h(
          'div',
          { class: 'key-group key-group-extra' },
          keyButton(UNCLEAR_KEY, 'Unclear', () => void label('unclear')),
          keyButton(SKIP_KEY, 'Skip', () => void label('skip')),
          keyButton('z', 'Undo', () => void undo(), 'key-undo'),
        ),
      );
      workspace.hidden = false;
      message.clear();
      await loadNext();
    });

  const onKey = (event: KeyboardEvent) => {
    if (!project) return;
    const action = keyAction(event, keyOf);
    if (!action) return;
    event.preventDefault();
    void (action.kind === 'undo' ? undo() : label(action.label));
  };
  document.addEventListener('keydown', onKey);

  // Swipes on the image: left skips it, right undoes the last label.
  let swipeStart: { x: number; y: number } | null = null;
  figure.addEventListener('pointerdown', (event) => {
    swipeStart = event.pointerType === 'mouse' ? null : { x: event.clientX, y: event.clientY };
  });
  figure.addEventListener('pointercancel', () => (swipeStart = null));
  figure.addEventListener('pointerup', (event) => {
    if (!swipeStart || !project) return;
    const direction = swipeDirection(swipeStart, { x: event.clientX, y: event.clientY });
    swipeStart = null;
    if (direction === 'left') void label('skip');
    else if (direction === 'right') void undo();
  });

  const element = h('div', { class: 'annotate' }, h('div', { class: 'annotate-head' }, h('h1', { tabIndex: -1 }, 'Annotate'), picker), message.element, live, workspace);

  api
    .projects()
    .then((projects) => {
      if (projects.length === 0) {
        picker.hidden = true;
        return message.show('There are no annotation projects yet. An admin creates them.');
      }
      const saved = Number(localStorage.getItem(storageKey));
      const initial = projects.find((p) => p.id === saved) ?? projects[0];
      options(
        projectSelect,
        projects.map((p) => ({ value: String(p.id), label: `${p.name} (${p.imageCount} images)` })),
        String(initial.id),
      );
      projectSelect.addEventListener('change', () => {
        const chosen = projects.find((p) => String(p.id) === projectSelect.value);
        // A switch asked for mid-save is ignored: show the project that is really open.
        if (!chosen) return;
        void openProject(chosen).then(() => {
          projectSelect.value = String(project?.id);
          figure.focus();
        });
      });
      void openProject(initial);
    })
    .catch((error) => message.show(messageOf(error), 'error'));

  return { element, dispose: () => document.removeEventListener('keydown', onKey) };
}
