// Global sample index -> (shard, record): arithmetic, since every shard but the last holds recordsPerShard.

export interface Location {
  shard: number;
  record: number;
}

export class Spanner {
  constructor(
    readonly size: number,
    readonly perShard: number,
  ) {}

  locate(index: number): Location {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`sample ${index} is outside 0..${this.size - 1}`);
    return { shard: Math.floor(index / this.perShard), record: index % this.perShard };
  }
}
