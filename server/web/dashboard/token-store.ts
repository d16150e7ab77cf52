/**
 * The newsroom token, kept in this tab's sessionStorage only: it survives a reload and is
 * gone when the tab closes, and other tabs and sites never see it.
 */

const KEY = 'khabar:newsroom-token';

function storage(): Storage | undefined {
  try {
    return window.sessionStorage; // throws with storage blocked
  } catch {
    return undefined;
  }
}

export function loadToken(): string | undefined {
  try {
    return storage()?.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string): void {
  try {
    storage()?.setItem(KEY, token);
  } catch {
    // Full or blocked: the dashboard still works until the next reload.
  }
}

export function clearToken(): void {
  try {
    storage()?.removeItem(KEY);
  } catch {
    // nothing kept, nothing to clear
  }
}
