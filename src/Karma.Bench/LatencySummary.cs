using System.Diagnostics;

namespace Karma.Bench;

/// <summary>Latency of repeated calls, in milliseconds (nearest-rank percentiles over every sample).</summary>
public sealed record LatencySummary(int Samples, double Mean, double P50, double P90, double P99, double Max)
{
    /// <summary>Summarises samples in milliseconds.</summary>
    public static LatencySummary Of(IReadOnlyCollection<double> ms)
    {
        ArgumentNullException.ThrowIfNull(ms);
        if (ms.Count == 0)
        {
            return new LatencySummary(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        double[] sorted = ms.Order().ToArray();
        return new LatencySummary(sorted.Length, sorted.Average(), Rank(sorted, 50), Rank(sorted, 90), Rank(sorted, 99), sorted[^1]);
    }

    /// <summary>Times <paramref name="call"/> <paramref name="repeats"/> times after <paramref name="warmup"/> untimed calls.</summary>
    public static LatencySummary Time(Action<int> call, int repeats, int warmup = 3)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        for (int i = 0; i < warmup; i++)
        {
            call(i);
        }

        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call(i);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return Of(samples);
    }

    private static double Rank(double[] sorted, double percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
