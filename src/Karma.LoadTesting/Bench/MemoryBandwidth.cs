using System.Diagnostics;
using System.Numerics.Tensors;

namespace Karma.LoadTesting.Bench;

/// <summary>
/// This machine's sustained memory read bandwidth, measured the way an exact scan reads a table: every core sums
/// its share of a buffer far larger than the caches with SIMD (<see cref="TensorPrimitives.Sum(ReadOnlySpan{float})"/>).
/// The best of several passes, so a noisy neighbour lowers the figure less.
/// </summary>
public static class MemoryBandwidth
{
    /// <summary>Read bandwidth in bytes per second over a <paramref name="bytes"/>-byte buffer.</summary>
    public static double MeasureRead(long bytes = 1L << 30, int passes = 5, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20);
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        int workers = threads == 0 ? Environment.ProcessorCount : threads;
        long floats = bytes / sizeof(float);
        const int Chunk = 1 << 24; // arrays of 64 MiB: no single array near the 2 GiB limit
        var chunks = new float[(int)((floats + Chunk - 1) / Chunk)][];
        for (int i = 0; i < chunks.Length; i++)
        {
            chunks[i] = new float[(int)Math.Min(Chunk, floats - (long)i * Chunk)];
            chunks[i].AsSpan().Fill(1f); // touch every page before timing
        }

        double best = double.MaxValue;
        for (int pass = 0; pass < passes; pass++)
        {
            var partial = new float[workers];
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                float s = 0;
                for (int c = w; c < chunks.Length; c += workers)
                {
                    s += TensorPrimitives.Sum(chunks[c]);
                }

                partial[w] = s;
            });
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return floats * sizeof(float) / best;
    }
}
