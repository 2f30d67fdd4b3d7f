import { describe, expect, it } from 'vitest';
import * as contract from './contract';
import * as runtime from './index';

describe('the contract entry', () => {
  it('holds types only: importing it loads no value, where the main entry does', () => {
    expect(Object.keys(contract)).toEqual([]);
    expect(Object.keys(runtime)).toContain('createRuntime');
  });
});
