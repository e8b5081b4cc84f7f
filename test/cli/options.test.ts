import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandArgs, type Command } from '../../src/cli/command.ts';
import { BACKBONE_NAMES, BACKEND_HELP, BACKEND_OPTION, OUT_OPTION, flagOptions, parseSeed, parseSize, parseTrainConfig, parseWorkers, valueOptions } from '../../src/cli/options.ts';

function commandWith(options: Command['options']): Command {
  return { name: 'test', help: 'Usage: gramlens test', options, run: async () => 0 };
}

describe('shared CLI options', () => {
  it('declares options that take a value and on/off flags that parseArgs reads', () => {
    const command = commandWith({ ...OUT_OPTION, ...valueOptions('size', 'seed'), ...flagOptions('json', 'strict'), ...BACKEND_OPTION });
    const { values } = parseCommandArgs(command, ['-o', 'run', '--size', '96x128', '--json', '--backend', 'cpu']);
    expect(values).toMatchObject({ out: 'run', size: '96x128', json: true, backend: 'cpu' });
    expect(values.strict).toBeUndefined();
    expect(() => parseCommandArgs(command, ['--json=yes'])).toThrow(UsageError);
    expect(() => parseCommandArgs(command, ['--size'])).toThrow(UsageError);
    expect(BACKEND_HELP).toBe('  --backend auto|tfjs-node|wasm|cpu');
  });

  it('reads sizes, seeds and training settings, refusing bad values with the option named', () => {
    expect(parseSize({}, 64)).toEqual([64, 64]);
    expect(parseSize({ size: '96x128' }, 64)).toEqual([96, 128]);
    expect(() => parseSize({ size: '4' }, 64)).toThrow(/--size must be between 8 and 1024/);
    expect(parseSeed({})).toBeUndefined();
    expect(parseSeed({ seed: '7' })).toBe(7);
    expect(() => parseSeed({ seed: '-1' })).toThrow(/--seed must be an integer ≥ 0/);
    expect(parseWorkers({ workers: '3' })).toBe(3);
    expect(parseTrainConfig({ epochs: '5', lr: '0.01', seed: '2' })).toMatchObject({ epochs: 5, learningRate: 0.01, seed: 2, model: undefined });
    expect(() => parseTrainConfig({ model: 'alexnet' })).toThrow(/--model must be one of/);
  });

  it('reads a pretrained backbone as the model, with its fine-tuning settings', () => {
    expect(BACKBONE_NAMES).toEqual(['mobilenetv2']);
    expect(parseTrainConfig({ backbone: 'mobilenetv2', 'freeze-epochs': '3', 'lr-ratio': '100', 'frozen-groups': '2' })).toMatchObject({ model: 'mobilenetv2', freezeEpochs: 3, layerRateRatio: 100, frozenGroups: 2 });
    expect(() => parseTrainConfig({ backbone: 'resnet-small' })).toThrow('--backbone must be one of mobilenetv2; got "resnet-small"');
    expect(() => parseTrainConfig({ backbone: 'mobilenetv2', model: 'seed-cnn' })).toThrow('give --model or --backbone, not both');
    expect(() => parseTrainConfig({ 'lr-ratio': '0.5' })).toThrow('--lr-ratio must be a number ≥ 1');
    expect(() => parseTrainConfig({ 'frozen-groups': '1.5' })).toThrow('--frozen-groups must be');
  });
});
