namespace Karma.LoadTesting;

/// <summary>A soak: a long run at a share of the highest sustainable rate, with the service's process sampled throughout.</summary>
public sealed record SoakResult
{
    /// <summary>The highest sustainable rate the share applies to (req/s).</summary>
    public double MaxRps { get; init; }

    /// <summary>True when <see cref="MaxRps"/> was found by a find-max search before the soak; false when given.</summary>
    public bool MaxRpsSearched { get; init; }

    /// <summary>The p99 objective of that search (ms), when there was one.</summary>
    public double? SloP99Ms { get; init; }

    /// <summary>Share of <see cref="MaxRps"/> the soak ran at.</summary>
    public double Share { get; init; }

    /// <summary>The soak's rate (req/s).</summary>
    public double Rate { get; init; }

    /// <summary>The Prometheus endpoint sampled.</summary>
    public required string MetricsUrl { get; init; }

    /// <summary>Seconds between samples.</summary>
    public double SampleSeconds { get; init; }

    /// <summary>The soak run itself.</summary>
    public required LoadTestResult Run { get; init; }

    /// <summary>Memory growth, GC and thread-pool figures from the samples.</summary>
    public required SoakAnalysis Analysis { get; init; }

    /// <summary>Every process sample, in time order.</summary>
    public required IReadOnlyList<ProcessSample> Samples { get; init; }

    /// <summary>The find-max runs, when the maximum was searched for.</summary>
    public IReadOnlyList<LoadTestResult>? FindMaxRuns { get; init; }
}
