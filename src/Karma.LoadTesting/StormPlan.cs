namespace Karma.LoadTesting;

/// <summary>A burst of load in the middle of a run.</summary>
/// <param name="Rate">Requests per second during the storm.</param>
/// <param name="At">When it starts, after the warm-up.</param>
/// <param name="Length">How long it lasts.</param>
public sealed record StormSettings(double Rate, TimeSpan At, TimeSpan Length)
{
    /// <summary>When it ends, after the warm-up.</summary>
    public TimeSpan End => At + Length;

    /// <summary>
    /// The default start for a storm of <paramref name="length"/> in a run of <paramref name="duration"/>: a third of
    /// the time outside the storm before it (the baseline), two thirds after (recovery needs the room); in whole
    /// seconds when that leaves at least one, so per-second figures line up with the storm's edges.
    /// </summary>
    public static TimeSpan DefaultAt(TimeSpan duration, TimeSpan length)
    {
        var third = (duration - length) / 3;
        return third >= TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(Math.Floor(third.TotalSeconds)) : third;
    }
}

/// <summary>The schedule and phases of a run: constant rate, or normal rate with a storm (before, storm, after).</summary>
public static class StormPlan
{
    /// <summary>Phase names of a storm run.</summary>
    public const string Before = "before", Storm = "storm", After = "after";

    /// <summary>
    /// The schedule from the start of the warm-up (the warm-up runs at the normal rate) and the measured phases;
    /// without a storm, one constant-rate schedule and no phases.
    /// </summary>
    public static (ILoadSchedule Schedule, IReadOnlyList<LoadPhase> Phases) Build(double rate, TimeSpan duration, TimeSpan warmup, StormSettings? storm)
    {
        if (storm is null)
        {
            return (new OpenLoopSchedule(rate, duration + warmup), []);
        }

        if (storm.At <= TimeSpan.Zero || storm.Length <= TimeSpan.Zero || storm.End >= duration || storm.Rate <= 0)
        {
            throw new ArgumentException("a storm needs a positive rate and length, and normal load both before and after it within the run", nameof(storm));
        }

        var segments = new List<RateSegment>
        {
            new(warmup + storm.At, rate),
            new(storm.Length, storm.Rate),
            new(duration - storm.End, rate),
        };
        LoadPhase[] phases =
        [
            new(Before, TimeSpan.Zero, storm.At, rate),
            new(Storm, storm.At, storm.End, storm.Rate),
            new(After, storm.End, duration, rate),
        ];
        return (new PiecewiseRateSchedule(segments), phases);
    }
}
