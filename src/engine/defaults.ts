import type { Credentials } from './store.ts';

/** The credentials of the default store, unless others are given: stable, so READMEs and examples work. */
export const DEFAULT_CREDENTIALS: Readonly<Credentials> = Object.freeze({
  public_api_key: '4b1d3f0e-8c2a-4f6b-9e7d-5a0c1b2d3e4f',
  private_access_token: 'pd_sim_private_access_token',
  // The shared secret the Purple Dot docs use in their examples.
  shared_secret: 'd9b24a0f-9c08-45e5-a6f7-53797906da19',
});

export const DEFAULT_STORE_ID = 'default';
