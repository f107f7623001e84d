namespace Karma.LoadTesting;

/// <summary>What a soak's process samples show: memory growth after warm-up, GC activity, thread-pool pressure.</summary>
public sealed record SoakAnalysis
{
    /// <summary>Samples before this time (s after the run's warm-up) are left out of the growth fits: the larger of 20% of the run and 60 s.</summary>
    public double WarmupSeconds { get; init; }

    /// <summary>Samples the growth fits used.</summary>
    public int SamplesFitted { get; init; }

    /// <summary>Scrapes that failed (kept as samples with an error).</summary>
    public int FailedScrapes { get; init; }

    /// <summary>RSS at the first sample (MB, 2^20 bytes).</summary>
    public double? RssStartMb { get; init; }

    /// <summary>RSS at the last sample (MB).</summary>
    public double? RssEndMb { get; init; }

    /// <summary>Largest RSS sampled (MB).</summary>
    public double? RssMaxMb { get; init; }

    /// <summary>Least-squares slope of RSS over the samples after <see cref="WarmupSeconds"/> (MB/minute); null with fewer than two.</summary>
    public double? RssGrowthMbPerMinute { get; init; }

    /// <summary>Managed heap after the latest GC at the first and last sample (MB).</summary>
    public double? GcHeapStartMb { get; init; }

    /// <summary>Managed heap after the latest GC at the last sample (MB).</summary>
    public double? GcHeapEndMb { get; init; }

    /// <summary>Least-squares slope of the managed heap after warm-up (MB/minute): growth here too points at managed objects, RSS alone at native memory.</summary>
    public double? GcHeapGrowthMbPerMinute { get; init; }

    /// <summary>Collections during the run by generation (last sample minus first).</summary>
    public IReadOnlyDictionary<string, double>? GcCollections { get; init; }

    /// <summary>Time paused in GC during the run (s).</summary>
    public double? GcPauseSeconds { get; init; }

    /// <summary>Managed allocation rate during the run (MB/s).</summary>
    public double? AllocatedMbPerSecond { get; init; }

    /// <summary>Longest thread-pool queue sampled.</summary>
    public double? ThreadPoolQueueMax { get; init; }

    /// <summary>Mean thread-pool queue over the samples.</summary>
    public double? ThreadPoolQueueMean { get; init; }

    /// <summary>Most thread-pool threads sampled.</summary>
    public double? ThreadPoolThreadsMax { get; init; }

    /// <summary>CPU the service used during the run, in cores (CPU seconds per second).</summary>
    public double? CpuCores { get; init; }

    /// <summary>The warm-up left out of growth fits for a run of <paramref name="runSeconds"/>.</summary>
    public static double WarmupFor(double runSeconds) => Math.Max(0.2 * runSeconds, 60);

    /// <summary>Analyses the samples of a run of <paramref name="runSeconds"/>.</summary>
    public static SoakAnalysis Of(IReadOnlyList<ProcessSample> samples, double runSeconds)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var good = samples.Where(s => s.Error is null).OrderBy(s => s.Seconds).ToArray();
        double warmup = WarmupFor(runSeconds);
        var fitted = good.Where(s => s.Seconds >= warmup).ToArray();
        const double Mb = 1024 * 1024;
        var first = good.FirstOrDefault();
        var last = good.LastOrDefault();
        double span = first is null || last is null ? 0 : last.Seconds - first.Seconds;
        return new SoakAnalysis
        {
            WarmupSeconds = warmup,
            SamplesFitted = fitted.Length,
            FailedScrapes = samples.Count - good.Length,
            RssStartMb = good.Select(s => s.RssBytes).FirstOrDefault(v => v is not null) / Mb,
            RssEndMb = good.Select(s => s.RssBytes).LastOrDefault(v => v is not null) / Mb,
            RssMaxMb = good.Max(s => s.RssBytes) / Mb,
            RssGrowthMbPerMinute = SlopePerMinute(fitted, s => s.RssBytes / Mb),
            GcHeapStartMb = good.Select(s => s.GcHeapBytes).FirstOrDefault(v => v is not null) / Mb,
            GcHeapEndMb = good.Select(s => s.GcHeapBytes).LastOrDefault(v => v is not null) / Mb,
            GcHeapGrowthMbPerMinute = SlopePerMinute(fitted, s => s.GcHeapBytes / Mb),
            GcCollections = first?.GcCollections is { } a && last?.GcCollections is { } b
                ? b.ToDictionary(kv => kv.Key, kv => kv.Value - a.GetValueOrDefault(kv.Key), StringComparer.Ordinal)
                : null,
            GcPauseSeconds = last?.GcPauseSeconds - first?.GcPauseSeconds,
            AllocatedMbPerSecond = span > 0 ? (last!.GcAllocatedBytes - first!.GcAllocatedBytes) / Mb / span : null,
            ThreadPoolQueueMax = good.Max(s => s.ThreadPoolQueueLength),
            ThreadPoolQueueMean = good.Any(s => s.ThreadPoolQueueLength is not null) ? good.Average(s => s.ThreadPoolQueueLength) : null,
            ThreadPoolThreadsMax = good.Max(s => s.ThreadPoolThreads),
            CpuCores = span > 0 ? (last!.CpuSeconds - first!.CpuSeconds) / span : null,
        };
    }

    /// <summary>Least-squares slope of y over x; null with fewer than two distinct x.</summary>
    public static double? Slope(IReadOnlyList<(double X, double Y)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.Count < 2)
        {
            return null;
        }

        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        double sxy = points.Sum(p => (p.X - mx) * (p.Y - my));
        return sxx <= 0 ? null : sxy / sxx;
    }

    private static double? SlopePerMinute(IEnumerable<ProcessSample> samples, Func<ProcessSample, double?> value)
        => Slope(samples.Where(s => value(s) is not null).Select(s => (s.Seconds / 60, value(s)!.Value)).ToArray());
}
