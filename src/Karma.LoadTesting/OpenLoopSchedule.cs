namespace Karma.LoadTesting;

/// <summary>
/// Open-loop (constant-rate) send times: request i is due at start + i/rate, whatever happened to earlier
/// requests. Latency is then measured from the due time, not from when a busy client got round to sending,
/// which is what corrects for coordinated omission: a stalled server cannot hide the requests that piled up
/// behind the stall.
/// </summary>
public sealed class OpenLoopSchedule : ILoadSchedule
{
    /// <summary>A schedule of <paramref name="rate"/> requests per second for <paramref name="duration"/>.</summary>
    public OpenLoopSchedule(double rate, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        Rate = rate;
        Duration = duration;
        Count = Math.Max(1, (long)Math.Floor(rate * duration.TotalSeconds));
    }

    /// <summary>Requests per second.</summary>
    public double Rate { get; }

    /// <summary>Length of the run.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Requests in the run.</summary>
    public long Count { get; }

    /// <summary>Due time of request <paramref name="i"/> relative to the start.</summary>
    public TimeSpan DueAt(long i) => TimeSpan.FromSeconds(i / Rate);
}

/// <summary>One request's timeline relative to the run's start.</summary>
/// <param name="Due">When the schedule wanted it sent.</param>
/// <param name="Sent">When it was actually sent (later when the client had no free slot).</param>
/// <param name="Done">When the answer arrived.</param>
public readonly record struct RequestTiming(TimeSpan Due, TimeSpan Sent, TimeSpan Done)
{
    /// <summary>Latency as a user sees it: from the due time (corrected for coordinated omission).</summary>
    public TimeSpan Corrected => Done - Due;

    /// <summary>Latency as a naive closed-loop tester reports it: from the actual send.</summary>
    public TimeSpan Uncorrected => Done - Sent;
}
