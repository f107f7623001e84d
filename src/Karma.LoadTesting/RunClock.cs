using System.Diagnostics;

namespace Karma.LoadTesting;

/// <summary>The run's clock: time since the first request was due, and time since the warm-up ended (what results use).</summary>
public sealed class RunClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    /// <summary>A clock started now, with <paramref name="warmup"/> of unrecorded load first.</summary>
    public RunClock(TimeSpan warmup) => Warmup = warmup;

    /// <summary>Unrecorded load at the start.</summary>
    public TimeSpan Warmup { get; }

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>Time since the warm-up ended (negative during it).</summary>
    public TimeSpan Measured => _watch.Elapsed - Warmup;
}

/// <summary>Something that runs beside the load for its whole length (health probes, metric samples).</summary>
public interface IRunCompanion
{
    /// <summary>Runs until <paramref name="stop"/> (the last request has finished); records only after the warm-up.</summary>
    Task RunAsync(RunClock clock, CancellationToken stop);

    /// <summary>A few words for the progress line (e.g. latest probe latency), or null.</summary>
    string? ProgressNote { get; }
}
