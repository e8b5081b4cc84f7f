import type { Sample } from '../data/index.ts';
import type { ImageSet } from '../train/index.ts';

/** The held-out predictions of the completed folds, one row per image in dataset order. */
export interface OutOfFoldPredictions {
  samples: Sample[];
  labels: Int32Array;
  /** Calibrated by the temperature of the image's fold; n × k row-major. */
  probabilities: Float32Array;
  uncalibratedProbabilities: Float32Array;
  /** The fold (0-based) whose model predicted the image. */
  fold: Int32Array;
}

/** Held-out predictions of the folds gathered per image; an image predicted twice means the folds overlap. */
export class OutOfFoldPool {
  private readonly fold: Int32Array;
  private readonly probabilities: Float32Array;
  private readonly uncalibrated: Float32Array;

  constructor(
    imageCount: number,
    private readonly k: number,
  ) {
    this.fold = new Int32Array(imageCount).fill(-1);
    this.probabilities = new Float32Array(imageCount * k);
    this.uncalibrated = new Float32Array(imageCount * k);
  }

  add(fold: number, indices: readonly number[], probabilities: Float32Array, uncalibrated: Float32Array): void {
    const k = this.k;
    if (probabilities.length !== indices.length * k) throw new Error(`fold ${fold + 1} predicted ${probabilities.length / k} of its ${indices.length} held-out images`);
    indices.forEach((index, row) => {
      if (this.fold[index] !== -1) throw new Error(`image ${index} is held out by fold ${this.fold[index] + 1} and fold ${fold + 1}`);
      this.fold[index] = fold;
      this.probabilities.set(probabilities.subarray(row * k, (row + 1) * k), index * k);
      this.uncalibrated.set(uncalibrated.subarray(row * k, (row + 1) * k), index * k);
    });
  }

  /** Rows of the decoded set that were predicted, in dataset order. */
  rows(): number[] {
    return Array.from(this.fold.keys()).filter((index) => this.fold[index] !== -1);
  }

  /** The predicted images only, in dataset order. */
  predictions(set: ImageSet, samples: readonly Sample[]): OutOfFoldPredictions {
    const k = this.k;
    const kept = this.rows();
    const rows = (matrix: Float32Array) => {
      const out = new Float32Array(kept.length * k);
      kept.forEach((index, row) => out.set(matrix.subarray(index * k, (index + 1) * k), row * k));
      return out;
    };
    return {
      samples: kept.map((index) => samples[index]),
      labels: Int32Array.from(kept, (index) => set.labels[index]),
      probabilities: rows(this.probabilities),
      uncalibratedProbabilities: rows(this.uncalibrated),
      fold: Int32Array.from(kept, (index) => this.fold[index]),
    };
  }
}
