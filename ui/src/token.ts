const KEY = 'purple-dot-sim-control-token';

/**
 * The control token, when the simulator has one: from `#token=…` in the page's address (then removed from
 * it, so it is not left in the history), else from this tab's session storage. Never sent anywhere but the
 * simulator's own control calls.
 */
export function initialToken(): string | undefined {
  const fromHash = /(?:^#|&)token=([^&]+)/.exec(location.hash)?.[1];
  if (fromHash) {
    const token = decodeURIComponent(fromHash);
    saveToken(token);
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}
