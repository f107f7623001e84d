namespace Karma.LoadTesting;

/// <summary>
/// Scrapes the service's Prometheus endpoint at a fixed interval during a run (from the end of the warm-up, and once
/// more when the load has finished). A failed scrape is kept as a sample with its error, not thrown: a soak should
/// not die of one slow scrape.
/// </summary>
public sealed class MetricsSampler(Uri url, TimeSpan every, HttpMessageHandler? handler = null) : IRunCompanion
{
    private readonly List<ProcessSample> _samples = [];
    private readonly object _gate = new();

    /// <summary>The scraped URL.</summary>
    public Uri Url { get; } = url ?? throw new ArgumentNullException(nameof(url));

    /// <summary>The samples so far, in time order.</summary>
    public IReadOnlyList<ProcessSample> Samples
    {
        get
        {
            lock (_gate)
            {
                return _samples.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public string? ProgressNote
    {
        get
        {
            var samples = Samples;
            var last = samples.Count == 0 ? null : samples[^1];
            return last is null ? null
                : last.Error is not null ? $"metrics: {last.Error}"
                : $"rss {last.RssBytes / 1048576:F0} MB, gc heap {last.GcHeapBytes / 1048576:F0} MB, pool queue {last.ThreadPoolQueueLength:F0}";
        }
    }

    /// <inheritdoc />
    public async Task RunAsync(RunClock clock, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(clock);
        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.Timeout = TimeSpan.FromSeconds(5);
        var next = TimeSpan.Zero;
        try
        {
            while (true)
            {
                var wait = next - clock.Measured;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop).ConfigureAwait(false);
                }

                await SampleAsync(http, clock).ConfigureAwait(false);
                next += every;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The load has finished: one last sample shows where it ended.
        }

        if (clock.Measured >= TimeSpan.Zero)
        {
            await SampleAsync(http, clock).ConfigureAwait(false);
        }
    }

    private async Task SampleAsync(HttpClient http, RunClock clock)
    {
        double at = clock.Measured.TotalSeconds;
        ProcessSample sample;
        try
        {
            string text = await http.GetStringAsync(Url).ConfigureAwait(false);
            sample = ProcessMetrics.FromScrape(text, at);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            sample = new ProcessSample { Seconds = at, Error = e.Message };
        }

        lock (_gate)
        {
            _samples.Add(sample);
        }
    }
}
