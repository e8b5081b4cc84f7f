import { api, ApiError, messageOf } from '../api.ts';
import { field, h, Message } from '../dom.ts';
import { researchNotice } from '../shell.ts';
import type { Session } from '../../contract/index.ts';
import type { View } from '../view.ts';

/** Why the login screen is shown: a problem (e.g. the session expired) or plain news (logged out). */
export interface LoginNotice {
  text: string;
  problem: boolean;
}

export function loginView(notice: LoginNotice | null, onLoggedIn: (session: Session) => void): View {
  const username = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: false });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Log in');
  const message = new Message();
  let countdown: number | undefined;

  const stopWaiting = () => {
    window.clearInterval(countdown);
    submit.disabled = false;
    submit.textContent = 'Log in';
  };
  // The server limits failures per username, so another username may try at once.
  username.addEventListener('input', stopWaiting);

  const waitOut = (seconds: number, text: string) => {
    let left = seconds;
    submit.disabled = true;
    message.show(text, 'error');
    window.clearInterval(countdown);
    countdown = window.setInterval(() => {
      left -= 1;
      if (left <= 0) stopWaiting();
      else submit.textContent = `Log in (wait ${left} s)`;
    }, 1000);
  };

  const form = h(
    'form',
    {
      class: 'card login-form',
      noValidate: true,
      attrs: { 'aria-labelledby': 'login-title' },
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (!username.value.trim() || !password.value) {
            message.show('Enter your username and password.', 'error');
            (username.value.trim() ? password : username).focus();
            return;
          }
          submit.disabled = true;
          message.show('Logging in…');
          try {
            const session = await api.login(username.value.trim(), password.value);
            message.clear();
            onLoggedIn(session);
          } catch (error) {
            password.value = '';
            submit.disabled = false;
            if (error instanceof ApiError && error.status === 429) {
              waitOut(error.retryAfterSeconds ?? 60, `${error.message}. Too many wrong passwords lock the account for a short while.`);
            } else {
              message.show(messageOf(error), 'error');
            }
            password.focus();
          }
        },
      },
    },
    h('h1', { id: 'login-title' }, 'Log in to gramlens'),
    notice
      ? h('p', { class: `message ${notice.problem ? 'message-warning' : 'message-success'}`, attrs: { role: notice.problem ? 'alert' : 'status' } }, notice.text)
      : null,
    field('Username', username),
    field('Password', password),
    submit,
    message.element,
  );

  const element = h('main', { id: 'main', class: 'login' }, h('p', { class: 'brand brand-large' }, 'gramlens'), form, researchNotice());
  queueMicrotask(() => username.focus());
  return { element, dispose: () => window.clearInterval(countdown) };
}
