/**
 * The test-asset catalogue: every real model, label list and photo the suite uses is present
 * (CI always has them, so a missing one fails here by name rather than deep in another test),
 * and a missing file fails with what it is, who publishes it and how to get it.
 */
import { describe, expect, it } from 'vitest';
import { ASSET_CATALOGUE, assetPath, MissingAssetError, type AssetName } from '../helpers/assets.js';

describe('test assets', () => {
  it.each(Object.keys(ASSET_CATALOGUE) as AssetName[])('%s is present', (name) => {
    expect(() => assetPath(name)).not.toThrow();
  });

  it('a missing file names itself, what it is, the publisher and how to get it', () => {
    let e: unknown;
    try {
      assetPath('images', 'no-such-photo.png');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(MissingAssetError);
    expect((e as Error).message).toMatch(/^missing test asset 'images\/no-such-photo\.png' at \.cache\/assets\/images\/no-such-photo\.png: test photos .*; published by scikit-image .*; to get it: run `bash scripts\/fetch_assets\.sh`/);
  });
});
