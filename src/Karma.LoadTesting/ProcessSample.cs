namespace Karma.LoadTesting;

/// <summary>The service process's runtime metrics at one moment of a soak; a figure the service does not expose is null.</summary>
public sealed record ProcessSample
{
    /// <summary>When the scrape started, in seconds after the warm-up.</summary>
    public double Seconds { get; init; }

    /// <summary>Resident set size (bytes): the working set, which .NET reads from the process's RSS on Linux.</summary>
    public double? RssBytes { get; init; }

    /// <summary>Managed heap size after the latest GC, all generations (bytes, fragmentation included).</summary>
    public double? GcHeapBytes { get; init; }

    /// <summary>Memory the GC had committed at the latest GC (bytes).</summary>
    public double? GcCommittedBytes { get; init; }

    /// <summary>Bytes allocated on the managed heap since the process started.</summary>
    public double? GcAllocatedBytes { get; init; }

    /// <summary>Time paused in GC since the process started (s).</summary>
    public double? GcPauseSeconds { get; init; }

    /// <summary>Collections since the process started by generation (gen0, gen1, gen2; each GC counted once, under the generation it collected).</summary>
    public IReadOnlyDictionary<string, double>? GcCollections { get; init; }

    /// <summary>Work items waiting in the thread pool's queues.</summary>
    public double? ThreadPoolQueueLength { get; init; }

    /// <summary>Thread-pool threads.</summary>
    public double? ThreadPoolThreads { get; init; }

    /// <summary>CPU time the process has used, user and system (s).</summary>
    public double? CpuSeconds { get; init; }

    /// <summary>Why the scrape failed (then every figure is null), or null.</summary>
    public string? Error { get; init; }
}
