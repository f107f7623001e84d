using System.Diagnostics;
using System.Numerics.Tensors;

namespace Karma.Bench;

/// <summary>
/// This machine's sustained memory read bandwidth, measured the way an exact scan reads a table: every core sums
/// its own contiguous share of a buffer far larger than the caches with SIMD
/// (<see cref="TensorPrimitives.Sum(ReadOnlySpan{float})"/>). The best of several passes, so a noisy neighbour lowers
/// the figure less.
/// </summary>
public static class MemoryBandwidth
{
    /// <summary>Read bandwidth in bytes per second over a <paramref name="bytes"/>-byte buffer.</summary>
    /// <param name="bytes">Buffer size in bytes; at least 1 MiB, and far larger than the caches to measure memory.</param>
    /// <param name="passes">Timed passes over the buffer; the fastest counts.</param>
    /// <param name="threads">Readers; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    public static double MeasureRead(long bytes = 1L << 30, int passes = 5, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1L << 20);
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        int workers = threads == 0 ? Environment.ProcessorCount : threads;
        long share = bytes / sizeof(float) / workers;
        const int MaxArray = 1 << 24; // arrays of at most 64 MiB: none near the 2 GiB limit
        var parts = new float[workers][][];
        for (int w = 0; w < workers; w++)
        {
            parts[w] = new float[(int)((share + MaxArray - 1) / MaxArray)][];
            for (int i = 0; i < parts[w].Length; i++)
            {
                parts[w][i] = new float[(int)Math.Min(MaxArray, share - (long)i * MaxArray)];
                parts[w][i].AsSpan().Fill(1f); // touch every page before timing
            }
        }

        double best = double.MaxValue;
        var sums = new float[workers];
        for (int pass = 0; pass < passes; pass++)
        {
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                float s = 0;
                foreach (float[] part in parts[w])
                {
                    s += TensorPrimitives.Sum(part);
                }

                sums[w] = s; // stored, so the reads cannot be dropped
            });
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return share * workers * sizeof(float) / best;
    }
}
