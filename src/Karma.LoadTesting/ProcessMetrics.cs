namespace Karma.LoadTesting;

/// <summary>
/// Reads <see cref="ProcessSample"/> figures out of the service's Prometheus scrape. The names are what the service's
/// OpenTelemetry runtime instrumentation (.NET's built-in <c>System.Runtime</c> meter) exposes through the
/// Prometheus exporter, checked against a live scrape (tests/Karma.LoadTesting.Tests/Data/metrics-scrape.txt).
/// </summary>
public static class ProcessMetrics
{
    /// <summary>Working set = RSS on Linux (<c>dotnet.process.memory.working_set</c>).</summary>
    public const string WorkingSet = "dotnet_process_memory_working_set_bytes";

    /// <summary>Heap size after the latest GC, one sample per generation (<c>gc_heap_generation</c>: gen0, gen1, gen2, loh, poh).</summary>
    public const string GcHeapSize = "dotnet_gc_last_collection_heap_size_bytes";

    /// <summary>Committed GC memory after the latest GC.</summary>
    public const string GcCommitted = "dotnet_gc_last_collection_memory_committed_size_bytes";

    /// <summary>Bytes allocated since start.</summary>
    public const string GcAllocated = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>GC pause time since start.</summary>
    public const string GcPause = "dotnet_gc_pause_time_seconds_total";

    /// <summary>Collections by <c>gc_heap_generation</c>.</summary>
    public const string GcCollections = "dotnet_gc_collections_total";

    /// <summary>Thread-pool queue length. An up-down counter, which this exporter writes as a counter with a _total suffix.</summary>
    public const string ThreadPoolQueue = "dotnet_thread_pool_queue_length_total";

    /// <summary>Thread-pool threads (an up-down counter, like the queue length).</summary>
    public const string ThreadPoolThreads = "dotnet_thread_pool_thread_count_total";

    /// <summary>CPU time by <c>cpu_mode</c> (user, system).</summary>
    public const string CpuTime = "dotnet_process_cpu_time_seconds_total";

    private const string GenerationLabel = "gc_heap_generation";

    /// <summary>The figures in one scrape taken at <paramref name="seconds"/>.</summary>
    public static ProcessSample FromScrape(string exposition, double seconds)
    {
        var samples = PrometheusText.Parse(exposition);
        var collections = samples.Where(s => s.Name == GcCollections && s.Labels.ContainsKey(GenerationLabel))
            .GroupBy(s => s.Labels[GenerationLabel], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.Value), StringComparer.Ordinal);
        return new ProcessSample
        {
            Seconds = seconds,
            RssBytes = Sum(samples, WorkingSet),
            GcHeapBytes = Sum(samples, GcHeapSize),
            GcCommittedBytes = Sum(samples, GcCommitted),
            GcAllocatedBytes = Sum(samples, GcAllocated),
            GcPauseSeconds = Sum(samples, GcPause),
            GcCollections = collections.Count == 0 ? null : collections,
            // An exporter that writes up-down counters as gauges drops the _total suffix; accept either.
            ThreadPoolQueueLength = Sum(samples, ThreadPoolQueue) ?? Sum(samples, ThreadPoolQueue[..^"_total".Length]),
            ThreadPoolThreads = Sum(samples, ThreadPoolThreads) ?? Sum(samples, ThreadPoolThreads[..^"_total".Length]),
            CpuSeconds = Sum(samples, CpuTime),
        };
    }

    /// <summary>The sum over every label set of <paramref name="name"/>, or null when the scrape has none.</summary>
    private static double? Sum(IReadOnlyList<PrometheusSample> samples, string name)
    {
        double sum = 0;
        bool any = false;
        foreach (var s in samples)
        {
            if (s.Name == name)
            {
                sum += s.Value;
                any = true;
            }
        }

        return any ? sum : null;
    }
}
